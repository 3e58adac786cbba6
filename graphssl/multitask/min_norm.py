"""The min-norm problem of MGDA (Sener & Koltun, NeurIPS 2018) and the gradient
normalisations ParetoGNN uses.

Given task gradients ``g_1..g_T`` (rows of ``G``), find weights ``w`` on the simplex that
minimise ``|| sum_t w_t g_t ||^2 = w^T M w`` with ``M = G G^T`` the Gram matrix. The
minimiser's combination is a common descent direction for every task, or zero at a
Pareto-stationary point. Everything here works on the small ``T x T`` Gram matrix, so
the gradients themselves never leave their device.

Two tasks have a closed form; more use Frank-Wolfe with away steps and exact line search
(linear convergence on this quadratic), started, as in MGDA's reference solver, from the
best pair of tasks.
"""
from __future__ import annotations

from typing import Sequence, Tuple

import torch
from torch import Tensor

__all__ = ["GRADIENT_NORMALIZATIONS", "min_norm_two", "min_norm_weights", "gradient_normalizers",
           "normalize_gram"]

#: ParetoGNN's ``--grad_norm`` choices: divide each task's gradient by its l2 norm, by its
#: loss, by both, or by nothing.
GRADIENT_NORMALIZATIONS = ("l2", "loss", "loss+", "none")


def min_norm_two(v11: float, v12: float, v22: float) -> Tuple[float, float]:
    """``argmin_{gamma in [0, 1]} || gamma a + (1 - gamma) b ||^2`` from the inner products
    ``v11 = <a, a>``, ``v12 = <a, b>``, ``v22 = <b, b>``.

    Returns:
        ``(gamma, cost)``: the weight of ``a`` and the minimal squared norm.
    """
    denom = v11 + v22 - 2.0 * v12  # = ||a - b||^2 >= 0
    if denom <= 1e-30 * max(v11 + v22, 1e-300):
        gamma = 0.5  # a == b: every mixture is the same point
    else:
        gamma = min(max((v22 - v12) / denom, 0.0), 1.0)
    cost = gamma * gamma * v11 + 2.0 * gamma * (1.0 - gamma) * v12 + (1.0 - gamma) ** 2 * v22
    return gamma, max(cost, 0.0)


def _check_gram(gram: Tensor) -> Tensor:
    if not isinstance(gram, Tensor) or gram.dim() != 2 or gram.size(0) != gram.size(1) or gram.size(0) == 0:
        raise ValueError(f"gram must be a non-empty square [T, T] tensor, got {getattr(gram, 'shape', type(gram))}")
    m = gram.detach().to("cpu", torch.float64)
    if not bool(torch.isfinite(m).all()):
        raise ValueError("the gradient Gram matrix holds NaN or inf (a task gradient is not finite)")
    return 0.5 * (m + m.t())


def min_norm_weights(gram: Tensor, max_iter: int = 1000, tol: float = 1e-10) -> Tensor:
    """Weights ``w`` on the simplex minimising ``w^T gram w``.

    Args:
        gram: ``[T, T]`` Gram matrix ``G G^T`` of the (normalised) task gradients.
        max_iter: Frank-Wolfe iterations at most (``T > 2``).
        tol: stop when the Frank-Wolfe duality gap, an upper bound on the distance of
            ``w^T M w / 2`` to its minimum, falls below ``tol`` times ``w^T M w``.

    Returns:
        ``[T]`` float64 CPU tensor, non-negative, summing to 1.

    Raises:
        ValueError: ``gram`` not square, empty, or not finite.

    Example:
        >>> g = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
        >>> min_norm_weights(g @ g.T).tolist()
        [0.5, 0.5]
    """
    m = _check_gram(gram)
    t = m.size(0)
    if t == 1:
        return torch.ones(1, dtype=torch.float64)
    # The best pair: exact for T == 2, and a good start for Frank-Wolfe.
    best = (float("inf"), 0, 1, 0.5)
    for i in range(t):
        for j in range(i + 1, t):
            gamma, cost = min_norm_two(float(m[i, i]), float(m[i, j]), float(m[j, j]))
            if cost < best[0]:
                best = (cost, i, j, gamma)
    w = torch.zeros(t, dtype=torch.float64)
    w[best[1]], w[best[2]] = best[3], 1.0 - best[3]
    if t == 2:
        return w
    for _ in range(max_iter):
        grad = m @ w  # gradient of w^T M w / 2
        value = float(w @ grad)
        s = int(torch.argmin(grad))
        gap_fw = value - float(grad[s])
        if gap_fw <= tol * max(value, 1e-300):
            break
        active = (w > 0).nonzero().view(-1)
        v = int(active[torch.argmax(grad[active])])
        gap_away = float(grad[v]) - value
        d = -w.clone()
        if gap_fw >= gap_away or float(w[v]) >= 1.0:
            d[s] += 1.0  # toward vertex s
            step_max = 1.0
        else:
            d = -d
            d[v] -= 1.0  # away from vertex v
            step_max = float(w[v]) / (1.0 - float(w[v]))
        curv = float(d @ (m @ d))
        slope = float(grad @ d)
        step = step_max if curv <= 0.0 else min(max(-slope / curv, 0.0), step_max)
        w = (w + step * d).clamp_min(0.0)
        w = w / w.sum()
    return w


def gradient_normalizers(gram: Tensor, losses: Sequence[float], normalization: str) -> Tensor:
    """ParetoGNN's per-task gradient normalisers ``n_t`` (each gradient is divided by its own).

    Args:
        gram: ``[T, T]`` Gram matrix of the raw gradients (its diagonal holds ``||g_t||^2``).
        losses: ``[T]`` current task losses.
        normalization: ``"l2"`` (``||g_t||``), ``"loss"`` (``L_t``), ``"loss+"``
            (``L_t ||g_t||``) or ``"none"`` (1).

    Returns:
        ``[T]`` float64 positive normalisers (zero norms are floored to a tiny value).

    Raises:
        ValueError: unknown normalisation, or a non-positive loss with ``"loss"``/``"loss+"``
            (dividing by it would flip or blow up that task's gradient).
    """
    if normalization not in GRADIENT_NORMALIZATIONS:
        raise ValueError(f"unknown gradient normalization {normalization!r}; expected one of {GRADIENT_NORMALIZATIONS}")
    m = _check_gram(gram)
    norms = m.diagonal().clamp_min(0.0).sqrt()
    loss = torch.as_tensor([float(v) for v in losses], dtype=torch.float64)
    if loss.numel() != m.size(0):
        raise ValueError(f"got {loss.numel()} losses for {m.size(0)} gradients")
    if normalization in ("loss", "loss+") and bool((loss <= 0).any()):
        raise ValueError(f"gradient normalization {normalization!r} divides by the loss, but a task loss is <= 0 "
                         f"({loss.tolist()}); use 'l2' or 'none' with losses that can be negative (e.g. CCA-SSG)")
    if normalization == "l2":
        n = norms
    elif normalization == "loss":
        n = loss
    elif normalization == "loss+":
        n = loss * norms
    else:
        n = torch.ones_like(norms)
    return n.clamp_min(1e-20)


def normalize_gram(gram: Tensor, normalizers: Tensor) -> Tensor:
    """The Gram matrix of ``g_t / n_t``: ``gram / (n n^T)`` (float64, CPU)."""
    m = _check_gram(gram)
    n = normalizers.to(torch.float64)
    return m / torch.outer(n, n)
