"""SSL losses. Each takes plain tensors, so any method (or user code) can use it."""
from .sce import sce_loss

__all__ = ["sce_loss"]
