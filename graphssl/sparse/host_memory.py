"""Fresh CPU tensors for kernel outputs, with few page faults on first touch.

A fresh multi-megabyte tensor from torch's CPU allocator is mapped page by page as a kernel
first writes it: one fault per 4 KiB. NumPy asks Linux for transparent huge pages on large
allocations (``madvise``), so the same output costs a fraction of the faults: for an 86 MB
SpMM output that was ~45-60 ms with torch's allocator against ~10 ms, and a 18 MB noise or
scatter output of a recommendation step took half the time.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np
import torch
from torch import Tensor

__all__ = ["empty_cpu"]

_NUMPY_DTYPE = {torch.float32: np.float32, torch.float64: np.float64, torch.int64: np.int64,
                torch.int32: np.int32}


def empty_cpu(shape: Tuple[int, ...], dtype: torch.dtype) -> Tensor:
    """An uninitialised CPU tensor of ``shape`` (float32/64 or int32/64), allocated by numpy.

    Raises:
        ValueError: another dtype.
    """
    if dtype not in _NUMPY_DTYPE:
        raise ValueError(f"empty_cpu supports {sorted(str(d) for d in _NUMPY_DTYPE)}, got {dtype}")
    return torch.from_numpy(np.empty(tuple(shape), dtype=_NUMPY_DTYPE[dtype]))
