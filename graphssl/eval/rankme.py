"""RankMe (Garrido et al., 2023): the effective rank of an embedding matrix, a label-free
signal of representation quality usable for early stopping and model selection."""
from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["rankme"]


def rankme(embeddings: Tensor, eps: float = 1e-7) -> float:
    """``exp(entropy(p))`` with ``p = s / sum(s) + eps`` over the singular values ``s``.

    Ranges from 1 (collapsed) to ``min(N, D)`` (all directions used equally).

    Raises:
        ValueError: not a 2-D matrix, or it contains NaN/inf.
    """
    if embeddings.dim() != 2:
        raise ValueError(f"embeddings must be [N, D], got shape {tuple(embeddings.shape)}")
    if not bool(torch.isfinite(embeddings).all()):
        raise ValueError("embeddings contain NaN or inf")
    s = torch.linalg.svdvals(embeddings.detach().double())
    if float(s.sum()) == 0.0:
        return 1.0
    p = s / s.sum() + eps
    return float(torch.exp(-(p * p.log()).sum()))
