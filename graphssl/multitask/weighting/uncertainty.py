"""Uncertainty weighting (Kendall, Gal & Cipolla, CVPR 2018): each task has a learnable
log-variance ``s_t`` and the objective is ``sum_t exp(-s_t) L_t + s_t``, so a task whose
loss stays large is down-weighted, and the ``+ s_t`` term stops all weights from vanishing."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from .base import Weighting, register_weighting

__all__ = ["UncertaintyWeighting"]


@register_weighting("uncertainty")
class UncertaintyWeighting(Weighting):
    """Learned homoscedastic-uncertainty weights ``exp(-s_t)``.

    Args:
        num_tasks: number of tasks.
        init_log_var: initial ``s_t`` (0: every weight starts at 1).

    The log-variances are parameters of this module, so the trainer's optimiser updates
    them with the encoder. The objective assumes non-negative losses (its minimiser in
    ``s_t`` is ``log L_t``): a negative loss (CCA-SSG's is negative near its optimum)
    raises ``ValueError`` rather than sending ``s_t`` to minus infinity.

    Example:
        >>> w = UncertaintyWeighting(2)
        >>> float(w.combine_losses(torch.tensor([1.0, 3.0])))
        4.0
    """

    def __init__(self, num_tasks: int, init_log_var: float = 0.0) -> None:
        super().__init__(num_tasks)
        self.log_vars = nn.Parameter(torch.full((num_tasks,), float(init_log_var)))
        self.weights.copy_(torch.exp(-self.log_vars.detach()))

    def combine_losses(self, losses: Tensor) -> Tensor:
        self._check_losses(losses)
        if bool((losses.detach() < 0).any()):
            raise ValueError(f"uncertainty weighting needs non-negative task losses, got {losses.detach().tolist()}; "
                             "use the 'fixed' or 'mgda' weighting with losses that can be negative")
        s = self.log_vars.to(losses.dtype)
        with torch.no_grad():
            self.weights.copy_(torch.exp(-s))
        return (torch.exp(-s) * losses + s).sum()
