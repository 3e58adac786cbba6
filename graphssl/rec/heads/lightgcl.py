"""LightGCL (Cai et al., ICLR 2023): the contrastive view is propagated over a rank-``q``
truncated SVD of the normalised user-item matrix, which keeps its global collaborative
structure; it is contrasted with the ordinary propagation."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from ...sparse import Graph
from ...checks import check_positive
from .base import RecSSLHead, check_backbone, check_batch, ego_embeddings, propagate_layers, register_head, split_nodes
from .contrast import score_logsumexp

__all__ = ["LightGCLHead", "svd_factors"]


@torch.no_grad()
def svd_factors(adj: Graph, num_users: int, rank: int = 5, niter: int = 2,
                generator_seed: Optional[int] = None) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """Rank-``q`` factors of the normalised user-item block ``R`` of ``adj`` (``torch.svd_lowrank``).

    Args:
        adj: normalised square interaction graph (users first).
        num_users: ``U``.
        rank: ``q``, at most ``min(U, I)``.
        niter: subspace iterations of ``svd_lowrank``.
        generator_seed: seeds the randomised SVD (without touching the global RNG state).

    Returns:
        ``(u_s [U, q], v_s [I, q], u [U, q], v [I, q])`` with ``R ~= u_s @ v.T = u @ v_s.T``
        (``u_s = U diag(S)``, ``v_s = V diag(S)``).

    Raises:
        ValueError: rank out of range.
    """
    num_items = adj.num_nodes - num_users
    if not isinstance(rank, int) or not 1 <= rank <= min(num_users, num_items):
        raise ValueError(f"rank must be an int in [1, min(num_users, num_items) = {min(num_users, num_items)}], "
                         f"got {rank!r}")
    dst, src = adj.row(), adj.col
    keep = (dst < num_users) & (src >= num_users)
    w = adj.value[keep] if adj.value is not None else torch.ones(int(keep.sum()), device=adj.device)
    r = torch.sparse_coo_tensor(torch.stack([dst[keep], src[keep] - num_users]), w.float(),
                                (num_users, num_items), check_invariants=True).coalesce()
    devices = [adj.device] if adj.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices, enabled=generator_seed is not None):
        if generator_seed is not None:
            torch.manual_seed(generator_seed)
        u, s, v = torch.svd_lowrank(r, q=rank, niter=niter)
    return u * s, v * s, u, v



def _total(ts: Sequence[Tensor]) -> Tensor:
    out = ts[0]
    for t in ts[1:]:
        out = out + t
    return out


@register_head("lightgcl")
class LightGCLHead(RecSSLHead):
    """LightGCL's SVD-view contrast as a plug-in head.

    Needs from the backbone: ``adj``, ``ego``, ``num_users``, ``num_items`` and
    ``num_layers`` (unless the host passes ``layers=[E_0, ..., E_L]`` of its propagation,
    which saves one propagation). The SVD is computed on first use and again whenever
    ``backbone.adj`` is another object (or on :meth:`refresh`).

    As in the official code (HKUDS/LightGCL ``model.py``): the SVD view's layer ``l`` is
    ``G_l = R_svd E_{l-1}`` (the *main* view's previous layer) for users and ``R_svd^T E_{l-1}``
    for items; both views aggregate by **sum** over ``E_0 .. E_L`` (not the host's mean);
    scores are raw dot products over ``temperature``; the loss is
    ``weight * sum_{users, items} [mean_b logsumexp_j(G_b . E_j / t) - mean_b clamp(G_b . E_b / t, -5, 5)]``
    over the batch's unique users (positive items), with every user (item) as a candidate.
    Defaults: ``q 5, temperature 0.2, lambda_1 0.2`` (the official ``parser.py``).

    Args:
        rank: ``q`` of the truncated SVD.
        temperature: scale of the scores.
        weight: loss multiplier (lambda_1).
        clamp: bound on the positive logit (official 5.0; None disables).
        niter: subspace iterations of the randomised SVD.
        seed: seeds the randomised SVD.

    Raises:
        ValueError: bad arguments.
    """

    needs = ("adj", "ego", "num_layers", "num_users", "num_items")

    def __init__(self, rank: int = 5, temperature: float = 0.2, weight: float = 0.2, clamp: Optional[float] = 5.0,
                 niter: int = 2, seed: Optional[int] = None) -> None:
        super().__init__(seed)
        if not isinstance(rank, int) or rank < 1:
            raise ValueError(f"rank must be an int >= 1, got {rank!r}")
        if niter < 0:
            raise ValueError(f"niter must be >= 0, got {niter}")
        self.rank, self.niter = rank, int(niter)
        self.temperature = check_positive("temperature", temperature)
        self.weight = float(weight)
        self.clamp = None if clamp is None else check_positive("clamp", clamp)
        self._factors: Optional[Tuple[Tensor, Tensor, Tensor, Tensor]] = None
        self._adj_id: Optional[int] = None

    def _repr_keys(self):
        return ("rank", "temperature", "weight", "clamp")

    def refresh(self, backbone: Any) -> None:
        """(Re)compute the truncated SVD of ``backbone.adj``'s user-item block."""
        check_backbone(backbone, ("adj", "num_users", "num_items"), "LightGCL")
        self._factors = svd_factors(backbone.adj, int(backbone.num_users), self.rank, self.niter, self.seed)
        self._adj_id = id(backbone.adj)

    def new_epoch(self, backbone: Any = None, generator: Optional[torch.Generator] = None) -> None:
        """Compute the SVD if not done yet for this ``backbone.adj`` (it is fixed in training)."""
        if backbone is not None and self._adj_id != id(backbone.adj):
            self.refresh(backbone)

    def layers_needed(self, backbone: Any) -> int:
        """Layers beyond ``E_0`` that :meth:`forward`'s ``layers=`` holds: the backbone's depth."""
        return int(backbone.num_layers)

    def views(self, backbone: Any, layers: Optional[Sequence[Tensor]] = None) -> Tuple[Tensor, Tensor]:
        """``(E, G)``: the main and SVD views, ``[U + I, d]`` each (sums over layers)."""
        check_backbone(backbone, ("adj", "num_users", "num_items"), "LightGCL")
        if self._adj_id != id(backbone.adj):
            self.refresh(backbone)
        if layers is None:
            check_backbone(backbone, self.needs, "LightGCL")
            layers = propagate_layers(backbone.adj, ego_embeddings(backbone), int(backbone.num_layers))
        layers = list(layers)
        nu = int(backbone.num_users)
        us, vs, u, v = (f.to(layers[0].device, layers[0].dtype) for f in self._factors)
        g: List[Tensor] = [layers[0]]
        for prev in layers[:-1]:
            pu, pi = split_nodes(prev, nu)
            g.append(torch.cat([us @ (v.t() @ pi), vs @ (u.t() @ pu)]))
        # running sums: no [L + 1, N, d] stack forward or backward
        return _total(layers), _total(g)

    def _term(self, ids: Tensor, main: Tensor, svd: Tensor) -> Tensor:
        anchors = svd.index_select(0, ids)
        pos = (anchors * main.index_select(0, ids)).sum(1) / self.temperature
        if self.clamp is not None:
            pos = pos.clamp(-self.clamp, self.clamp)
        # every node of the side is a candidate: scored in chunks, never as a [B, N] matrix
        return score_logsumexp(anchors, main, self.temperature).mean() - pos.mean()

    def forward(self, users: Tensor, pos_items: Tensor, user_emb: Optional[Tensor] = None,
                item_emb: Optional[Tensor] = None, backbone: Any = None,
                layers: Optional[Sequence[Tensor]] = None, **kwargs: Any) -> Tensor:
        """Weighted LightGCL loss of the batch.

        Args:
            layers: optional ``[E_0, ..., E_L]`` of the host's (clean) propagation.
        """
        check_backbone(backbone, ("adj", "num_users", "num_items"), "LightGCL")
        nu, ni = int(backbone.num_users), int(backbone.num_items)
        users, pos_items = check_batch(users, pos_items, None, None, nu, ni)
        main, svd = self.views(backbone, layers)
        (mu, mi), (gu, gi) = split_nodes(main, nu), split_nodes(svd, nu)
        u, i = torch.unique(users.to(main.device)), torch.unique(pos_items.to(main.device))
        return self.weight * (self._term(u, mu, gu) + self._term(i, mi, gi))
