"""BGRL: bootstrapped graph latents (Thakoor et al., ICLR 2022).

An online GCN encoder plus a predictor MLP learns to predict, for every node, the
embedding a target encoder gives the same node in another augmented view; the target is
an exponential moving average of the online encoder whose momentum follows a cosine
schedule from ``momentum`` up to 1. The loss ``2 - 2 cos`` is symmetrised over the two
views and needs no negatives.
"""
from __future__ import annotations

import copy
import math
from typing import Any, Optional, Sequence

import torch
from torch import Tensor

from ..checks import check_fraction, check_int
from ..losses import bootstrap_loss
from ..nn import MLP, build_encoder
from .augmented_views import RatePair, augment_view, make_generator, resolve_activation, view_augmenters
from .base import GraphInput, SSLMethod, register_method

__all__ = ["BGRL", "cosine_momentum"]


def cosine_momentum(base: float, step: int, total: int) -> float:
    """BGRL's EMA momentum at ``step`` of ``total``: ``1 - (1 - base) * (1 + cos(pi * step /
    total)) / 2``, rising from ``base`` to 1 along a half cosine.

    Raises:
        ValueError: ``base`` outside ``[0, 1]`` or ``total < 1``.
    """
    check_fraction("momentum", base, high_closed=True)
    check_int("total", total)
    step = min(max(step, 0), total)
    return 1.0 - (1.0 - base) * (1.0 + math.cos(math.pi * step / total)) / 2.0


@register_method("bgrl")
class BGRL(SSLMethod):
    """Bootstrapped graph latents.

    Args:
        in_dim: input feature width.
        hidden_dim: width of the encoder's hidden layers (the first entry of BGRL's
            ``graph_encoder_layer``).
        out_dim: embedding width (its last entry).
        num_layers: encoder depth.
        encoder: layer name for :func:`graphssl.nn.build_encoder` (``"gcn"``).
        norm: normalisation after every layer (BGRL: ``"batchnorm"``; or ``"layernorm"``).
        activation: activation after every layer (``"prelu"``).
        predictor_hidden_dim: hidden width of the predictor MLP (512).
        drop_edge_rates, drop_feature_rates: each view's edge-drop and feature-mask rates.
        momentum: base EMA momentum of the target (0.99); raised to 1 by a cosine schedule
            over the training epochs through :meth:`after_step`.
        augmenters: two augmenter specs overriding the drop settings.
        seed: seeds the method's generator for the augmentations.

    The target encoder starts from its own random initialisation (as in BGRL) and is never
    optimised; :meth:`embed` uses the online encoder in eval mode.

    Raises:
        ValueError: a rate or momentum outside its range, an unknown layer/norm/activation.
    """

    levels = ("node",)

    def __init__(self, in_dim: int, hidden_dim: int = 512, out_dim: int = 256, num_layers: int = 2,
                 encoder: str = "gcn", norm: Optional[str] = "batchnorm", activation: str = "prelu",
                 predictor_hidden_dim: int = 512, drop_edge_rates: RatePair = (0.4, 0.1),
                 drop_feature_rates: RatePair = (0.1, 0.2), momentum: float = 0.99,
                 augmenters: Optional[Sequence[Any]] = None, seed: Optional[int] = None) -> None:
        super().__init__()
        self.momentum = check_fraction("momentum", momentum, high_closed=True)
        self.augment1, self.augment2 = view_augmenters(drop_edge_rates, drop_feature_rates, augmenters=augmenters)
        self.encoder = build_encoder(encoder, in_dim=in_dim, hidden_dim=hidden_dim, out_dim=out_dim,
                                     num_layers=num_layers, norm=norm, activation=resolve_activation(activation),
                                     encoding=True)
        self.predictor = MLP(out_dim, predictor_hidden_dim, out_dim, num_layers=2, activation="prelu")
        self.target_encoder = copy.deepcopy(self.encoder)
        self.target_encoder.reset_parameters()
        for p in self.target_encoder.parameters():
            p.requires_grad_(False)
        self.generator = make_generator(seed)
        self.current_momentum = self.momentum

    def loss(self, data: GraphInput) -> Tensor:
        g1, x1 = augment_view(self.augment1, data, self.generator)
        g2, x2 = augment_view(self.augment2, data, self.generator)
        q1 = self.predictor(self.encoder(g1, x1))
        q2 = self.predictor(self.encoder(g2, x2))
        with torch.no_grad():
            self.target_encoder.train(self.training)
            y1, y2 = self.target_encoder(g1, x1), self.target_encoder(g2, x2)
        # Half the sum of the two directions equals BGRL's "2 - cos(q1, y2) - cos(q2, y1)".
        return 0.5 * (bootstrap_loss(q1, y2) + bootstrap_loss(q2, y1))

    @torch.no_grad()
    def after_step(self, epoch: int, total_epochs: int) -> None:
        """EMA update of the target encoder with the cosine-scheduled momentum of ``epoch``."""
        m = cosine_momentum(self.momentum, epoch, max(total_epochs, 1))
        self.current_momentum = m
        for p, q in zip(self.encoder.parameters(), self.target_encoder.parameters()):
            q.mul_(m).add_(p.detach(), alpha=1.0 - m)
