"""Scaled cosine error (GraphMAE): ``mean((1 - cos(x, y)) ** alpha)``."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from .registry import register_loss

__all__ = ["sce_loss"]


@register_loss("sce")
def sce_loss(pred: Tensor, target: Tensor, alpha: float = 2.0) -> Tensor:
    """Scaled cosine error between rows of ``pred`` and ``target`` (both ``[N, D]``).

    ``alpha >= 1`` down-weights easy rows (those already well reconstructed).

    Raises:
        ValueError: shapes differ or ``alpha < 1``.
    """
    if pred.shape != target.shape:
        raise ValueError(f"pred and target shapes differ: {tuple(pred.shape)} vs {tuple(target.shape)}")
    if alpha < 1:
        raise ValueError(f"alpha must be >= 1, got {alpha}")
    cos = (F.normalize(pred, dim=-1) * F.normalize(target, dim=-1)).sum(-1)
    return (1 - cos).pow(alpha).mean()
