"""Graph-level readout: sum / mean / max of node features per graph of a batch."""
from __future__ import annotations

from typing import Union

from torch import Tensor, nn

from ..sparse.batch import GraphBatch
from ..sparse.ops import segment_reduce

__all__ = ["global_pool", "sum_pool", "mean_pool", "max_pool", "GlobalPool"]

_REDUCES = ("sum", "mean", "max")


def _ptr(index: Union[GraphBatch, Tensor], num_rows: int) -> Tensor:
    if isinstance(index, GraphBatch):
        ptr = index.ptr
    elif isinstance(index, Tensor):
        ptr = index
    else:
        raise ValueError(f"pooling needs a GraphBatch or a ptr tensor, got {type(index).__name__}")
    if ptr.dim() != 1 or ptr.numel() == 0 or ptr.dtype.is_floating_point:
        raise ValueError(f"ptr must be a 1-D integer tensor of node offsets [B + 1], got "
                         f"{ptr.dtype} {tuple(ptr.shape)}")
    if int(ptr[-1]) != num_rows:
        raise ValueError(f"ptr ends at {int(ptr[-1])} but x has {num_rows} rows (one per node of the batch)")
    return ptr


def global_pool(x: Tensor, index: Union[GraphBatch, Tensor], reduce: str = "mean") -> Tensor:
    """Pool node features graph by graph.

    Args:
        x: ``[N, F]`` node features, stored graph after graph (as in a :class:`GraphBatch`).
        index: the :class:`GraphBatch`, or its ``ptr [B + 1]`` node offsets.
        reduce: ``"sum"``, ``"mean"`` or ``"max"``; a graph without nodes gives 0.

    Returns:
        ``[B, F]``.

    Raises:
        ValueError: unknown ``reduce`` or offsets that do not cover ``x``.
    """
    if reduce not in _REDUCES:
        raise ValueError(f"reduce must be one of {_REDUCES}, got {reduce!r}")
    if not isinstance(x, Tensor) or x.dim() != 2:
        raise ValueError(f"x must be a [N, F] tensor, got {getattr(x, 'shape', type(x).__name__)}")
    return segment_reduce(x, _ptr(index, x.size(0)), reduce)


def sum_pool(x: Tensor, index: Union[GraphBatch, Tensor]) -> Tensor:
    """``[B, F]`` sum of each graph's node features (see :func:`global_pool`)."""
    return global_pool(x, index, "sum")


def mean_pool(x: Tensor, index: Union[GraphBatch, Tensor]) -> Tensor:
    """``[B, F]`` mean of each graph's node features (see :func:`global_pool`)."""
    return global_pool(x, index, "mean")


def max_pool(x: Tensor, index: Union[GraphBatch, Tensor]) -> Tensor:
    """``[B, F]`` elementwise max of each graph's node features (see :func:`global_pool`)."""
    return global_pool(x, index, "max")


class GlobalPool(nn.Module):
    """Module form of :func:`global_pool`: ``GlobalPool("sum")(x, batch) -> [B, F]``."""

    def __init__(self, reduce: str = "mean") -> None:
        super().__init__()
        if reduce not in _REDUCES:
            raise ValueError(f"reduce must be one of {_REDUCES}, got {reduce!r}")
        self.reduce = reduce

    def forward(self, x: Tensor, index: Union[GraphBatch, Tensor]) -> Tensor:
        return global_pool(x, index, self.reduce)

    def extra_repr(self) -> str:
        return repr(self.reduce)
