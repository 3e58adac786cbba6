"""Fixed task weights: the update is the gradient of ``sum_t w_t L_t``."""
from __future__ import annotations

from typing import Optional, Sequence

import torch
from torch import Tensor

from .base import Weighting, register_weighting

__all__ = ["FixedWeighting"]


@register_weighting("fixed")
class FixedWeighting(Weighting):
    """Constant weights ``w_t`` (default 1 each: the plain sum of the task losses).

    Args:
        num_tasks: number of tasks.
        weights: ``[T]`` finite non-negative weights, not all zero.

    Raises:
        ValueError: wrong count, negative or non-finite weights, all zero.

    Example:
        >>> FixedWeighting(2, weights=[1.0, 0.5]).combine_losses(torch.tensor([2.0, 4.0]))
        tensor(4.)
    """

    def __init__(self, num_tasks: int, weights: Optional[Sequence[float]] = None) -> None:
        super().__init__(num_tasks)
        w = torch.ones(num_tasks) if weights is None else torch.as_tensor([float(v) for v in weights])
        if w.shape != (num_tasks,):
            raise ValueError(f"weights must hold {num_tasks} values, got {w.numel()}")
        if not bool(torch.isfinite(w).all()) or bool((w < 0).any()) or float(w.sum()) == 0.0:
            raise ValueError(f"weights must be finite, non-negative and not all zero, got {w.tolist()}")
        self.weights.copy_(w)

    def combine_losses(self, losses: Tensor) -> Tensor:
        self._check_losses(losses)
        return (self.weights.to(losses.dtype) * losses).sum()

    def extra_repr(self) -> str:
        return f"weights={[round(float(v), 4) for v in self.weights]}"
