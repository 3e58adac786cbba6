"""Dropout for CPU tensors from a counter-based hash: no stored mask, several times faster
than ``torch.nn.functional.dropout`` on the CPU.

Element ``i`` of a call is kept when a 32-bit hash of ``(i, the call's seeds)`` is at least
``p * 2**32``; kept entries are scaled by ``1 / (1 - p)``. The backward pass recomputes the
same decisions from the seeds instead of saving a mask. The seeds are drawn from torch's
global generator, so ``torch.manual_seed`` makes runs repeat exactly, as with torch's own
dropout (whose random numbers these are not). On other devices and dtypes, and for small
tensors, :func:`dropout` is ``torch.nn.functional.dropout``.
"""
from __future__ import annotations

import numba
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd import Function
from torch.autograd.function import once_differentiable

__all__ = ["dropout"]

#: Smaller tensors take torch's dropout (a call's fixed cost would dominate).
MIN_NUMEL = 1 << 14


@numba.njit(nogil=True, cache=True)
def _dropout_kernel(x, out, threshold, scale, seed_a, seed_b):  # pragma: no cover - compiled
    """``out[i] = x[i] * scale`` where ``hash(i) >= threshold`` else 0 (flat arrays).

    The hash is two rounds of a 32-bit integer finaliser (lowbias32) around the seeds: the
    first permutes ``i * golden + seed_a``, the second mixes in ``seed_b``; it vectorises
    (32-bit products, kept in 64-bit lanes)."""
    m = np.uint64(0xFFFFFFFF)
    for i in range(x.shape[0]):
        # numba widens uint32 products to 64 bits: mask back to 32 after each multiply
        h = (np.uint64(i) * np.uint64(0x9E3779B9) + seed_a) & m
        h ^= h >> np.uint64(16)
        h = (h * np.uint64(0x7FEB352D)) & m
        h ^= h >> np.uint64(15)
        h = (h * np.uint64(0x846CA68B)) & m
        h ^= h >> np.uint64(16)
        h ^= seed_b
        h = (h * np.uint64(0x7FEB352D)) & m
        h ^= h >> np.uint64(15)
        h = (h * np.uint64(0x846CA68B)) & m
        h ^= h >> np.uint64(16)
        out[i] = x[i] * scale if h >= threshold else x.dtype.type(0)


def _apply(x: Tensor, p: float, seeds: Tensor) -> Tensor:
    flat = x.detach().contiguous().view(-1)
    out = np.empty(flat.numel(), dtype=flat.numpy().dtype)
    threshold = np.uint64(min(int(p * 2.0 ** 32), 2 ** 32 - 1))
    scale = flat.numpy().dtype.type(1.0 / (1.0 - p))
    _dropout_kernel(flat.numpy(), out, threshold, scale, np.uint64(int(seeds[0])), np.uint64(int(seeds[1])))
    return torch.from_numpy(out).view(x.shape)


class _HashDropout(Function):
    @staticmethod
    def forward(ctx, x: Tensor, p: float) -> Tensor:
        seeds = torch.randint(0, 2 ** 32, (2,), dtype=torch.int64)  # torch's global generator
        ctx.p, ctx.seeds = p, seeds
        return _apply(x, p, seeds)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        return _apply(grad, ctx.p, ctx.seeds), None


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each entry of ``x`` with probability ``p`` and scale the rest by ``1 / (1 - p)``
    (identity when not ``training`` or ``p == 0``), like ``torch.nn.functional.dropout``.

    Raises:
        ValueError: ``p`` outside ``[0, 1]``.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if (p == 1.0 or x.device.type != "cpu" or x.dtype not in (torch.float32, torch.float64)
            or x.numel() < MIN_NUMEL):
        return F.dropout(x, p, True)
    return _HashDropout.apply(x, p)
