"""Barlow Twins (Zbontar et al. 2021; G-BT for graphs): the cross-correlation of the two
batch-standardised views should be the identity.

    C = z1_std.T @ z2_std / N
    loss = sum_k (1 - C_kk)^2 + lambda * sum_{k != l} C_kl^2
"""
from __future__ import annotations

from typing import Optional

from torch import Tensor

from ..checks import check_positive
from .checks import check_embeddings
from .registry import register_loss

__all__ = ["barlow_twins_loss", "batch_standardize"]


def batch_standardize(z: Tensor, eps: float = 1e-5) -> Tensor:
    """Columns of ``z`` ``[N, D]`` to zero mean and unit (biased) variance, as BatchNorm
    without affine parameters: ``(z - mean) / sqrt(var + eps)``."""
    return (z - z.mean(0)) / (z.var(0, unbiased=False) + eps).sqrt()


@register_loss("barlow_twins")
def barlow_twins_loss(z1: Tensor, z2: Tensor, lambda_: Optional[float] = None, eps: float = 1e-5) -> Tensor:
    """Barlow Twins loss between two views ``[N, D]`` (row ``i`` of each is the same node).

    Args:
        z1, z2: ``[N, D]`` with ``N >= 2``.
        lambda_: weight of the off-diagonal (redundancy) term; ``None`` means ``1 / D``
            (as G-BT and PyGCL).
        eps: added to the variance when standardising.

    Returns:
        A non-negative scalar to minimise.

    Raises:
        ValueError: different shapes, fewer than 2 rows, negative ``lambda_`` or ``eps``.
    """
    check_embeddings(z1, z2, same_rows=True, names=("z1", "z2"))
    n, d = z1.shape
    if n < 2:
        raise ValueError(f"Barlow Twins needs at least 2 rows to standardise the batch, got {n}")
    lam = 1.0 / d if lambda_ is None else check_positive("lambda_", lambda_, allow_zero=True)
    eps = check_positive("eps", eps, allow_zero=True)
    c = batch_standardize(z1, eps).t() @ batch_standardize(z2, eps) / n
    diag = c.diagonal()
    on_diag = (1 - diag).pow(2).sum()
    off_diag = c.pow(2).sum() - diag.pow(2).sum()
    return on_diag + lam * off_diag
