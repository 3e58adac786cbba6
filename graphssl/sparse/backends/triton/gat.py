"""Fused GAT aggregation: attention logits, segment softmax and weighted sum in one pass.

For target row ``t``, head ``h`` and its incoming edges ``s -> t``:
``z = LeakyReLU(a_src[s, h] + a_dst[t, h])``, ``alpha = softmax_s(z)`` and
``out[t, h] = sum_s alpha * x[s, h]``. One program per (row, block of heads, block of
features) reads the row's edges once, keeping a running max, a running sum of
exponentials and a rescaled accumulator (online softmax), so neither the logits nor the
attention weights are ever written to memory. It also returns the per-row, per-head
log-sum-exp of the logits, from which the backward recomputes ``alpha`` cheaply.
"""
from __future__ import annotations

from typing import Tuple

import torch
import triton
import triton.language as tl
from torch import Tensor

from .precision import accumulator, accumulator_torch
from .tiling import head_tiles, launch_options

__all__ = ["gat_aggregate"]


@triton.jit
def _gat_kernel(rowptr_ptr, col_ptr, x_ptr, asrc_ptr, adst_ptr, out_ptr, lse_ptr, H, D, slope,
                ACC: tl.constexpr, BLOCK_E: tl.constexpr, BLOCK_H: tl.constexpr, BLOCK_D: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    h = tl.program_id(1) * BLOCK_H + tl.arange(0, BLOCK_H)
    d = tl.program_id(2) * BLOCK_D + tl.arange(0, BLOCK_D)
    hmask = h < H
    hd = h[:, None] * D + d[None, :]
    hdmask = hmask[:, None] & (d < D)[None, :]
    HD = H * D
    start = tl.load(rowptr_ptr + row)
    end = tl.load(rowptr_ptr + row + 1)
    a_dst = tl.load(adst_ptr + row * H + h, mask=hmask, other=0.0).to(ACC)
    m = tl.full([BLOCK_H], float("-inf"), ACC)
    total = tl.zeros([BLOCK_H], dtype=ACC)
    acc = tl.zeros([BLOCK_H, BLOCK_D], dtype=ACC)
    for e0 in range(start, end, BLOCK_E):
        e = e0 + tl.arange(0, BLOCK_E)
        emask = e < end
        src = tl.load(col_ptr + e, mask=emask, other=0)
        z = tl.load(asrc_ptr + src[:, None] * H + h[None, :], mask=emask[:, None] & hmask[None, :], other=0.0)
        z = z.to(ACC) + a_dst[None, :]
        z = tl.where(z > 0, z, z * slope)
        # Padding edges get -inf (weight 0); padding heads stay finite (no inf - inf).
        z = tl.where(emask[:, None], z, float("-inf"))
        m_new = tl.maximum(m, tl.max(z, axis=0))
        scale = tl.exp(m - m_new)
        p = tl.exp(z - m_new[None, :])
        total = total * scale + tl.sum(p, axis=0)
        xv = tl.load(x_ptr + src[:, None, None] * HD + hd[None, :, :],
                     mask=emask[:, None, None] & hdmask[None, :, :], other=0.0).to(ACC)
        acc = acc * scale[:, None] + tl.sum(p[:, :, None] * xv, axis=0)
        m = m_new
    nonempty = total > 0
    out = acc / tl.where(nonempty, total, 1.0)[:, None]
    tl.store(out_ptr + row * HD + hd, out.to(out_ptr.dtype.element_ty), mask=hdmask)
    lse = tl.where(nonempty, m + tl.log(tl.where(nonempty, total, 1.0)), float("-inf"))
    if tl.program_id(2) == 0:  # every feature block computed the same lse; one writes it
        tl.store(lse_ptr + row * H + h, lse, mask=hmask)


def gat_aggregate(rowptr: Tensor, col: Tensor, x: Tensor, a_src: Tensor, a_dst: Tensor,
                  negative_slope: float) -> Tuple[Tensor, Tensor]:
    """Fused attention aggregation; ``x [N, H, D]``, ``a_src [N, H]``, ``a_dst [R, H]``.

    Returns ``(out [R, H, D]`` in ``x``'s dtype, ``lse [R, H]`` float32 (float64 for float64
    ``x``)), ``lse`` being
    ``log sum_s exp(z)`` per row and head (``-inf`` for rows without edges, whose ``out``
    is 0).
    """
    x = x.contiguous()
    a_src = a_src.contiguous()
    a_dst = a_dst.contiguous()
    R, E = rowptr.numel() - 1, col.numel()
    H, D = x.size(1), x.size(2)
    lse = torch.full((R, H), float("-inf"), dtype=accumulator_torch(x.dtype), device=x.device)
    if R == 0 or E == 0 or H == 0 or D == 0:
        return x.new_zeros((R, H, D)), lse
    out = torch.empty((R, H, D), dtype=x.dtype, device=x.device)
    block_e, block_h, block_d, warps = head_tiles(H, D)
    grid = (R, triton.cdiv(H, block_h), triton.cdiv(D, block_d))
    _gat_kernel[grid](rowptr, col, x, a_src, a_dst, out, lse, H, D, float(negative_slope), ACC=accumulator(x.dtype),
                      BLOCK_E=block_e, BLOCK_H=block_h, BLOCK_D=block_d, **launch_options(warps))
    return out, lse
