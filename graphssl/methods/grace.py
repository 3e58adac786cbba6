"""GRACE (Zhu et al., 2020) and GCA (Zhu et al., WWW 2021).

Two views of the graph (edges dropped, feature columns masked) go through a shared GCN
encoder and a projection head (``Linear -> ELU -> Linear``); the loss is NT-Xent with
inter- and intra-view negatives, averaged over both directions, computed in chunks so
memory stays ``O(N x chunk)``. GCA is GRACE whose drops are centrality-weighted: edges
into central nodes and features carried by central nodes are dropped less.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

from torch import Tensor

from ..checks import check_fraction, check_positive
from ..augment.centrality import CENTRALITIES
from ..losses import nt_xent_loss
from ..nn import MLP, build_encoder
from .augmented_views import RatePair, augment_view, make_generator, resolve_activation, view_augmenters
from .base import GraphInput, SSLMethod, register_method

__all__ = ["GRACE", "GCA"]


@register_method("grace")
class GRACE(SSLMethod):
    """Graph contrastive representation learning with node-level NT-Xent.

    Args:
        in_dim: input feature width.
        hidden_dim: width of the encoder's hidden layers (GRACE: twice ``out_dim``).
        out_dim: embedding width (GRACE's ``num_hidden``).
        proj_dim: hidden width of the projection head (``num_proj_hidden``).
        num_layers: encoder depth (>= 1; GRACE uses 2).
        encoder: layer name for :func:`graphssl.nn.build_encoder` (``"gcn"``).
        activation: activation after every layer, the last included (``"relu"``,
            ``"prelu"``, ``"rrelu"``, ...).
        drop_edge_rates: edge-drop probability of each view (a number for both or a pair).
        drop_feature_rates: feature-column mask probability of each view.
        tau: temperature of NT-Xent (> 0).
        chunk_size: rows per similarity block of the loss (default: about 8M entries).
        adaptive: None (uniform drops, GRACE) or a centrality, ``"degree"``,
            ``"pagerank"`` or ``"eigenvector"`` (GCA's adaptive drops).
        max_drop_rate: cap of any adaptive drop probability (GCA's threshold 0.7).
        feature_weighting: how GCA weights features by the nodes carrying them:
            ``"occurrence"`` (bag-of-words features) or ``"magnitude"`` (dense ones, WikiCS).
        augmenters: two augmenter specs overriding the drop settings (see
            :func:`graphssl.methods.augmented_views.view_augmenters`).
        seed: seeds the method's generator for the augmentations.

    Raises:
        ValueError: a rate outside ``[0, 1)``, ``tau <= 0``, an unknown layer, activation or
            centrality name.
    """

    levels = ("node",)

    default_adaptive: Optional[str] = None

    def __init__(self, in_dim: int, hidden_dim: int = 256, out_dim: int = 128, proj_dim: int = 128,
                 num_layers: int = 2, encoder: str = "gcn", activation: str = "relu",
                 drop_edge_rates: RatePair = (0.2, 0.4), drop_feature_rates: RatePair = (0.3, 0.4),
                 tau: float = 0.4, chunk_size: Optional[int] = None, adaptive: Optional[str] = "default",
                 max_drop_rate: float = 0.7, feature_weighting: str = "occurrence",
                 augmenters: Optional[Sequence[Any]] = None, seed: Optional[int] = None) -> None:
        super().__init__()
        if adaptive == "default":
            adaptive = self.default_adaptive
        if adaptive is not None and adaptive not in CENTRALITIES:
            raise ValueError(f"adaptive must be None or one of {CENTRALITIES}, got {adaptive!r}")
        check_positive("tau", tau)
        check_fraction("max_drop_rate", max_drop_rate, high_closed=True)
        self.tau, self.chunk_size, self.adaptive = float(tau), chunk_size, adaptive
        self.augment1, self.augment2 = view_augmenters(drop_edge_rates, drop_feature_rates, adaptive, max_drop_rate,
                                                       feature_weighting, augmenters)
        self.encoder = build_encoder(encoder, in_dim=in_dim, hidden_dim=hidden_dim, out_dim=out_dim,
                                     num_layers=num_layers, activation=resolve_activation(activation), encoding=True)
        self.projector = MLP(out_dim, proj_dim, out_dim, num_layers=2, activation="elu")
        self.generator = make_generator(seed)

    def views(self, data: GraphInput) -> tuple:
        """Encoder outputs ``(z1, z2)`` ``[N, out_dim]`` of two fresh augmented views."""
        g1, x1 = augment_view(self.augment1, data, self.generator)
        g2, x2 = augment_view(self.augment2, data, self.generator)
        return self.encoder(g1, x1), self.encoder(g2, x2)

    def loss(self, data: GraphInput) -> Tensor:
        z1, z2 = self.views(data)
        return nt_xent_loss(self.projector(z1), self.projector(z2), tau=self.tau, chunk_size=self.chunk_size)


@register_method("gca")
class GCA(GRACE):
    """GCA: GRACE with adaptive, centrality-weighted edge and feature drops.

    Same arguments as :class:`GRACE`; ``adaptive`` defaults to ``"degree"`` (GCA-DE;
    ``"pagerank"`` is GCA-PR, ``"eigenvector"`` GCA-EV) and must not be None.

    Raises:
        ValueError: as :class:`GRACE`, or ``adaptive=None``.
    """

    default_adaptive = "degree"

    def __init__(self, in_dim: int, **kwargs: Any) -> None:
        if "adaptive" in kwargs and kwargs["adaptive"] is None and "augmenters" not in kwargs:
            raise ValueError("GCA needs an adaptive centrality ('degree', 'pagerank' or 'eigenvector'); "
                             "use method 'grace' for uniform drops")
        super().__init__(in_dim, **kwargs)
