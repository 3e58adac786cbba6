"""PCGrad (Yu et al., NeurIPS 2020): project each task's gradient onto the normal plane of
every other task gradient it conflicts with (negative inner product), in random order,
then add the projected gradients up.

Every projected gradient is a linear combination of the original ones, so the whole
procedure runs on the ``T x T`` Gram matrix, tracking each projected gradient's
coefficients; the result is one coefficient vector, applied to the gradients on their
device."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from .._random import randperm
from .base import Weighting, register_weighting

__all__ = ["PCGradWeighting", "pcgrad_coefficients"]


def pcgrad_coefficients(gram: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
    """``[T, T]`` matrix ``C`` whose row ``i`` holds the coefficients of task ``i``'s
    projected gradient ``g_i' = sum_k C[i, k] g_k``.

    Args:
        gram: ``[T, T]`` Gram matrix of the task gradients.
        generator: draws each task's projection order.
    """
    m = gram.detach().to("cpu", torch.float64)
    t = m.size(0)
    c = torch.eye(t, dtype=torch.float64)
    for i in range(t):
        for j in randperm(t, generator, torch.device("cpu")).tolist():
            if j == i or float(m[j, j]) <= 0.0:
                continue
            dot = float(c[i] @ m[:, j])  # <g_i', g_j>
            if dot < 0.0:
                c[i, j] -= dot / float(m[j, j])
    return c


@register_weighting("pcgrad")
class PCGradWeighting(Weighting):
    """Projecting conflicting gradients.

    Args:
        num_tasks: number of tasks.
        reduction: ``"sum"`` of the projected gradients (the paper) or ``"mean"``.

    Raises:
        ValueError: unknown reduction.
    """

    needs_gradients = True
    scale_heads = False

    def __init__(self, num_tasks: int, reduction: str = "sum") -> None:
        super().__init__(num_tasks)
        if reduction not in ("sum", "mean"):
            raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
        self.reduction = reduction

    def coefficients(self, gram: Tensor, losses: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
        self._check_losses(losses)
        coef = pcgrad_coefficients(gram, generator).sum(0)
        if self.reduction == "mean":
            coef = coef / self.num_tasks
        self.weights.copy_(coef.to(self.weights))
        return coef

    def extra_repr(self) -> str:
        return f"num_tasks={self.num_tasks}, reduction={self.reduction!r}"
