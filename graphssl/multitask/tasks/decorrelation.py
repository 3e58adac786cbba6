"""Decorrelation (CCA-SSG-style; ParetoGNN's ``p_decor``)."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn

from ...augment import Compose, EdgeDrop, FeatureMask
from ...losses import cca_ssg_loss
from ...methods.base import GraphInput
from ..task import PretextTask, register_task

__all__ = ["Decorrelation"]


@register_task("decorrelation")
class Decorrelation(PretextTask):
    """Make two augmented views' standardised embeddings agree while decorrelating the
    feature dimensions of each (the CCA-SSG loss; no head).

    Args:
        in_dim: input feature width (unused).
        emb_dim: encoder output width (unused).
        edge_drop, feature_mask: augmentation rates of each view (ParetoGNN: 0.2, 0.2).
        lambda_: weight of the decorrelation term (ParetoGNN: 1e-3).

    The loss is negative near its optimum (its invariance term is ``-trace``), so it suits
    the ``fixed`` and ``mgda`` (``l2``/``none`` normalisation) weightings, not
    ``uncertainty`` or a loss-normalised MGDA.
    """

    def __init__(self, in_dim: int, emb_dim: int, edge_drop: float = 0.2, feature_mask: float = 0.2,
                 lambda_: float = 1e-3) -> None:
        super().__init__()
        self.augment = Compose([EdgeDrop(edge_drop), FeatureMask(feature_mask)])
        self.lambda_ = lambda_

    def loss(self, encoder: nn.Module, data: GraphInput, generator: Optional[torch.Generator] = None) -> Tensor:
        g1, x1 = self.augment(data.graph, data.x, generator)
        g2, x2 = self.augment(data.graph, data.x, generator)
        return cca_ssg_loss(encoder(g1, x1), encoder(g2, x2), lambda_=self.lambda_)
