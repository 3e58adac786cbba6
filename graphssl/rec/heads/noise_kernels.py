"""The fused CPU kernel of SimGCL's perturbation (see :mod:`graphssl.rec.heads.noise`).

The uniforms come from a counter-based generator, SplitMix64 of ``seed + k * golden gamma``
(24-bit floats like ``torch.rand``), keyed by the element's position, so no ``[N, d]`` noise
tensor is stored and the result does not depend on the thread count. Defined at module level
so numba's on-disk cache serves every later process (a kernel defined inside a function was
compiled again, about 1.2 s, by each process that used it).
"""
from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["perturb_rows"]

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S40 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(40)
_SCALE24 = 1.0 / (1 << 24)


@numba.njit(inline="always")
def _uniform(counter):  # pragma: no cover - compiled
    z = counter * _GAMMA
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    z = z ^ (z >> _S31)
    return np.float64(z >> _S40) * _SCALE24


@numba.njit(fastmath={"reassoc"}, cache=True)
def _fill_uniforms(base, buf):  # pragma: no cover - compiled
    # the row's uniforms into buf, and their sum of squares; reassociation lets the sum
    # vectorise (about 3x faster; the order is fixed, so it stays deterministic)
    ss = 0.0
    for j in range(buf.shape[0]):
        u = _uniform(base + np.uint64(j))
        buf[j] = u
        ss += u * u
    return ss


@numba.njit(parallel=True, cache=True)
def perturb_rows(a, b, use_b, keep_a, out, seed, eps, ids, use_ids, nchunks):  # pragma: no cover - compiled
    """``pre = a (+ b)``; ``out = (a if keep_a) (+ b) + eps * sign(pre) * normalize(u)``.

    The uniforms of row ``r`` are keyed by its id (``ids[r]`` when ``use_ids``, else ``r``),
    drawn once into a buffer per chunk of rows; the sign is branch-free so the loops
    vectorise (sign 0 adds nothing, NaN stays NaN).
    """
    n, d = a.shape
    for c in numba.prange(nchunks):
        buf = np.empty(d, np.float64)
        for r in range(c * n // nchunks, (c + 1) * n // nchunks):
            key = ids[r] if use_ids else r
            base = seed + np.uint64(key) * np.uint64(d)
            # F.normalize divides by max(norm, 1e-12)
            scale = eps / max(math.sqrt(_fill_uniforms(base, buf)), 1e-12)
            for j in range(d):
                x = a[r, j]
                y = b[r, j] if use_b else 0.0
                pre = x + y
                o = y + x if keep_a else y
                s = np.float64(pre > 0) - np.float64(pre < 0)
                out[r, j] = o + (s * buf[j] * scale + 0.0 * pre)
