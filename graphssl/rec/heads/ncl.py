"""NCL (Lin et al., WWW 2022): neighbourhood-enriched contrastive learning. A *structural*
term contrasts each node's even-layer output (its structural neighbours) with its ego
embedding; a *prototype* term pulls each ego embedding to its k-means centroid."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from ...checks import check_positive
from .base import RecSSLHead, check_backbone, check_batch, ego_embeddings, propagate_layers, register_head, split_nodes
from .contrast import REDUCTIONS, info_nce
from .kmeans import kmeans

__all__ = ["NCLHead"]


@register_head("ncl")
class NCLHead(RecSSLHead):
    """NCL's two auxiliary losses as a plug-in head.

    Needs from the backbone: ``ego``, ``num_users``, ``num_items``, and ``adj`` unless the
    host passes its layer outputs (``layers=[E_0, ..., E_L]``, ``L >= 2 * hyper_layers``) to
    ``forward``. Call :meth:`new_epoch` at the start of every epoch: after ``warmup_epochs``
    calls it reruns k-means (seeded, in torch) on the ego embeddings; before that the
    prototype term is 0 (the official warm-up).

    Loss (official RUCAIBox/NCL ``ncl.py``): ``ssl_weight * (S_users + alpha * S_items) +
    proto_weight * (P_users + P_items)`` over the batch's users and positive items (with
    repeats), where ``S`` is InfoNCE between the layer-``2 * hyper_layers`` output and the ego
    embedding with every user (item) as a candidate, and ``P`` InfoNCE between the ego
    embedding and the normalised centroids with every centroid as a candidate; cosine scores,
    ``reduction="sum"`` as in the official code (its weights are calibrated for sums).

    Defaults are the official yelp config (``tau 0.05, ssl_reg 1e-6, alpha 1.5, proto_reg 1e-7,
    2000 clusters, hyper_layers 1``); its gowalla config uses ``alpha 0.5, proto_reg 5e-8``.

    Args:
        num_clusters: k of k-means for users and items (each must have at least k rows).
        temperature: InfoNCE temperature.
        ssl_weight, proto_weight: multipliers of the structural and prototype terms.
        alpha: weight of the item structural term.
        hyper_layers: the structural neighbours are layer ``2 * hyper_layers``.
        warmup_epochs: ``new_epoch`` calls before prototypes are first computed.
        kmeans_iters: Lloyd iterations per k-means.
        negatives: ``"all"`` (official) or ``"batch"`` (the batch's other ids) for the
            structural term.
        reduction: ``"sum"`` (official) or ``"mean"``.
        seed: seed of the head's generator (k-means initialisation).

    Raises:
        ValueError: out-of-range arguments.
    """

    needs = ("adj", "ego", "num_users", "num_items")

    def __init__(self, num_clusters: int = 2000, temperature: float = 0.05, ssl_weight: float = 1e-6,
                 proto_weight: float = 1e-7, alpha: float = 1.5, hyper_layers: int = 1, warmup_epochs: int = 20,
                 kmeans_iters: int = 25, negatives: str = "all", reduction: str = "sum",
                 seed: Optional[int] = None) -> None:
        super().__init__(seed)
        if not isinstance(num_clusters, int) or num_clusters < 1:
            raise ValueError(f"num_clusters must be an int >= 1, got {num_clusters!r}")
        if not isinstance(hyper_layers, int) or hyper_layers < 1:
            raise ValueError(f"hyper_layers must be an int >= 1, got {hyper_layers!r}")
        if warmup_epochs < 0 or kmeans_iters < 1:
            raise ValueError(f"warmup_epochs must be >= 0 and kmeans_iters >= 1, got {warmup_epochs}, {kmeans_iters}")
        if negatives not in ("all", "batch"):
            raise ValueError(f"negatives must be 'all' or 'batch', got {negatives!r}")
        if reduction not in REDUCTIONS[:2]:
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
        self.num_clusters, self.hyper_layers = num_clusters, hyper_layers
        self.temperature = check_positive("temperature", temperature)
        self.ssl_weight, self.proto_weight, self.alpha = float(ssl_weight), float(proto_weight), float(alpha)
        self.warmup_epochs, self.kmeans_iters = int(warmup_epochs), int(kmeans_iters)
        self.negatives, self.reduction = negatives, reduction
        self.epoch = 0
        self.register_buffer("user_centroids", None, persistent=False)
        self.register_buffer("user_clusters", None, persistent=False)
        self.register_buffer("item_centroids", None, persistent=False)
        self.register_buffer("item_clusters", None, persistent=False)

    def _repr_keys(self):
        return ("num_clusters", "temperature", "ssl_weight", "proto_weight", "alpha", "hyper_layers",
                "warmup_epochs")

    @property
    def has_prototypes(self) -> bool:
        """Whether k-means has run (the prototype term is active)."""
        return self.user_centroids is not None

    def new_epoch(self, backbone: Any = None, generator: Optional[torch.Generator] = None) -> None:
        """Count an epoch; once past the warm-up, recompute the prototypes (k-means on ego).

        Raises:
            ValueError: fewer users or items than ``num_clusters``, or a bad backbone.
        """
        check_backbone(backbone, ("ego", "num_users", "num_items"), "NCL")
        self.epoch += 1
        if self.epoch <= self.warmup_epochs:
            return
        ego = ego_embeddings(backbone).detach()
        nu = int(backbone.num_users)
        gen = self.generator(ego.device, generator)
        for part, x in zip(("user", "item"), split_nodes(ego, nu)):
            if x.size(0) < self.num_clusters:
                raise ValueError(f"num_clusters={self.num_clusters} exceeds the number of {part}s ({x.size(0)})")
            c, a = kmeans(x, self.num_clusters, self.kmeans_iters, gen)
            setattr(self, f"{part}_centroids", F.normalize(c, dim=1))
            setattr(self, f"{part}_clusters", a)

    def layers_needed(self, backbone: Any = None) -> int:
        """Layers beyond ``E_0`` that :meth:`forward`'s ``layers=`` must hold (``2 * hyper_layers``)."""
        return 2 * self.hyper_layers

    def _layers(self, backbone: Any, layers: Optional[Sequence[Tensor]]) -> List[Tensor]:
        need = 2 * self.hyper_layers
        if layers is not None:
            layers = list(layers)
            if len(layers) < need + 1:
                raise ValueError(f"NCL needs layers E_0..E_{need} (hyper_layers={self.hyper_layers}), "
                                 f"got {len(layers)} layer(s)")
            return layers
        check_backbone(backbone, self.needs, "NCL")
        return propagate_layers(backbone.adj, ego_embeddings(backbone), need)

    def _structural(self, ids: Tensor, context: Tensor, center: Tensor) -> Tensor:
        if self.negatives == "all":
            return info_nce(context[ids], None, self.temperature, candidates=center, pos_index=ids,
                            reduction=self.reduction)
        return info_nce(context[ids], center[ids], self.temperature, reduction=self.reduction)

    def forward(self, users: Tensor, pos_items: Tensor, user_emb: Optional[Tensor] = None,
                item_emb: Optional[Tensor] = None, backbone: Any = None,
                layers: Optional[Sequence[Tensor]] = None, **kwargs: Any) -> Tensor:
        """Weighted NCL loss of the batch.

        Args:
            layers: optional ``[E_0, ..., E_L]`` (``[U + I, d]`` each) from the host's
                propagation, which saves recomputing ``2 * hyper_layers`` layers.
        """
        if backbone is None and layers is None:
            raise ValueError("the NCL head needs backbone=... (ego, adj, num_users, num_items) or layers=[...]")
        nu = int(backbone.num_users) if backbone is not None else (user_emb.size(0) if user_emb is not None else None)
        if nu is None:
            raise ValueError("NCL needs num_users: pass backbone or user_emb")
        layers = self._layers(backbone, layers)
        center, context = layers[0], layers[2 * self.hyper_layers]
        users, pos_items = check_batch(users, pos_items, None, None, nu, center.size(0) - nu)
        users, pos_items = users.to(center.device), pos_items.to(center.device)
        (cu, ci), (xu, xi) = split_nodes(center, nu), split_nodes(context, nu)
        loss = self.ssl_weight * (self._structural(users, xu, cu) + self.alpha * self._structural(pos_items, xi, ci))
        if self.has_prototypes:
            proto = 0.0
            for ids, emb, cents, assign in ((users, cu, self.user_centroids, self.user_clusters),
                                            (pos_items, ci, self.item_centroids, self.item_clusters)):
                if assign.numel() != emb.size(0):
                    raise ValueError("the prototypes were computed for another number of nodes; call new_epoch")
                proto = proto + info_nce(emb[ids], None, self.temperature, candidates=cents,
                                         pos_index=assign[ids], reduction=self.reduction)
            loss = loss + self.proto_weight * proto
        return loss
