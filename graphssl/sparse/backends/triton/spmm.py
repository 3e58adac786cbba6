"""CSR SpMM kernels: row-wise weighted sum and max / min (with the winning edge).

One program per (target row, block of features). Features of all heads are flattened
(``F = H * D``) so a program reads whole contiguous source rows; a per-head weight is
looked up per lane as ``value[e, f // D]``. Accumulation is float32 (float64 for float64
inputs), and each output element is written once (no atomics).
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
import triton
import triton.language as tl
from torch import Tensor

from .precision import accumulator
from .tiling import feature_tiles, launch_options

__all__ = ["spmm_sum", "spmm_max"]


@triton.jit
def _load_weights(val_ptr, e, f, D, HV, emask, m2, PER_HEAD: tl.constexpr, ACC: tl.constexpr):
    """Weights of the edges ``e`` as an ``ACC`` tile broadcastable to ``[BLOCK_E, BLOCK_F]``."""
    if PER_HEAD:
        w = tl.load(val_ptr + e[:, None] * HV + (f // D)[None, :], mask=m2, other=0.0)
    else:
        w = tl.load(val_ptr + e, mask=emask, other=0.0)[:, None]
    return w.to(ACC)


@triton.jit
def _spmm_sum_kernel(rowptr_ptr, col_ptr, val_ptr, x_ptr, out_ptr, F, D, HV,
                     HAS_VALUE: tl.constexpr, PER_HEAD: tl.constexpr, ACC: tl.constexpr,
                     BLOCK_E: tl.constexpr, BLOCK_F: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    f = tl.program_id(1) * BLOCK_F + tl.arange(0, BLOCK_F)
    fmask = f < F
    start = tl.load(rowptr_ptr + row)
    end = tl.load(rowptr_ptr + row + 1)
    # A 2-D accumulator reduced once at the end: no cross-lane reduction per chunk.
    acc = tl.zeros([BLOCK_E, BLOCK_F], dtype=ACC)
    for e0 in range(start, end, BLOCK_E):
        e = e0 + tl.arange(0, BLOCK_E)
        emask = e < end
        src = tl.load(col_ptr + e, mask=emask, other=0)
        m2 = emask[:, None] & fmask[None, :]
        xv = tl.load(x_ptr + src[:, None] * F + f[None, :], mask=m2, other=0.0).to(ACC)
        if HAS_VALUE:
            xv = xv * _load_weights(val_ptr, e, f, D, HV, emask, m2, PER_HEAD, ACC)
        acc += xv
    out = tl.sum(acc, axis=0)
    tl.store(out_ptr + row * F + f, out.to(out_ptr.dtype.element_ty), mask=fmask)


@triton.jit
def _spmm_max_kernel(rowptr_ptr, col_ptr, val_ptr, x_ptr, out_ptr, arg_ptr, F, D, HV,
                     HAS_VALUE: tl.constexpr, PER_HEAD: tl.constexpr, MINIMUM: tl.constexpr,
                     ACC: tl.constexpr, BLOCK_E: tl.constexpr, BLOCK_F: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    f = tl.program_id(1) * BLOCK_F + tl.arange(0, BLOCK_F)
    fmask = f < F
    start = tl.load(rowptr_ptr + row)
    end = tl.load(rowptr_ptr + row + 1)
    best = tl.full([BLOCK_F], float("-inf"), ACC)
    arg = tl.full([BLOCK_F], -1, tl.int64)
    for e0 in range(start, end, BLOCK_E):
        e = e0 + tl.arange(0, BLOCK_E)
        emask = e < end
        src = tl.load(col_ptr + e, mask=emask, other=0)
        m2 = emask[:, None] & fmask[None, :]
        xv = tl.load(x_ptr + src[:, None] * F + f[None, :], mask=m2, other=0.0)
        if HAS_VALUE:
            w = _load_weights(val_ptr, e, f, D, HV, emask, m2, PER_HEAD, ACC)
            # Round the message to the input dtype, as the reference does, so that ties
            # (and hence the winning edge) are the same.
            xv = (xv.to(ACC) * w).to(x_ptr.dtype.element_ty)
        v = xv.to(ACC)
        if MINIMUM:
            v = -v
        v = tl.where(m2, v, float("-inf"))
        cmax = tl.max(v, axis=0)
        # First edge of the chunk reaching the chunk's max; chunks come in edge order and
        # a later chunk must be strictly better, so the first edge wins ties overall.
        cand = tl.where(m2 & (v == cmax[None, :]), e[:, None], end)
        carg = tl.min(cand, axis=0)
        better = (cmax > best) | (arg < 0)
        best = tl.where(better, cmax, best)
        arg = tl.where(better, carg, arg)
    if MINIMUM:
        best = -best
    out = tl.where(arg < 0, 0.0, best)
    tl.store(out_ptr + row * F + f, out.to(out_ptr.dtype.element_ty), mask=fmask)
    tl.store(arg_ptr + row * F + f, arg, mask=fmask)


def _launch_args(value: Optional[Tensor], x: Tensor):
    """``(val, HV, has_value, per_head)`` with a dummy pointer when there are no weights."""
    if value is None:
        return x, 1, False, False
    v = value if value.dim() == 2 else value.unsqueeze(1)
    v = v.contiguous()
    return v, v.size(1), True, v.size(1) > 1


def spmm_sum(rowptr: Tensor, col: Tensor, value: Optional[Tensor], x: Tensor) -> Tensor:
    """``out[r] = sum_e value[e] * x[col[e]]`` over row ``r``; ``x [N, H, D]``, ``value``
    ``[E, 1|H]`` or None. Returns ``[R, H, D]`` in ``x``'s dtype (empty rows 0)."""
    x = x.contiguous()
    R, E = rowptr.numel() - 1, col.numel()
    H, D = x.size(1), x.size(2)
    F = H * D
    if R == 0 or F == 0 or E == 0:
        return x.new_zeros((R, H, D))
    out = torch.empty((R, H, D), dtype=x.dtype, device=x.device)
    val, hv, has_value, per_head = _launch_args(value, x)
    block_e, block_f, warps = feature_tiles(F)
    grid = (R, triton.cdiv(F, block_f))
    _spmm_sum_kernel[grid](rowptr, col, val, x, out, F, D, hv, HAS_VALUE=has_value, PER_HEAD=per_head,
                           ACC=accumulator(x.dtype), BLOCK_E=block_e, BLOCK_F=block_f, **launch_options(warps))
    return out


