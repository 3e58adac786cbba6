"""Recommendation backbones: matrix factorisation (MF) and LightGCN.

Both keep one embedding table ``ego`` of ``num_users + num_items`` rows (users first) and
return ``(user_emb [U, d], item_emb [I, d])`` from ``forward()``. SSL heads re-propagate
through :meth:`propagate` (or :func:`lightgcn_propagate` with the backbone's ``adj``, ``ego``,
``num_layers`` and ``include_ego``) with perturbed layers or an augmented graph.
"""
from __future__ import annotations

from typing import Callable, Optional, Tuple, Union

import torch
from torch import Tensor, nn

from ..registry import Registry
from ..sparse import Graph
from .interaction_graph import lightgcn_propagate
from .propagation import propagate as _propagate_rows

__all__ = ["RecBackbone", "MF", "LightGCN", "BACKBONES", "register_backbone", "build_backbone"]

BACKBONES: Registry = Registry("backbone")


def register_backbone(name: str):
    """Decorator registering a backbone class under ``name``."""
    return BACKBONES.register(name)


_INITS = ("xavier", "normal")


class RecBackbone(nn.Module):
    """Base of the backbones: the ego table, its initialisation, and the user/item split.

    Args:
        num_users, num_items: id ranges.
        dim: embedding size.
        init: ``"xavier"`` (xavier-uniform on the user and item tables separately, as
            SELFRec's SimGCL/XSimGCL/LightGCN) or ``"normal"`` (std ``init_std``, as the
            LightGCN reference code).
        init_std: std of the ``"normal"`` init.
        seed: seeds the initialisation (None: torch's global RNG).

    Raises:
        ValueError: non-positive sizes or unknown ``init``.
    """

    adj: Optional[Graph]
    num_layers: int
    include_ego: bool

    def __init__(self, num_users: int, num_items: int, dim: int = 64, init: str = "xavier",
                 init_std: float = 0.1, seed: Optional[int] = None) -> None:
        super().__init__()
        if num_users < 1 or num_items < 1 or dim < 1:
            raise ValueError(f"num_users, num_items and dim must be >= 1, got {num_users}, {num_items}, {dim}")
        if init not in _INITS:
            raise ValueError(f"unknown init {init!r}; expected one of {_INITS}")
        self.num_users, self.num_items, self.dim = int(num_users), int(num_items), int(dim)
        self.embedding = nn.Parameter(torch.empty(num_users + num_items, dim))
        g = torch.Generator().manual_seed(seed) if seed is not None else None
        with torch.no_grad():
            for part in (self.embedding[:num_users], self.embedding[num_users:]):
                if init == "xavier":
                    bound = (6.0 / (part.size(0) + part.size(1))) ** 0.5  # fan-in/out of that table
                    part.uniform_(-bound, bound, generator=g)
                else:
                    part.normal_(0.0, init_std, generator=g)

    @property
    def ego(self) -> Tensor:
        """``[U + I, d]`` the trainable ego embeddings (users first)."""
        return self.embedding

    def split(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """``[U + I, ...] -> ([U, ...], [I, ...])``."""
        return x[:self.num_users], x[self.num_users:]

    def propagate(self, adj: Optional[Graph] = None, ego: Optional[Tensor] = None,
                  perturb: Optional[Callable[[Tensor, int], Tensor]] = None, return_layers: bool = False,
                  rows: Optional[Tensor] = None):
        """The final embeddings ``[U + I, d]`` (or only at the unique node ids ``rows``, ``[R, d]``)."""
        raise NotImplementedError

    def forward(self) -> Tuple[Tensor, Tensor]:
        """``(user_emb [U, d], item_emb [I, d])`` the final embeddings used for scoring."""
        return self.split(self.propagate())

    def _apply(self, fn, *args, **kwargs):
        # .to(device) / .cuda() move the graph with the parameters.
        out = super()._apply(fn, *args, **kwargs)
        if getattr(self, "adj", None) is not None:
            self.adj = self.adj.to(self.embedding.device)
        return out

    def extra_repr(self) -> str:
        return f"num_users={self.num_users}, num_items={self.num_items}, dim={self.dim}"


@register_backbone("mf")
class MF(RecBackbone):
    """Matrix factorisation: the final embeddings are the ego embeddings (``num_layers = 0``).

    ``adj`` may be given so that graph-based SSL heads can still run on MF.
    """

    def __init__(self, num_users: int, num_items: int, dim: int = 64, adj: Optional[Graph] = None,
                 init: str = "xavier", init_std: float = 0.1, seed: Optional[int] = None) -> None:
        super().__init__(num_users, num_items, dim, init, init_std, seed)
        self.adj, self.num_layers, self.include_ego = adj, 0, True

    def propagate(self, adj: Optional[Graph] = None, ego: Optional[Tensor] = None,
                  perturb: Optional[Callable[[Tensor, int], Tensor]] = None,
                  return_layers: bool = False, rows: Optional[Tensor] = None) -> Union[Tensor, Tuple[Tensor, list]]:
        """The ego embeddings (``adj`` and ``perturb`` have nothing to act on), at ``rows`` if given."""
        e = self.ego if ego is None else ego
        if rows is not None:
            e = e.index_select(0, rows)
        return (e, [e]) if return_layers else e


@register_backbone("lightgcn")
class LightGCN(RecBackbone):
    """LightGCN: ``E = mean_k A^k E_0`` over ``k = 0..L`` with ``A`` the symmetric-normalised
    user-item graph, no weights and no non-linearity.

    Args:
        num_users, num_items, dim, init, init_std, seed: see :class:`RecBackbone`.
        adj: the normalised interaction graph (:func:`interaction_graph`), ``U + I`` nodes.
        num_layers: propagation depth ``L``.
        include_ego: average ``E_0`` in (LightGCN). SimGCL's and XSimGCL's official encoders
            average only ``E_1..E_L``: pass False to reproduce them.

    Raises:
        ValueError: ``adj`` is not a ``(U + I)``-node Graph, or a bad ``num_layers``.
    """

    def __init__(self, num_users: int, num_items: int, adj: Graph, dim: int = 64, num_layers: int = 3,
                 include_ego: bool = True, init: str = "xavier", init_std: float = 0.1,
                 seed: Optional[int] = None) -> None:
        super().__init__(num_users, num_items, dim, init, init_std, seed)
        if not isinstance(adj, Graph):
            raise ValueError(f"adj must be a graphssl.sparse.Graph, got {type(adj).__name__}")
        if adj.num_nodes != num_users + num_items or adj.is_bipartite:
            raise ValueError(f"adj must be square with num_users + num_items = {num_users + num_items} nodes, "
                             f"got {adj.num_src_nodes} x {adj.num_dst_nodes}")
        if num_layers < 0 or (num_layers == 0 and not include_ego):
            raise ValueError(f"num_layers must be >= 0 (>= 1 without the ego layer), got {num_layers}")
        self.adj, self.num_layers, self.include_ego = adj, int(num_layers), bool(include_ego)

    def propagate(self, adj: Optional[Graph] = None, ego: Optional[Tensor] = None,
                  perturb: Optional[Callable[[Tensor, int], Tensor]] = None,
                  return_layers: bool = False, rows: Optional[Tensor] = None) -> Union[Tensor, Tuple[Tensor, list]]:
        """Propagate ``ego`` (default: the table) over ``adj`` (default: the training graph).

        Args:
            adj: e.g. an edge-dropped graph (SGL).
            ego: ``[U + I, d]`` replacement ego embeddings.
            perturb: ``f(layer, k) -> layer`` applied after each propagation (SimGCL noise).
            return_layers: also return the ``L + 1`` layers (``E_0`` first).
            rows: ``[R]`` unique node ids (users first, items offset by ``num_users``): return
                the final embeddings at these rows only; the last layer is then propagated for
                them alone (a training step reads only its batch's rows). Not combined with
                ``perturb`` or ``return_layers``.

        Returns:
            ``[U + I, d]`` (``[R, d]`` with ``rows``), and the list of layers if asked.

        Raises:
            ValueError: ``rows`` together with ``perturb`` or ``return_layers``.
        """
        if rows is not None:
            if perturb is not None or return_layers:
                raise ValueError("rows= cannot be combined with perturb= or return_layers=")
            return _propagate_rows(self.adj if adj is None else adj, self.ego if ego is None else ego,
                                   self.num_layers, include_ego=self.include_ego, rows=rows)[0]
        return lightgcn_propagate(self.adj if adj is None else adj, self.ego if ego is None else ego,
                                  self.num_layers, perturb=perturb, return_layers=return_layers,
                                  include_ego=self.include_ego)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, num_layers={self.num_layers}, include_ego={self.include_ego}"


def build_backbone(name: str, data, dim: int = 64, num_layers: int = 3, **kwargs) -> RecBackbone:
    """Build a registered backbone for an :class:`InteractionData`.

    Args:
        name: ``"mf"`` or ``"lightgcn"``.
        data: the dataset (sizes and ``adj`` come from it).
        dim, num_layers: embedding size and depth (MF ignores the depth).
        **kwargs: other constructor arguments (``init``, ``include_ego``, ``seed``, ...).

    Raises:
        ValueError: unknown name.
    """
    cls = BACKBONES.get(name)
    if cls is MF:
        return MF(data.num_users, data.num_items, dim, adj=data.adj, **kwargs)
    return cls(data.num_users, data.num_items, data.adj, dim=dim, num_layers=num_layers, **kwargs)
