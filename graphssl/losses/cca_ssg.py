"""CCA-SSG (Zhang et al., NeurIPS 2021): an invariance term plus a soft decorrelation of
each standardised view, as in the authors' code.

    Z~ = (Z - mean) / std / sqrt(N)          (per column, unbiased std)
    invariance    = -trace(Z~1.T @ Z~2)      (= ||Z~1 - Z~2||_F^2 / 2 up to a constant)
    decorrelation = ||Z~1.T @ Z~1 - I||_F^2 + ||Z~2.T @ Z~2 - I||_F^2
    loss = invariance + lambda * decorrelation
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..checks import check_positive
from .checks import check_embeddings
from .registry import register_loss

__all__ = ["cca_ssg_loss"]


def _standardize(z: Tensor, eps: float) -> Tensor:
    # The clamp only matters for a constant column (std 0), which would otherwise give NaN.
    return (z - z.mean(0)) / z.std(0).clamp_min(eps) / z.size(0) ** 0.5


@register_loss("cca_ssg")
def cca_ssg_loss(z1: Tensor, z2: Tensor, lambda_: float = 1e-3, eps: float = 1e-8) -> Tensor:
    """CCA-SSG loss between two views ``[N, D]`` (row ``i`` of each is the same node).

    Args:
        z1, z2: ``[N, D]`` with ``N >= 2``.
        lambda_: weight of the decorrelation term (the paper tunes it per dataset;
            ``1e-3`` is its Cora value).
        eps: lower bound of a column's standard deviation.

    Returns:
        A scalar to minimise (negative at the optimum: the invariance term is ``-trace``).

    Raises:
        ValueError: different shapes, fewer than 2 rows, negative ``lambda_`` or ``eps``.
    """
    check_embeddings(z1, z2, same_rows=True, names=("z1", "z2"))
    if z1.size(0) < 2:
        raise ValueError(f"CCA-SSG needs at least 2 rows to standardise the batch, got {z1.size(0)}")
    lam = check_positive("lambda_", lambda_, allow_zero=True)
    eps = check_positive("eps", eps, allow_zero=True)
    h1, h2 = _standardize(z1, eps), _standardize(z2, eps)
    eye = torch.eye(z1.size(1), dtype=z1.dtype, device=z1.device)
    invariance = -(h1 * h2).sum()
    decorrelation = (h1.t() @ h1 - eye).pow(2).sum() + (h2.t() @ h2 - eye).pow(2).sum()
    return invariance + lam * decorrelation
