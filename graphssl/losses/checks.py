"""Argument checks shared by the losses, so bad input fails with a message naming it."""
from __future__ import annotations

from typing import Optional

from torch import Tensor

from ..checks import check_int

__all__ = ["check_embeddings", "check_chunk_size"]


def check_embeddings(anchor: Tensor, sample: Tensor, same_rows: bool = False,
                     names: tuple = ("anchor", "sample")) -> None:
    """Check two embedding matrices can be compared row against row.

    Raises:
        ValueError: not tensors, not 2-D floating point, different widths, dtypes or
            devices, or (with ``same_rows``) different numbers of rows.
    """
    for name, t in zip(names, (anchor, sample)):
        if not isinstance(t, Tensor):
            raise ValueError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if t.dim() != 2:
            raise ValueError(f"{name} must be 2-D [N, D], got shape {tuple(t.shape)}")
        if not t.is_floating_point():
            raise ValueError(f"{name} must be floating point, got {t.dtype}")
    a, s = names
    if anchor.size(1) != sample.size(1):
        raise ValueError(f"{a} and {s} have different widths: {anchor.size(1)} vs {sample.size(1)}")
    if same_rows and anchor.size(0) != sample.size(0):
        raise ValueError(f"{a} and {s} must have the same shape, got {tuple(anchor.shape)} vs {tuple(sample.shape)}")
    if anchor.dtype != sample.dtype:
        raise ValueError(f"{a} and {s} have different dtypes: {anchor.dtype} vs {sample.dtype}")
    if anchor.device != sample.device:
        raise ValueError(f"{a} is on {anchor.device} but {s} is on {sample.device}")


def check_chunk_size(chunk_size: Optional[int]) -> None:
    """Raises ValueError unless ``chunk_size`` is ``None`` or a positive integer."""
    if chunk_size is not None:
        check_int("chunk_size", chunk_size)
