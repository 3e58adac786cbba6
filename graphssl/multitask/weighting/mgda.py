"""MGDA (Sener & Koltun, NeurIPS 2018) as in ParetoGNN: normalise each task's gradient on
the shared parameters, find the min-norm point of their convex hull, and step along the
raw gradients combined with those weights."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from ..min_norm import GRADIENT_NORMALIZATIONS, gradient_normalizers, min_norm_weights, normalize_gram
from .base import Weighting, register_weighting

__all__ = ["MGDAWeighting"]


@register_weighting("mgda")
class MGDAWeighting(Weighting):
    """Multiple-gradient descent with the min-norm solver.

    Args:
        num_tasks: number of tasks.
        normalization: ``"l2"`` (ParetoGNN's default), ``"loss"``, ``"loss+"`` or
            ``"none"``; see :func:`graphssl.multitask.min_norm.gradient_normalizers`.
        max_iter, tol: Frank-Wolfe settings of :func:`min_norm_weights` (``T > 2``).

    The weights ``w`` (on the simplex) are found for the normalised gradients and applied
    to the raw ones, ``sum_t w_t g_t``, as ParetoGNN and MGDA's reference code do (their
    second pass back-propagates ``sum_t w_t L_t``). Task heads get their own unscaled
    gradients.

    Raises:
        ValueError: unknown normalisation.
    """

    needs_gradients = True
    scale_heads = False

    def __init__(self, num_tasks: int, normalization: str = "l2", max_iter: int = 1000, tol: float = 1e-10) -> None:
        super().__init__(num_tasks)
        if normalization not in GRADIENT_NORMALIZATIONS:
            raise ValueError(f"unknown gradient normalization {normalization!r}; "
                             f"expected one of {GRADIENT_NORMALIZATIONS}")
        self.normalization, self.max_iter, self.tol = normalization, max_iter, tol

    def coefficients(self, gram: Tensor, losses: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
        self._check_losses(losses)
        n = gradient_normalizers(gram, losses.tolist(), self.normalization)
        w = min_norm_weights(normalize_gram(gram, n), self.max_iter, self.tol)
        self.weights.copy_(w.to(self.weights))
        return w

    def extra_repr(self) -> str:
        return f"num_tasks={self.num_tasks}, normalization={self.normalization!r}"
