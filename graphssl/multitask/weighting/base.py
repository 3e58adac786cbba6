"""The `Weighting` base class and the weighting registry.

A weighting turns the per-task losses of a :class:`~graphssl.multitask.MultiTask` into
one update of the shared encoder. Two kinds exist:

* loss-based (``needs_gradients = False``: fixed weights, uncertainty weighting): one
  backward pass through :meth:`Weighting.combine_losses`, a scalar;
* gradient-based (``needs_gradients = True``: MGDA, PCGrad): each task's gradient on the
  shared parameters is computed separately and :meth:`Weighting.coefficients` returns the
  ``[T]`` coefficients of the combination ``sum_t c_t g_t``, computed from the ``T x T``
  Gram matrix of the gradients alone (the gradients stay on their device).
"""
from __future__ import annotations

from typing import Any, Mapping, Optional, Union

import torch
from torch import Tensor, nn

from ...registry import Registry

__all__ = ["Weighting", "WEIGHTINGS", "register_weighting", "build_weighting"]


class Weighting(nn.Module):
    """Base class of the task weightings.

    Args:
        num_tasks: number of tasks ``T`` (>= 1).

    Attributes:
        needs_gradients: True when the weighting needs each task's gradient.
        scale_heads: whether a task's own parameters (heads) get their gradient scaled by
            the task's coefficient (as a backward pass through a weighted sum does) or
            unscaled (MGDA's and PCGrad's convention: only the shared parameters are
            reconciled; a head only ever sees its own loss).
        weights: ``[T]`` buffer with the last effective per-task weights (for logging and
            for :meth:`MultiTask.loss`); uniform ``1 / T`` before the first step.

    Raises:
        ValueError: ``num_tasks < 1``.
    """

    name: str = ""
    needs_gradients: bool = False
    scale_heads: bool = True

    def __init__(self, num_tasks: int) -> None:
        super().__init__()
        if not isinstance(num_tasks, int) or num_tasks < 1:
            raise ValueError(f"num_tasks must be a positive int, got {num_tasks!r}")
        self.num_tasks = num_tasks
        self.register_buffer("weights", torch.full((num_tasks,), 1.0 / num_tasks), persistent=False)

    def _check_losses(self, losses: Tensor) -> None:
        if losses.shape != (self.num_tasks,):
            raise ValueError(f"expected {self.num_tasks} task losses, got shape {tuple(losses.shape)}")

    def combine_losses(self, losses: Tensor) -> Tensor:
        """The scalar whose gradient is the update (loss-based weightings).

        Args:
            losses: ``[T]`` task losses (with their autograd graphs).
        """
        raise NotImplementedError(f"{type(self).__name__} combines gradients, not losses")

    def coefficients(self, gram: Tensor, losses: Tensor, generator: Optional[torch.Generator] = None) -> Tensor:
        """``[T]`` coefficients of the combined shared gradient (gradient-based weightings).

        Args:
            gram: ``[T, T]`` Gram matrix ``G G^T`` of the raw task gradients (float64, CPU).
            losses: ``[T]`` detached task losses.
            generator: for weightings with random choices (PCGrad's task order).
        """
        raise NotImplementedError(f"{type(self).__name__} combines losses, not gradients")

    def extra_repr(self) -> str:
        return f"num_tasks={self.num_tasks}"


WEIGHTINGS: Registry = Registry("weighting")


def register_weighting(name: str):
    """Class decorator registering a :class:`Weighting` subclass under ``name``."""
    deco = WEIGHTINGS.register(name)

    def wrap(cls):
        if not (isinstance(cls, type) and issubclass(cls, Weighting)):
            raise ValueError(f"register_weighting({name!r}) needs a Weighting subclass, got {cls!r}")
        if not cls.name:
            cls.name = name.lower()
        return deco(cls)
    return wrap


def build_weighting(spec: Union[str, Mapping[str, Any], Weighting], num_tasks: int, **kwargs: Any) -> Weighting:
    """Build a weighting from a name, a config mapping (``{"name": "mgda", "normalization":
    "l2"}``) or an instance (returned as is after checking its task count).

    Raises:
        ValueError: unknown name (listing the known ones), a mapping without ``"name"``,
            arguments the weighting does not take, or an instance for another task count.
    """
    if isinstance(spec, Weighting):
        if kwargs:
            raise ValueError("build_weighting got a Weighting instance and extra arguments")
        if spec.num_tasks != num_tasks:
            raise ValueError(f"the weighting was built for {spec.num_tasks} tasks, but there are {num_tasks}")
        return spec
    return WEIGHTINGS.build(spec, num_tasks, **kwargs)
