"""SGL (Wu et al., SIGIR 2021): contrast two stochastic structural views of the interaction
graph. The views (node drop, edge drop, or random walk = a fresh edge drop per layer) are
drawn once per epoch from the training interactions and propagated like LightGCN."""
from __future__ import annotations

from typing import Any, List, Optional, Tuple, Union

import torch
from torch import Tensor

from ...sparse import Graph
from ..interaction_graph import interaction_graph
from ..propagation import propagate
from ...checks import check_fraction, check_positive
from .base import (RecSSLHead, check_backbone, check_batch, ego_embeddings, interaction_pairs, register_head, split_nodes)
from .contrast import REDUCTIONS, info_nce
from .simgcl import batch_rows

__all__ = ["SGLHead", "drop_edges", "drop_nodes"]

AUGMENTATIONS = ("nd", "ed", "rw")
View = Union[Graph, List[Graph]]


def drop_edges(num_users: int, num_items: int, users: Tensor, items: Tensor, ratio: float,
               generator: Optional[torch.Generator] = None) -> Graph:
    """Normalised interaction graph keeping ``int(nnz * (1 - ratio))`` random interactions.

    Args:
        num_users, num_items: sizes; users, items: ``[nnz]`` training pairs.
        ratio: share of interactions dropped, in ``[0, 1)``.
        generator: on the pairs' device, or None for the global RNG.
    """
    ratio = check_fraction("drop ratio", ratio)
    n = users.numel()
    keep = torch.randperm(n, generator=generator, device=users.device)[: int(n * (1.0 - ratio))]
    return interaction_graph(num_users, num_items, users[keep], items[keep])


def drop_nodes(num_users: int, num_items: int, users: Tensor, items: Tensor, ratio: float,
               generator: Optional[torch.Generator] = None) -> Graph:
    """Normalised interaction graph without the interactions of ``int(U * ratio)`` random users
    and ``int(I * ratio)`` random items (the dropped nodes keep their ego embedding only)."""
    ratio = check_fraction("drop ratio", ratio)
    dev = users.device
    keep_u = torch.ones(num_users, dtype=torch.bool, device=dev)
    keep_i = torch.ones(num_items, dtype=torch.bool, device=dev)
    keep_u[torch.randperm(num_users, generator=generator, device=dev)[: int(num_users * ratio)]] = False
    keep_i[torch.randperm(num_items, generator=generator, device=dev)[: int(num_items * ratio)]] = False
    keep = keep_u[users] & keep_i[items]
    return interaction_graph(num_users, num_items, users[keep], items[keep])


