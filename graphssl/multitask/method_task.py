"""`MethodTask`: any graphssl SSL method as a task of a :class:`MultiTask`, sharing its
encoder."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn

from ..methods.base import GraphInput, SSLMethod
from .task import PretextTask

__all__ = ["MethodTask"]


class MethodTask(PretextTask):
    """Wrap an :class:`SSLMethod` so that its loss trains the shared encoder.

    On :meth:`bind` the method's encoder attribute (``encoder_attr``, ``"encoder"`` by
    default: GraphMAE, GRACE, DGI, ... keep their encoder there) is replaced by the shared
    encoder, so the method's own augmentations, heads and loss stay as they are and its
    gradient reaches the shared parameters. The method's generator is replaced by the
    multi-task generator; its ``after_step`` hook (an EMA target, for instance) still runs.

    Args:
        method: the SSL method.
        encoder_attr: name of the method's encoder attribute, or None to leave the method
            untouched (it must then already use the shared encoder).

    Raises:
        ValueError: ``method`` is not an SSLMethod, or has no attribute ``encoder_attr``.
    """

    def __init__(self, method: SSLMethod, encoder_attr: Optional[str] = "encoder") -> None:
        super().__init__()
        if not isinstance(method, SSLMethod):
            raise ValueError(f"MethodTask wraps an SSLMethod, got {type(method).__name__}")
        if encoder_attr is not None and not isinstance(getattr(method, encoder_attr, None), nn.Module):
            raise ValueError(f"{type(method).__name__} has no encoder module at .{encoder_attr}; "
                             "pass encoder_attr=None if it already uses the shared encoder")
        self.method = method
        self.encoder_attr = encoder_attr
        self.name = type(method).__name__.lower()

    def bind(self, encoder: nn.Module) -> None:
        """Make the method use ``encoder`` (called by :class:`MultiTask`)."""
        if self.encoder_attr is not None:
            setattr(self.method, self.encoder_attr, encoder)

    def loss(self, encoder: nn.Module, data: GraphInput, generator: Optional[torch.Generator] = None) -> Tensor:
        if generator is not None:
            self.method.generator = generator
        return self.method.loss(data)

    def after_step(self, epoch: int, total_epochs: int) -> None:
        """Forward the trainer's hook to the method (EMA targets)."""
        hook = getattr(self.method, "after_step", None)
        if hook is not None:
            hook(epoch, total_epochs)
