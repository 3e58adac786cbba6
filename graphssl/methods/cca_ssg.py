"""CCA-SSG (Zhang et al., NeurIPS 2021): canonical-correlation self-supervision.

Two augmented views (edges dropped, feature columns masked) go through a shared encoder;
each view's embeddings are standardised per dimension and the loss pulls the views
together (invariance) while pushing each view's dimensions apart (soft decorrelation).
No projector, no negatives.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

from torch import Tensor

from ..checks import check_positive
from ..losses import cca_ssg_loss
from ..nn import build_encoder
from .augmented_views import RatePair, augment_view, make_generator, resolve_activation, view_augmenters
from .base import GraphInput, SSLMethod, register_method

__all__ = ["CCASSG"]


@register_method("cca_ssg")
class CCASSG(SSLMethod):
    """CCA-SSG.

    Args:
        in_dim: input feature width.
        hidden_dim: width of the encoder's hidden layers (``hid_dim``, 512).
        out_dim: embedding width (``out_dim``, 512).
        num_layers: encoder depth (2; CiteSeer uses 1).
        encoder: layer name for :func:`graphssl.nn.build_encoder`: ``"gcn"``, or ``"mlp"``
            for the paper's MLP variant (Coauthor-CS, with ``norm: batchnorm``).
        activation: activation between layers (``"relu"``); the last layer is linear.
        norm: normalisation between layers (None; ``"batchnorm"`` for the MLP variant).
        drop_edge_rates: edge-drop probability of each view (``der``).
        drop_feature_rates: feature-column mask probability of each view (``dfr``).
        lam: weight of the decorrelation term (``lambd``).
        augmenters: two augmenter specs overriding the drop settings.
        seed: seeds the method's generator for the augmentations.

    Raises:
        ValueError: a rate outside ``[0, 1)``, negative ``lam``, unknown layer/activation.
    """

    levels = ("node",)

    def __init__(self, in_dim: int, hidden_dim: int = 512, out_dim: int = 512, num_layers: int = 2,
                 encoder: str = "gcn", activation: str = "relu", norm: Optional[str] = None,
                 drop_edge_rates: RatePair = 0.4, drop_feature_rates: RatePair = 0.1, lam: float = 1e-3,
                 augmenters: Optional[Sequence[Any]] = None, seed: Optional[int] = None) -> None:
        super().__init__()
        check_positive("lam", lam, allow_zero=True)
        self.lam = float(lam)
        self.augment1, self.augment2 = view_augmenters(drop_edge_rates, drop_feature_rates, augmenters=augmenters)
        self.encoder = build_encoder(encoder, in_dim=in_dim, hidden_dim=hidden_dim, out_dim=out_dim,
                                     num_layers=num_layers, norm=norm, activation=resolve_activation(activation),
                                     encoding=False)
        self.generator = make_generator(seed)

    def loss(self, data: GraphInput) -> Tensor:
        g1, x1 = augment_view(self.augment1, data, self.generator)
        g2, x2 = augment_view(self.augment2, data, self.generator)
        return cca_ssg_loss(self.encoder(g1, x1), self.encoder(g2, x2), lambda_=self.lam)
