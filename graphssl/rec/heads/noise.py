"""SimGCL's perturbation ``h + eps * sign(h) * normalize(u)``, ``u ~ U[0, 1)^d`` per row.

:func:`uniform_noise` is the torch reference (any device). :func:`add_uniform_noise` gives
the same distribution and, on CPU, runs one fused numba pass: the uniforms come from a
counter-based generator (SplitMix64 of ``seed + k * golden gamma``, two 24-bit floats like
``torch.rand``'s per hash) keyed by the row and the position in it (:mod:`.noise_kernels`),
so no ``[N, d]`` noise tensor is stored and the result does not depend on the thread count.
The per-call seed is drawn from the torch generator, so a seeded run is reproducible. It
replaces six full passes over the layer (``rand``, ``normalize``, ``sign``, two products, the
sum), which cost as much as a third of a sparse propagation on a 2-core CPU; its arithmetic is
in the layer's dtype (float32 layers: twice the lanes of float64).
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ...sparse.backends.numba_launch import LAUNCH, kernels_apply, launch_threads
from ...sparse.host_memory import empty_cpu
from .noise_kernels import perturb_rows

__all__ = ["uniform_noise", "add_uniform_noise", "noise_offset"]

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


def _cpu_kernel(a: Tensor):
    """The fused numba kernel where it applies (CPU float32/64), else None."""
    return perturb_rows if kernels_apply(a.device, a.dtype) else None


def _run(a: Tensor, b: Optional[Tensor], keep_a: bool, eps: float,
         generator: Optional[torch.Generator], row_ids: Optional[Tensor] = None) -> Optional[Tensor]:
    """The fused kernel on CPU float tensors; None where it does not apply."""
    ok = a.dim() == 2 and (b is None or (b.shape == a.shape and b.dtype == a.dtype and b.device == a.device)) \
        and (row_ids is None or row_ids.shape == (a.size(0),))
    kernel = _cpu_kernel(a) if ok else None
    if kernel is None:
        return None
    a = a.detach().contiguous()
    b = b.detach().contiguous() if b is not None else None
    seed = int(torch.randint(0, 2 ** 62, (1,), generator=generator))
    out = empty_cpu(tuple(a.shape), a.dtype)
    if a.numel():
        ids = (row_ids if row_ids is not None else _NO_IDS).detach().to("cpu", torch.int64).contiguous()
        with LAUNCH:
            threads = launch_threads()
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