@register_head("sgl")
class SGLHead(RecSSLHead):
    """SGL's self-supervised task as a plug-in head.

    Needs from the backbone: ``adj`` (to read the training interactions), ``ego``,
    ``num_layers``, ``num_users``, ``num_items``. Call :meth:`new_epoch` at the start of every
    epoch (it draws the two views); the views are then propagated from ``ego`` at every step
    (3 propagations per step counting the host's, as in the paper).

    The loss is ``weight * (InfoNCE_users + InfoNCE_items)`` over the batch's *unique* users
    and positive items, cosine scores at ``temperature``; user and item terms are separate
    (the official ``ssl_mode=both_side``). Defaults are the published ones (ratio 0.1,
    temperature 0.2, weight 0.1, ``conf/SGL.ini`` of wujcan/SGL-Torch). The official code
    takes the negatives from *all* users/items and sums over the batch (its BPR loss is a sum
    too); here ``negatives="all"`` and ``reduction="sum"`` reproduce that, while the defaults
    (in-batch negatives, mean) suit a host whose main loss is a batch mean.

    Expect a slow start with the published settings: the contrastive gradient of the small
    xavier-initialised embeddings dominates at first, the BPR loss stays near ``ln 2`` and
    Recall@20 near zero for several epochs before it climbs (yelp2018: below 0.011 for the
    first 8 epochs; the official SGL-Torch amazon-book log shows the same).

    Args:
        aug: ``"nd"`` node drop, ``"ed"`` edge drop, ``"rw"`` random walk (per-layer edge drop).
        drop_ratio: share of nodes / edges dropped, in ``[0, 1)``.
        temperature: InfoNCE temperature ``> 0``.
        weight: loss multiplier (lambda).
        negatives: ``"batch"`` (other unique ids of the batch) or ``"all"`` (every user / item).
        reduction: ``"mean"`` or ``"sum"`` over the batch's unique ids.
        seed: seed of the head's generator (views); None uses the global RNG.

    Raises:
        ValueError: unknown ``aug`` / ``negatives`` / ``reduction``, ratio or temperature out of range.
    """

    needs = ("adj", "ego", "num_layers", "num_users", "num_items")
    uses_host_embeddings = False

    def __init__(self, aug: str = "ed", drop_ratio: float = 0.1, temperature: float = 0.2, weight: float = 0.1,
                 negatives: str = "batch", reduction: str = "mean", seed: Optional[int] = None) -> None:
        super().__init__(seed)
        aug = str(aug).lower()
        if aug not in AUGMENTATIONS:
            raise ValueError(f"aug must be one of {AUGMENTATIONS}, got {aug!r}")
        if negatives not in ("batch", "all"):
            raise ValueError(f"negatives must be 'batch' or 'all', got {negatives!r}")
        if reduction not in REDUCTIONS[:2]:
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
        self.aug = aug
        self.drop_ratio = check_fraction("drop_ratio", drop_ratio)
        self.temperature = check_positive("temperature", temperature)
        self.weight = float(weight)
        self.negatives, self.reduction = negatives, reduction
        self._views: Optional[Tuple[View, View]] = None

    def _repr_keys(self):
        return ("aug", "drop_ratio", "temperature", "weight", "negatives", "reduction")

    def new_epoch(self, backbone: Any = None, generator: Optional[torch.Generator] = None) -> None:
        """Draw this epoch's two augmented graphs from ``backbone.adj``'s interactions."""
        check_backbone(backbone, ("adj", "num_layers", "num_users", "num_items"), "SGL")
        adj, nu, ni, nl = backbone.adj, int(backbone.num_users), int(backbone.num_items), int(backbone.num_layers)
        users, items = interaction_pairs(adj, nu)
        gen = self.generator(adj.device, generator)

        def one_view() -> View:
            if self.aug == "nd":
                return drop_nodes(nu, ni, users, items, self.drop_ratio, gen)
            if self.aug == "ed":
                return drop_edges(nu, ni, users, items, self.drop_ratio, gen)
            return [drop_edges(nu, ni, users, items, self.drop_ratio, gen) for _ in range(nl)]

        self._views = (one_view(), one_view())

    @property
    def views(self) -> Optional[Tuple[View, View]]:
        """This epoch's two graphs (lists of per-layer graphs for ``"rw"``), or None before
        the first :meth:`new_epoch`."""
        return self._views

    def _check_views(self, nl: int) -> Tuple[View, View]:
        if self._views is None:
            raise RuntimeError("SGLHead.new_epoch(backbone) must be called before the first step "
                               "(once per epoch): it draws the augmented views")
        for view in self._views:
            if isinstance(view, list) and len(view) != nl:
                raise ValueError(f"the random-walk views have {len(view)} layers but backbone.num_layers "
                                 f"is {nl}; call new_epoch again")
        return self._views

    def view_embeddings(self, backbone: Any) -> Tuple[Tuple[Tensor, Tensor], Tuple[Tensor, Tensor]]:
        """``((users_1, items_1), (users_2, items_2))`` LightGCN embeddings of the two views
        (mean over the ``L + 1`` layers, ego included, as the official code).

        Raises:
            RuntimeError: :meth:`new_epoch` was never called.
        """
        ego, nl, nu = ego_embeddings(backbone), int(backbone.num_layers), int(backbone.num_users)
        out = [split_nodes(propagate(view, ego, nl)[0], nu) for view in self._check_views(nl)]
        return out[0], out[1]

    def contrastive_loss(self, users: Tensor, items: Tensor, view1: Tuple[Tensor, Tensor],
                         view2: Tuple[Tensor, Tensor]) -> Tensor:
        """Weighted InfoNCE between the two views' rows of the unique ``users`` and ``items``."""
        total = 0.0
        for ids, a, b in ((users, view1[0], view2[0]), (items, view1[1], view2[1])):
            ids = torch.unique(ids)
            if self.negatives == "all":
                total = total + info_nce(a.index_select(0, ids), None, self.temperature, candidates=b,
                                         pos_index=ids, reduction=self.reduction)
            else:
                total = total + info_nce(a.index_select(0, ids), b.index_select(0, ids), self.temperature,
                                         reduction=self.reduction)
        return self.weight * total

    def forward(self, users: Tensor, pos_items: Tensor, user_emb: Optional[Tensor] = None,
                item_emb: Optional[Tensor] = None, backbone: Any = None, **kwargs: Any) -> Tensor:
        """Weighted SGL loss of the batch (``user_emb`` / ``item_emb`` are not used: SGL
        contrasts its own two views).

        With in-batch negatives the views are needed only at the batch's unique users and
        items, so their last layer is propagated for those rows alone.
        """
        check_backbone(backbone, self.needs, "SGL")
        users, pos_items = check_batch(users, pos_items, None, None, int(backbone.num_users),
                                       int(backbone.num_items))
        if self.negatives == "all":
            v1, v2 = self.view_embeddings(backbone)
            return self.contrastive_loss(users.to(v1[0].device), pos_items.to(v1[0].device), v1, v2)
        ego, nl, nu = ego_embeddings(backbone), int(backbone.num_layers), int(backbone.num_users)
        rows, n = batch_rows(users.to(ego.device), pos_items.to(ego.device), nu)
        a, b = (propagate(view, ego, nl, rows=rows)[0] for view in self._check_views(nl))
        return self.weight * (info_nce(a[:n], b[:n], self.temperature, reduction=self.reduction)
                              + info_nce(a[n:], b[n:], self.temperature, reduction=self.reduction))
