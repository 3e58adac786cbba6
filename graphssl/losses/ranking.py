"""Pairwise ranking losses for recommendation: BPR and the margin ranking (hinge) loss.

Both take scores already computed by the model: ``pos_scores`` ``[B]`` for observed
(user, item) pairs and ``neg_scores`` ``[B]`` or ``[B, K]`` for ``K`` sampled negatives each.
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from ..checks import check_positive
from .registry import register_loss

__all__ = ["bpr_loss", "margin_ranking_loss"]


def _pos_neg(pos_scores: Tensor, neg_scores: Tensor) -> Tensor:
    """``pos_scores`` shaped to broadcast against ``neg_scores``."""
    for name, t in (("pos_scores", pos_scores), ("neg_scores", neg_scores)):
        if not isinstance(t, Tensor) or not t.is_floating_point():
            raise ValueError(f"{name} must be a floating-point tensor, got "
                             f"{t.dtype if isinstance(t, Tensor) else type(t).__name__}")
    if pos_scores.dim() != 1 or pos_scores.numel() == 0:
        raise ValueError(f"pos_scores must be a non-empty 1-D tensor [B], got shape {tuple(pos_scores.shape)}")
    if neg_scores.dim() not in (1, 2) or neg_scores.size(0) != pos_scores.size(0) or neg_scores.numel() == 0:
        raise ValueError(f"neg_scores must have shape [B] or [B, K] with B = {pos_scores.size(0)}, "
                         f"got {tuple(neg_scores.shape)}")
    return pos_scores if neg_scores.dim() == 1 else pos_scores[:, None]


@register_loss("bpr")
def bpr_loss(pos_scores: Tensor, neg_scores: Tensor) -> Tensor:
    """Bayesian personalised ranking: ``mean(-log sigmoid(pos - neg))``.

    Args:
        pos_scores: ``[B]`` scores of observed pairs.
        neg_scores: ``[B]`` or ``[B, K]`` scores of their sampled negatives.

    Raises:
        ValueError: shapes that do not pair up, empty or non-float scores.
    """
    pos = _pos_neg(pos_scores, neg_scores)
    # softplus(neg - pos) == -log(sigmoid(pos - neg)), without underflow for large gaps.
    return F.softplus(neg_scores - pos).mean()


@register_loss("margin_ranking")
def margin_ranking_loss(pos_scores: Tensor, neg_scores: Tensor, margin: float = 1.0) -> Tensor:
    """Hinge ranking loss: ``mean(max(0, margin - (pos - neg)))``.

    Args:
        pos_scores: ``[B]``; neg_scores: ``[B]`` or ``[B, K]``; margin: ``>= 0``.

    Raises:
        ValueError: shapes that do not pair up, empty or non-float scores, negative margin.
    """
    margin = check_positive("margin", margin, allow_zero=True)
    pos = _pos_neg(pos_scores, neg_scores)
    return F.relu(margin - (pos - neg_scores)).mean()
