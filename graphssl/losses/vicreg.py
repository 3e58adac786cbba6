"""VICReg (Bardes et al. 2022): variance-invariance-covariance regularisation.

    invariance = mean((z1 - z2)^2)
    variance   = (mean_k relu(gamma - std_k(z1)) + mean_k relu(gamma - std_k(z2))) / 2,
                 std_k = sqrt(var_k + eps) (unbiased variance)
    covariance = sum_{k != l} Cov(z1)_kl^2 / D + sum_{k != l} Cov(z2)_kl^2 / D
    loss = sim_weight * invariance + var_weight * variance + cov_weight * covariance

as in the authors' code (default weights 25, 25, 1).
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from ..checks import check_positive
from .checks import check_embeddings
from .registry import register_loss

__all__ = ["vicreg_loss"]


def _variance_term(z: Tensor, gamma: float, eps: float) -> Tensor:
    return F.relu(gamma - (z.var(0) + eps).sqrt()).mean()


def _covariance_term(z: Tensor) -> Tensor:
    n, d = z.shape
    zc = z - z.mean(0)
    cov = zc.t() @ zc / (n - 1)
    return (cov.pow(2).sum() - cov.diagonal().pow(2).sum()) / d


@register_loss("vicreg")
def vicreg_loss(
    z1: Tensor,
    z2: Tensor,
    sim_weight: float = 25.0,
    var_weight: float = 25.0,
    cov_weight: float = 1.0,
    gamma: float = 1.0,
    eps: float = 1e-4,
) -> Tensor:
    """VICReg loss between two views ``[N, D]`` (row ``i`` of each is the same node).

    Args:
        z1, z2: ``[N, D]`` with ``N >= 2``.
        sim_weight, var_weight, cov_weight: weights of the three terms (``>= 0``).
        gamma: target standard deviation of every dimension.
        eps: added to the variance before the square root.

    Returns:
        A non-negative scalar to minimise.

    Raises:
        ValueError: different shapes, fewer than 2 rows, a negative weight, gamma or eps.
    """
    check_embeddings(z1, z2, same_rows=True, names=("z1", "z2"))
    if z1.size(0) < 2:
        raise ValueError(f"VICReg needs at least 2 rows for batch statistics, got {z1.size(0)}")
    sim_weight, var_weight, cov_weight, gamma, eps = (
        check_positive(name, v, allow_zero=True) for name, v in
        (("sim_weight", sim_weight), ("var_weight", var_weight), ("cov_weight", cov_weight),
         ("gamma", gamma), ("eps", eps)))
    invariance = F.mse_loss(z1, z2)
    variance = 0.5 * (_variance_term(z1, gamma, eps) + _variance_term(z2, gamma, eps))
    covariance = _covariance_term(z1) + _covariance_term(z2)
    return sim_weight * invariance + var_weight * variance + cov_weight * covariance
