"""Block sizes and warp counts of the Triton kernels, chosen from the feature width.

Pure Python (no triton import), so the choices can be tested and read on their own.
Every kernel walks one CSR row per program and reads the row's edges in chunks of
``BLOCK_E``; a chunk is a ``[BLOCK_E, lanes]`` tile of gathered source rows. A program
gets one warp per 32 feature lanes (at most 4) and about ``_PER_THREAD`` tile elements
per thread: each element costs an accumulator, a loaded value and a 64-bit address in
registers, and eight keep every kernel at 30-64 registers without spills (checked by
compiling for sm_90), so many programs stay resident to hide the latency of the random
gathers, while a chunk of 4-8 edges suits the short rows of typical graphs (mean degree
~14). Not yet tuned on a GPU.
Triton blocks must be powers of two; widths that are not are covered by masks.
"""
from __future__ import annotations

from typing import Tuple

__all__ = ["next_pow2", "feature_tiles", "head_tiles", "edge_tiles", "launch_options"]

_PER_THREAD = 8
# Widest feature block one program covers; wider rows are split over programs.
_MAX_BLOCK_F = 256
_MAX_BLOCK_D = 128
_MAX_BLOCK_E = 64


def next_pow2(n: int) -> int:
    """Smallest power of two ``>= max(n, 1)``."""
    return 1 << max(int(n) - 1, 0).bit_length()


def _warps(lanes: int) -> int:
    return max(1, min(4, lanes // 32))


def _edges(lanes: int, warps: int, cap: int = _MAX_BLOCK_E) -> int:
    return max(4, min(cap, _PER_THREAD * 32 * warps // lanes))


def feature_tiles(width: int) -> Tuple[int, int, int]:
    """``(BLOCK_E, BLOCK_F, num_warps)`` for a row of ``width`` features (SpMM)."""
    block_f = min(next_pow2(width), _MAX_BLOCK_F)
    warps = _warps(block_f)
    return _edges(block_f, warps), block_f, warps


def head_tiles(heads: int, dim: int) -> Tuple[int, int, int, int]:
    """``(BLOCK_E, BLOCK_H, BLOCK_D, num_warps)`` for ``heads`` heads of width ``dim``.

    Narrow heads are packed several to a program (``BLOCK_H * BLOCK_D <= 128``) so the
    lanes stay busy; wide ones are split over programs along ``D``.
    """
    block_d = min(next_pow2(dim), _MAX_BLOCK_D)
    block_h = min(next_pow2(heads), max(1, _MAX_BLOCK_D // block_d))
    warps = _warps(block_h * block_d)
    return _edges(block_h * block_d, warps), block_h, block_d, warps


def edge_tiles(heads: int) -> Tuple[int, int, int]:
    """``(BLOCK_E, BLOCK_H, num_warps)`` for per-edge ``[E, H]`` scores (softmax)."""
    block_h = min(next_pow2(heads), 64)
    warps = _warps(block_h)
    return max(16, _edges(block_h, warps, cap=128)), block_h, warps


def launch_options(num_warps: int) -> dict:
    """Keyword options of a kernel launch: the warp count, and multiply-add contraction
    (FMA) asked for explicitly, since Triton's default for it changes in 3.10."""
    return {"num_warps": num_warps, "enable_fp_fusion": True}
