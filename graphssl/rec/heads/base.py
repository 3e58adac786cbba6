"""The plug-in SSL head interface, its registry, and the few helpers heads share.

A head is an ``nn.Module`` whose ``forward`` returns an auxiliary loss (a scalar) from what
a recommender pipeline already has at a training step: the batch's user and positive-item
ids and the final user/item embeddings. Graph heads also read a *backbone*: any object with
the attributes below (a graphssl backbone, a RecBole model wrapped in :class:`GraphContext`,
or a :class:`GraphContext` built by hand). No graphssl base class is needed on the host side.

Backbone attributes a head may read (each head's docstring lists exactly which):

- ``adj``: the normalised interaction :class:`~graphssl.sparse.Graph` of ``U + I`` nodes,
  users first (see :func:`graphssl.rec.interaction_graph`).
- ``ego``: the ego (layer-0) embeddings, an ``nn.Embedding``, a ``[U + I, d]`` tensor that
  carries the gradient to the host's parameters, or a zero-argument callable returning one
  (e.g. ``lambda: torch.cat([user_table.weight, item_table.weight])`` for two towers).
- ``num_layers``: LightGCN propagation depth ``L``.
- ``num_users``, ``num_items``: ``U`` and ``I``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor, nn

from ...registry import Registry
from ...sparse import Graph
from ..interaction_graph import interaction_graph
from ..propagation import adj_spmm

__all__ = ["RecSSLHead", "HEADS", "register_head", "build_head", "GraphContext", "ego_embeddings",
           "check_backbone", "check_batch", "propagate_layers", "interaction_pairs", "split_nodes"]

HEADS: Registry = Registry("recommender head")
register_head = HEADS.register


def build_head(name: str, **kwargs: Any) -> "RecSSLHead":
    """Instantiate the head registered under ``name`` with its keyword arguments.

    Raises:
        ValueError: unknown head name, or an argument the head does not take / rejects.
    """
    cls = HEADS.get(name)
    try:
        return cls(**kwargs)
    except TypeError as e:  # an unexpected keyword: name it instead of a bare TypeError
        raise ValueError(f"bad arguments for recommender head {name!r}: {e}") from None


class RecSSLHead(nn.Module):
    """Base of the plug-in SSL heads (the host needs nothing from graphssl but the head).

    Subclasses implement :meth:`forward` and, if they keep per-epoch state (augmented
    graphs, prototypes), :meth:`new_epoch`. ``weight`` is the loss multiplier already
    applied to the returned loss, so the host simply adds it to its main loss.

    Args:
        seed: seed of the head's own random generator (created lazily on the device of the
            embeddings); None uses torch's global RNG. A ``generator=`` passed to a call
            overrides it for that call.
    """

    #: backbone attributes this head reads (documentation; checked by ``check_backbone``)
    needs: Tuple[str, ...] = ()
    #: whether :meth:`forward` reads the host's ``user_emb`` / ``item_emb`` tables. A head that
    #: does not (SGL contrasts its own views) lets :class:`~graphssl.rec.RecTrainer` compute the
    #: host's embeddings at the batch's rows only; it then passes None for both.
    uses_host_embeddings: bool = True

    def __init__(self, seed: Optional[int] = None) -> None:
        super().__init__()
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise ValueError(f"seed must be an int or None, got {seed!r}")
        self.seed = seed
        self._generators: dict = {}

    def generator(self, device: Union[str, torch.device],
                  generator: Optional[torch.Generator] = None) -> Optional[torch.Generator]:
        """The generator to draw from on ``device``: ``generator`` if given, else the head's
        seeded one (None without a seed: the global RNG).

        Raises:
            ValueError: ``generator`` lives on another device type than ``device``.
        """
        device = torch.device(device)
        if generator is not None:
            if generator.device.type != device.type:
                raise ValueError(f"generator is on {generator.device} but the tensors are on {device}")
            return generator
        if self.seed is None:
            return None
        key = str(device)
        if key not in self._generators:
            self._generators[key] = torch.Generator(device=device).manual_seed(self.seed)
        return self._generators[key]

    def new_epoch(self, backbone: Any = None, generator: Optional[torch.Generator] = None) -> None:
        """Refresh per-epoch state (augmented graphs, prototypes). Default: nothing."""

    def forward(self, users: Tensor, pos_items: Tensor, user_emb: Tensor, item_emb: Tensor,
                backbone: Any = None, **kwargs: Any) -> Tensor:  # pragma: no cover - interface
        """The weighted auxiliary loss (a scalar) for one training batch.

        Args:
            users, pos_items: ``[B]`` int64 ids of the batch's (user, positive item) pairs.
            user_emb, item_emb: ``[U, d]`` / ``[I, d]`` the host's final embeddings this step.
            backbone: object with the attributes the head lists in ``needs``.
        """
        raise NotImplementedError

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={getattr(self, k)!r}" for k in self._repr_keys() if hasattr(self, k))

    def _repr_keys(self) -> Sequence[str]:
        return ()


@dataclass
class GraphContext:
    """A plain container a host without a graphssl backbone hands to graph heads.

    Attributes:
        adj: normalised interaction graph of ``num_users + num_items`` nodes (users first).
        ego: ``[U + I, d]`` ego embeddings (a tensor carrying grad, an ``nn.Embedding``, or a
            zero-argument callable returning the tensor, evaluated at every use).
        num_layers: propagation depth.
        num_users, num_items: sizes.

    Example:
        >>> ctx = GraphContext.from_interactions(3, 2, torch.tensor([0, 1, 2]), torch.tensor([0, 1, 1]),
        ...                                      ego=torch.randn(5, 8), num_layers=2)
        >>> ctx.adj.num_nodes
        5
    """

    adj: Graph
    ego: Union[Tensor, nn.Embedding, Callable[[], Tensor]]
    num_layers: int
    num_users: int
    num_items: int

    @classmethod
    def from_interactions(cls, num_users: int, num_items: int, users: Tensor, items: Tensor,
                          ego: Union[Tensor, nn.Embedding, Callable[[], Tensor]],
                          num_layers: int) -> "GraphContext":
        """Build the normalised graph from ``[nnz]`` training (user, item) pairs."""
        return cls(interaction_graph(num_users, num_items, users, items), ego, num_layers, num_users, num_items)


# ---------------------------------------------------------------------------- checks
def check_backbone(backbone: Any, needs: Sequence[str], head: str) -> None:
    """Raise ValueError unless ``backbone`` has every attribute in ``needs`` and consistent sizes."""
    if backbone is None:
        raise ValueError(f"the {head} head needs a backbone (an object with {', '.join(needs)}); "
                         "pass backbone=... or a graphssl.rec.heads.GraphContext")
    missing = [n for n in needs if getattr(backbone, n, None) is None]
    if missing:
        raise ValueError(f"the {head} head needs backbone attribute(s) {', '.join(missing)} "
                         f"(got a {type(backbone).__name__})")
    if "adj" in needs:
        adj = backbone.adj
        if not isinstance(adj, Graph):
            raise ValueError(f"backbone.adj must be a graphssl.sparse.Graph, got {type(adj).__name__}")
        n = int(backbone.num_users) + int(backbone.num_items)
        if adj.num_nodes != n or adj.is_bipartite:
            raise ValueError(f"backbone.adj must be a square graph of num_users + num_items = {n} nodes, "
                             f"got {adj!r}")
    if "num_layers" in needs and int(backbone.num_layers) < 0:
        raise ValueError(f"backbone.num_layers must be >= 0, got {backbone.num_layers}")


def ego_embeddings(backbone: Any) -> Tensor:
    """``[U + I, d]`` ego embeddings of ``backbone`` (``.ego``: a tensor, an ``nn.Embedding`` or a
    zero-argument callable returning the tensor).

    Raises:
        ValueError: missing, not 2-D floating point, or the wrong number of rows.
    """
    ego = getattr(backbone, "ego", None)
    if isinstance(ego, nn.Embedding):
        ego = ego.weight
    if callable(ego) and not isinstance(ego, Tensor):
        ego = ego()
    if not isinstance(ego, Tensor) or ego.dim() != 2 or not ego.is_floating_point():
        raise ValueError("backbone.ego must be an nn.Embedding, a floating [num_users + num_items, d] tensor "
                         "or a callable returning one")
    n = int(backbone.num_users) + int(backbone.num_items)
    if ego.size(0) != n:
        raise ValueError(f"backbone.ego has {ego.size(0)} rows, expected num_users + num_items = {n}")
    return ego


def check_batch(users: Tensor, pos_items: Tensor, user_emb: Optional[Tensor], item_emb: Optional[Tensor],
                num_users: Optional[int] = None, num_items: Optional[int] = None) -> Tuple[Tensor, Tensor]:
    """Validate a batch; return ``(users, pos_items)`` as flat int64 tensors.

    Sizes come from the embeddings when given, else from ``num_users`` / ``num_items``.

    Raises:
        ValueError: non-integer ids, different lengths, an empty batch, ids out of range,
            or embeddings that are not 2-D floating point / disagree in width.
    """
    for name, t in (("users", users), ("pos_items", pos_items)):
        if not isinstance(t, Tensor) or t.is_floating_point() or t.dtype == torch.bool:
            raise ValueError(f"{name} must be an integer tensor of ids")
    users, pos_items = users.reshape(-1).long(), pos_items.reshape(-1).long()
    if users.numel() != pos_items.numel():
        raise ValueError(f"users ({users.numel()}) and pos_items ({pos_items.numel()}) must have the same length")
    if users.numel() == 0:
        raise ValueError("empty batch: users and pos_items have no entries")
    if user_emb is not None or item_emb is not None:
        for name, e in (("user_emb", user_emb), ("item_emb", item_emb)):
            if not isinstance(e, Tensor) or e.dim() != 2 or not e.is_floating_point():
                raise ValueError(f"{name} must be a floating [n, d] tensor")
        if user_emb.size(1) != item_emb.size(1):
            raise ValueError(f"user_emb width {user_emb.size(1)} != item_emb width {item_emb.size(1)}")
        num_users, num_items = user_emb.size(0), item_emb.size(0)
    for name, ids, n in (("users", users, num_users), ("pos_items", pos_items, num_items)):
        if int(ids.min()) < 0 or (n is not None and int(ids.max()) >= n):
            raise ValueError(f"{name} ids must lie in [0, {n}), got [{int(ids.min())}, {int(ids.max())}]")
    return users, pos_items


# ---------------------------------------------------------------------------- graph helpers
def split_nodes(x: Tensor, num_users: int) -> Tuple[Tensor, Tensor]:
    """Split ``[U + I, d]`` node rows into ``([U, d], [I, d])`` (users first)."""
    return x[:num_users], x[num_users:]


def propagate_layers(adj: Union[Graph, Sequence[Graph]], emb: Tensor, num_layers: int,
                     perturb: Optional[Callable[[Tensor, int], Tensor]] = None) -> List[Tensor]:
    """The ``L + 1`` layer embeddings ``[E_0, A E_0, ...]`` of LightGCN propagation.

    Args:
        adj: one normalised graph, or one per layer (SGL's random-walk views).
        emb: ``[N, d]`` ego embeddings.
        num_layers: ``L >= 0``.
        perturb: ``f(layer_output, layer_index) -> tensor`` applied after each propagation.

    Raises:
        ValueError: ``L < 0`` or a per-layer list whose length is not ``L``.
    """
    if num_layers < 0:
        raise ValueError(f"num_layers must be >= 0, got {num_layers}")
    graphs = list(adj) if isinstance(adj, (list, tuple)) else [adj] * num_layers
    if len(graphs) != num_layers:
        raise ValueError(f"got {len(graphs)} per-layer graphs for {num_layers} layers")
    layers, h = [emb], emb
    for k, g in enumerate(graphs):
        h = adj_spmm(g, h)
        if perturb is not None:
            h = perturb(h, k)
        layers.append(h)
    return layers


def interaction_pairs(adj: Graph, num_users: int) -> Tuple[Tensor, Tensor]:
    """The ``[nnz]`` (user, item) pairs of a symmetric interaction graph, each once.

    Item ids are returned 0-based (node id minus ``num_users``).
    """
    src, dst = adj.col, adj.row()
    keep = (src < num_users) & (dst >= num_users)
    return src[keep], dst[keep] - num_users