def spmm_max(rowptr: Tensor, col: Tensor, value: Optional[Tensor], x: Tensor,
             minimum: bool = False) -> Tuple[Tensor, Tensor]:
    """Row-wise max (or min) of ``value * x[col]``; returns ``(out, arg)``, both ``[R, H, D]``.

    ``arg`` is the absolute CSR position of the first winning edge, ``-1`` for empty
    rows (whose ``out`` is 0).
    """
    x = x.contiguous()
    R, E = rowptr.numel() - 1, col.numel()
    H, D = x.size(1), x.size(2)
    F = H * D
    if R == 0 or F == 0 or E == 0:
        return x.new_zeros((R, H, D)), torch.full((R, H, D), -1, dtype=torch.long, device=x.device)
    out = torch.empty((R, H, D), dtype=x.dtype, device=x.device)
    arg = torch.empty((R, H, D), dtype=torch.long, device=x.device)
    val, hv, has_value, per_head = _launch_args(value if value is None else value.to(x.dtype), x)
    block_e, block_f, warps = feature_tiles(F)
    grid = (R, triton.cdiv(F, block_f))
    _spmm_max_kernel[grid](rowptr, col, val, x, out, arg, F, D, hv, HAS_VALUE=has_value, PER_HEAD=per_head,
                           MINIMUM=minimum, ACC=accumulator(x.dtype), BLOCK_E=block_e, BLOCK_F=block_f,
                           **launch_options(warps))
    return out, arg
