"""Accumulation precision of the kernels: float64 for float64 inputs, float32 otherwise.

Half-precision inputs (float16, bfloat16) are read as stored and widened in registers,
so sums, maxima and softmax statistics never round to 8 or 11 bits of mantissa.
"""
from __future__ import annotations

import torch
import triton.language as tl

__all__ = ["accumulator", "accumulator_torch"]


def accumulator_torch(dtype: torch.dtype) -> torch.dtype:
    """The torch dtype kernels accumulate ``dtype`` inputs in."""
    return torch.float64 if dtype == torch.float64 else torch.float32


def accumulator(dtype: torch.dtype) -> tl.dtype:
    """The Triton dtype kernels accumulate ``dtype`` inputs in (a ``constexpr`` argument)."""
    return tl.float64 if dtype == torch.float64 else tl.float32
