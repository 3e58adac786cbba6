"""SimGCL's perturbation ``h + eps * sign(h) * normalize(u)``, ``u ~ U[0, 1)^d`` per row.

:func:`uniform_noise` is the torch reference (any device). :func:`add_uniform_noise` gives
the same distribution and, on CPU, runs one fused numba pass: the uniforms come from a
counter-based generator (SplitMix64 of ``seed + k * golden gamma``, 24-bit floats like
``torch.rand``) keyed by the element's position, so no ``[N, d]`` noise tensor is stored and
the result does not depend on the thread count. The per-call seed is drawn from the torch
generator, so a seeded run is reproducible. It replaces six full passes over the layer
(``rand``, ``normalize``, ``sign``, two products, the sum), which cost as much as a third of a
sparse propagation on a 2-core CPU.
"""
from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from ...sparse.host_memory import empty_cpu

__all__ = ["uniform_noise", "add_uniform_noise", "noise_offset"]

_KERNEL = None
_NO_IDS = torch.zeros(1, dtype=torch.int64)


def uniform_noise(h: Tensor, eps: float, generator: Optional[torch.Generator] = None) -> Tensor:
    """``h + eps * sign(h) * normalize(U(0, 1))``: a random vector of length ``eps`` per row,
    in the same orthant as ``h`` (SimGCL's perturbation); the torch reference.

    Args:
        h: ``[N, d]`` layer output.
        eps: noise radius ``>= 0``.
        generator: on ``h``'s device, or None for the global RNG.
    """
    return h + _noise(h, eps, generator)


def _noise(pre: Tensor, eps: float, generator: Optional[torch.Generator]) -> Tensor:
    u = torch.rand(pre.shape, generator=generator, device=pre.device, dtype=pre.dtype)
    return torch.sign(pre) * F.normalize(u, dim=-1) * eps


def _kernel():
    """Compile (once, cached on disk) the fused CPU kernel; None when numba is missing."""
    global _KERNEL
    if _KERNEL is None:
        try:
            import numba
            import numpy as np
        except ImportError:  # numba is a core dependency; fall back rather than fail
            _KERNEL = False
            return None
        gamma = np.uint64(0x9E3779B97F4A7C15)
        m1, m2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
        s30, s27, s31, s40 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(40)
        scale24 = 1.0 / (1 << 24)

        @numba.njit(inline="always")
        def uniform(counter):  # pragma: no cover - compiled
            z = counter * gamma
            z = (z ^ (z >> s30)) * m1
            z = (z ^ (z >> s27)) * m2
            z = z ^ (z >> s31)
            return np.float64(z >> s40) * scale24

        @numba.njit(fastmath={"reassoc"}, cache=True)
        def fill_uniforms(base, buf):  # pragma: no cover - compiled
            # the row's uniforms into buf, and their sum of squares; reassociation lets the
            # sum vectorise (about 3x faster; the order is fixed, so it stays deterministic)
            ss = 0.0
            for j in range(buf.shape[0]):
                u = uniform(base + np.uint64(j))
                buf[j] = u
                ss += u * u
            return ss

        @numba.njit(parallel=True, cache=True)
        def kernel(a, b, use_b, keep_a, out, seed, eps, ids, use_ids, nchunks):  # pragma: no cover - compiled
            # pre = a (+ b); out = (a if keep_a) (+ b) + eps * sign(pre) * normalize(u)
            # the uniforms of row r are keyed by its id (ids[r] when given, else r), drawn once
            # into a buffer per chunk of rows; the sign is branch-free so the loops vectorise
            # (sign 0 adds nothing, NaN stays NaN)
            n, d = a.shape
            for c in numba.prange(nchunks):
                buf = np.empty(d, np.float64)
                for r in range(c * n // nchunks, (c + 1) * n // nchunks):
                    key = ids[r] if use_ids else r
                    base = seed + np.uint64(key) * np.uint64(d)
                    # F.normalize divides by max(norm, 1e-12)
                    scale = eps / max(math.sqrt(fill_uniforms(base, buf)), 1e-12)
                    for j in range(d):
                        x = a[r, j]
                        y = b[r, j] if use_b else 0.0
                        pre = x + y
                        o = y + x if keep_a else y
                        s = np.float64(pre > 0) - np.float64(pre < 0)
                        out[r, j] = o + (s * buf[j] * scale + 0.0 * pre)

        _KERNEL = kernel
    return _KERNEL or None


def _run(a: Tensor, b: Optional[Tensor], keep_a: bool, eps: float,
         generator: Optional[torch.Generator], row_ids: Optional[Tensor] = None) -> Optional[Tensor]:
    """The fused kernel on CPU float tensors; None where it does not apply."""
    ok = a.device.type == "cpu" and a.dtype in (torch.float32, torch.float64) and a.dim() == 2 and \
        (b is None or (b.shape == a.shape and b.dtype == a.dtype and b.device == a.device)) and \
        (row_ids is None or row_ids.shape == (a.size(0),))
    kernel = _kernel() if ok else None
    if kernel is None:
        return None
    a = a.detach().contiguous()
    b = b.detach().contiguous() if b is not None else None
    seed = int(torch.randint(0, 2 ** 62, (1,), generator=generator))
    out = empty_cpu(tuple(a.shape), a.dtype)
    if a.numel():
        import numba
        import numpy as np
        threads = max(1, min(torch.get_num_threads(), numba.config.NUMBA_NUM_THREADS))
        numba.set_num_threads(threads)
        ids = (row_ids if row_ids is not None else _NO_IDS).detach().to("cpu", torch.int64).contiguous()
        kernel(a.numpy(), (b if b is not None else a).numpy(), b is not None, keep_a, out.numpy(),
               np.uint64(seed), float(eps), ids.numpy(), row_ids is not None, min(a.size(0), 8 * threads))
    return out


def add_uniform_noise(h: Tensor, eps: float, generator: Optional[torch.Generator] = None,
                      row_ids: Optional[Tensor] = None) -> Tensor:
    """Same distribution as :func:`uniform_noise`; one fused pass on CPU (float32/64).

    Not differentiable itself: use it where the gradient of the perturbation is the identity
    (``sign`` has zero derivative), e.g. as the ``perturb`` of
    :func:`graphssl.rec.propagation.propagate`.

    Args:
        h: ``[N, d]`` layer output.
        eps: noise radius ``>= 0``.
        generator: CPU generator the per-call seed is drawn from (None: the global RNG).
        row_ids: ``[N]`` ids keying each row's noise on CPU (default: the row's position), so
            that rows taken from a larger layer get the noise they would get there.

    Returns:
        A new ``[N, d]`` tensor.
    """
    out = _run(h, None, True, eps, generator, row_ids)
    if out is None:
        with torch.no_grad():
            return uniform_noise(h, eps, generator)
    return out


def noise_offset(clean: Tensor, shift: Optional[Tensor], eps: float,
                 generator: Optional[torch.Generator] = None) -> Tensor:
    """``shift + eps * sign(clean + shift) * normalize(u)``: how far a perturbed layer lies from
    the clean one when its input was already ``shift`` away (``shift = A @ offset of the
    previous layer``; None for the first layer). Not differentiable (a constant offset).

    Args:
        clean: ``[N, d]`` clean layer output; shift: ``[N, d]`` or None.
        eps: noise radius; generator: noise source.

    Returns:
        ``[N, d]`` new tensor.
    """
    out = _run(clean, shift, False, eps, generator)
    if out is not None:
        return out
    with torch.no_grad():
        pre = clean if shift is None else clean + shift
        noise = _noise(pre, eps, generator)
        return noise if shift is None else shift + noise
