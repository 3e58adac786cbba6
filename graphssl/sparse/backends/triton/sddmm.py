"""SDDMM kernel: per-edge, per-head dot products between target and source rows.

One program per (target row, block of heads): the target row's ``[BLOCK_H, BLOCK_D]``
slice is loaded once per feature chunk and dotted with a ``[BLOCK_E, BLOCK_H, BLOCK_D]``
tile of gathered source rows; float32 accumulation (float64 for float64 inputs), each ``out[e, h]`` written once.
"""
from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import Tensor

from .precision import accumulator
from .tiling import head_tiles, launch_options

__all__ = ["sddmm"]


@triton.jit
def _sddmm_kernel(rowptr_ptr, col_ptr, a_ptr, b_ptr, out_ptr, H, D,
                  ACC: tl.constexpr, BLOCK_E: tl.constexpr, BLOCK_H: tl.constexpr, BLOCK_D: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    h = tl.program_id(1) * BLOCK_H + tl.arange(0, BLOCK_H)
    hmask = h < H
    HD = H * D
    start = tl.load(rowptr_ptr + row)
    end = tl.load(rowptr_ptr + row + 1)
    for e0 in range(start, end, BLOCK_E):
        e = e0 + tl.arange(0, BLOCK_E)
        emask = e < end
        src = tl.load(col_ptr + e, mask=emask, other=0)
        acc = tl.zeros([BLOCK_E, BLOCK_H], dtype=ACC)
        for d0 in range(0, D, BLOCK_D):
            d = d0 + tl.arange(0, BLOCK_D)
            hd = h[:, None] * D + d[None, :]
            hdmask = hmask[:, None] & (d < D)[None, :]
            av = tl.load(a_ptr + row * HD + hd, mask=hdmask, other=0.0).to(ACC)
            bv = tl.load(b_ptr + src[:, None, None] * HD + hd[None, :, :],
                         mask=emask[:, None, None] & hdmask[None, :, :], other=0.0).to(ACC)
            acc += tl.sum(bv * av[None, :, :], axis=2)
        tl.store(out_ptr + e[:, None] * H + h[None, :], acc.to(out_ptr.dtype.element_ty),
                 mask=emask[:, None] & hmask[None, :])


def sddmm(rowptr: Tensor, col: Tensor, a: Tensor, b: Tensor) -> Tensor:
    """``out[e, h] = <a[row(e), h], b[col[e], h]>`` for ``a [R, H, D]``, ``b [N, H, D]``.

    Returns ``[E, H]`` in ``a``'s dtype.
    """
    a = a.contiguous()
    b = b.to(a.dtype).contiguous()
    R, E = rowptr.numel() - 1, col.numel()
    H, D = a.size(1), a.size(2)
    if R == 0 or E == 0 or H == 0 or D == 0:
        return a.new_zeros((E, H))
    out = torch.empty((E, H), dtype=a.dtype, device=a.device)
    block_e, block_h, block_d, warps = head_tiles(H, D)
    grid = (R, triton.cdiv(H, block_h))
    _sddmm_kernel[grid](rowptr, col, a, b, out, H, D, ACC=accumulator(a.dtype),
                        BLOCK_E=block_e, BLOCK_H=block_h, BLOCK_D=block_d, **launch_options(warps))
    return out
