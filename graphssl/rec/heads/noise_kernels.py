"""The fused CPU kernel of SimGCL's perturbation (see :mod:`graphssl.rec.heads.noise`).

The uniforms come from a counter-based generator, SplitMix64 of ``seed + k * golden gamma``,
each hash giving two 24-bit floats (like ``torch.rand``'s), keyed by the row and the position in
it, so no ``[N, d]`` noise tensor is stored and the result does not depend on the thread count.
Defined at module level so numba's on-disk cache serves every later process (a kernel defined
inside a function was compiled again, about 1.2 s, by each process that used it).
"""
from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["perturb_rows"]

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S16, _S30, _S27, _S31, _S40 = np.uint64(16), np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(40)
_MASK24 = np.uint64(0xFFFFFF)
_SCALE24 = 1.0 / (1 << 24)


@numba.njit(inline="always")
def _hash(counter):  # pragma: no cover - compiled
    z = counter * _GAMMA
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@numba.njit(fastmath={"reassoc"}, cache=True)
def _fill_uniforms(base, buf):  # pragma: no cover - compiled
    # the row's uniforms into buf, and their sum of squares (float64, from the exact 24-bit
    # values); each hash gives two uniforms, its high and its middle 24 bits, to the first and
    # the second half of the row. Reassociation lets the sum vectorise (about 3x faster; the
    # order is fixed, so it stays deterministic).
    d = buf.shape[0]
    half = (d + 1) // 2
    ss = 0.0
    for j in range(half):
        z = _hash(base + np.uint64(j))
        u = np.float64(z >> _S40) * _SCALE24
        buf[j] = u
        ss += u * u
        if half + j < d:
            v = np.float64((z >> _S16) & _MASK24) * _SCALE24
            buf[half + j] = v
            ss += v * v
    return ss


@numba.njit(parallel=True, cache=True)
def perturb_rows(a, b, use_b, keep_a, out, seed, eps, ids, use_ids, nchunks):  # pragma: no cover - compiled
    """``pre = a (+ b)``; ``out = (a if keep_a) (+ b) + eps * sign(pre) * normalize(u)``.

    The uniforms of row ``r`` are keyed by its id (``ids[r]`` when ``use_ids``, else ``r``),
    drawn once into a buffer per chunk of rows. The arithmetic is in ``a``'s dtype (float32
    runs twice as many lanes as float64); the sign is a select, so the loops vectorise (sign 0
    adds nothing, NaN stays NaN).
    """
    n, d = a.shape
    for c in numba.prange(nchunks):
        buf = np.empty(d, a.dtype)
        consts = np.empty(2, a.dtype)  # the row's scale and a zero, in a's dtype
        consts[1] = 0.0
        zero = consts[1]
        for r in range(c * n // nchunks, (c + 1) * n // nchunks):
            key = ids[r] if use_ids else r
            base = seed + np.uint64(key) * np.uint64(d)
            # F.normalize divides by max(norm, 1e-12)
            consts[0] = eps / max(math.sqrt(_fill_uniforms(base, buf)), 1e-12)
            scale = consts[0]
            for j in range(d):
                x = a[r, j]
                y = b[r, j] if use_b else zero
                pre = x + y
                o = y + x if keep_a else y
                t = buf[j] * scale
                v = t if pre > zero else (-t if pre < zero else zero)
                out[r, j] = o + (v + zero * pre)
