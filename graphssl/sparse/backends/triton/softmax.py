"""Segment softmax kernels (forward and backward) over CSR rows of per-edge scores.

One program per (row, block of heads). The forward makes two passes over the row: an
online max / sum-of-exponentials (rescaled whenever the max grows), then the normalised
write; the backward a dot product pass and a write pass. float32 inside (float64 for
float64 inputs).
"""
from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import Tensor

from .precision import accumulator
from .tiling import edge_tiles, launch_options

__all__ = ["segment_softmax", "segment_softmax_backward"]


@triton.jit
def _segment_softmax_kernel(rowptr_ptr, s_ptr, out_ptr, H,
                            ACC: tl.constexpr, BLOCK_E: tl.constexpr, BLOCK_H: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    h = tl.program_id(1) * BLOCK_H + tl.arange(0, BLOCK_H)
    hmask = h < H
    start = tl.load(rowptr_ptr + row)
    end = tl.load(rowptr_ptr + row + 1)
    m = tl.full([BLOCK_H], float("-inf"), ACC)
    total = tl.zeros([BLOCK_H], dtype=ACC)
    for e0 in range(start, end, BLOCK_E):
        e = e0 + tl.arange(0, BLOCK_E)
        emask = e < end
        # Padding heads read 0 (finite), padding edges -inf (exp -> 0): no inf - inf.
        s = tl.load(s_ptr + e[:, None] * H + h[None, :], mask=emask[:, None] & hmask[None, :], other=0.0)
        s = tl.where(emask[:, None], s.to(ACC), float("-inf"))
        m_new = tl.maximum(m, tl.max(s, axis=0))
        total = total * tl.exp(m - m_new) + tl.sum(tl.exp(s - m_new[None, :]), axis=0)
        m = m_new
    for e0 in range(start, end, BLOCK_E):
        e = e0 + tl.arange(0, BLOCK_E)
        mask = (e < end)[:, None] & hmask[None, :]
        s = tl.load(s_ptr + e[:, None] * H + h[None, :], mask=mask, other=0.0).to(ACC)
        p = tl.exp(s - m[None, :]) / total[None, :]
        tl.store(out_ptr + e[:, None] * H + h[None, :], p.to(out_ptr.dtype.element_ty), mask=mask)


@triton.jit
def _segment_softmax_backward_kernel(rowptr_ptr, o_ptr, g_ptr, out_ptr, H,
                                     ACC: tl.constexpr, BLOCK_E: tl.constexpr, BLOCK_H: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    h = tl.program_id(1) * BLOCK_H + tl.arange(0, BLOCK_H)
    hmask = h < H
    start = tl.load(rowptr_ptr + row)
    end = tl.load(rowptr_ptr + row + 1)
    dot = tl.zeros([BLOCK_H], dtype=ACC)
    for e0 in range(start, end, BLOCK_E):
        e = e0 + tl.arange(0, BLOCK_E)
        mask = (e < end)[:, None] & hmask[None, :]
        off = e[:, None] * H + h[None, :]
        o = tl.load(o_ptr + off, mask=mask, other=0.0).to(ACC)
        g = tl.load(g_ptr + off, mask=mask, other=0.0).to(ACC)
        dot += tl.sum(o * g, axis=0)
    for e0 in range(start, end, BLOCK_E):
        e = e0 + tl.arange(0, BLOCK_E)
        mask = (e < end)[:, None] & hmask[None, :]
        off = e[:, None] * H + h[None, :]
        o = tl.load(o_ptr + off, mask=mask, other=0.0).to(ACC)
        g = tl.load(g_ptr + off, mask=mask, other=0.0).to(ACC)
        tl.store(out_ptr + off, (o * (g - dot[None, :])).to(out_ptr.dtype.element_ty), mask=mask)


def _as_2d(t: Tensor) -> Tensor:
    return (t if t.dim() == 2 else t.unsqueeze(1)).contiguous()


def segment_softmax(rowptr: Tensor, scores: Tensor) -> Tensor:
    """Softmax of ``scores [E]`` / ``[E, H]`` within each row's edges; same shape and dtype."""
    s = _as_2d(scores)
    R, (E, H) = rowptr.numel() - 1, s.shape
    out = torch.empty_like(s)
    if R == 0 or E == 0 or H == 0:
        return out.view(scores.shape)
    block_e, block_h, warps = edge_tiles(H)
    grid = (R, triton.cdiv(H, block_h))
    _segment_softmax_kernel[grid](rowptr, s, out, H, ACC=accumulator(s.dtype), BLOCK_E=block_e, BLOCK_H=block_h,
                                  **launch_options(warps))
    return out.view(scores.shape)


def segment_softmax_backward(rowptr: Tensor, out: Tensor, grad: Tensor) -> Tensor:
    """``out * (grad - segsum(out * grad))`` per row; shape and dtype of ``out``."""
    o = _as_2d(out)
    g = grad.reshape(o.shape).contiguous()
    R, (E, H) = rowptr.numel() - 1, o.shape
    gin = torch.empty_like(o)
    if R == 0 or E == 0 or H == 0:
        return gin.view(out.shape)
    block_e, block_h, warps = edge_tiles(H)
    grid = (R, triton.cdiv(H, block_h))
    _segment_softmax_backward_kernel[grid](rowptr, o, g, gin, H, ACC=accumulator(o.dtype), BLOCK_E=block_e,
                                           BLOCK_H=block_h, **launch_options(warps))
    return gin.view(out.shape)
