"""Random draws from an optional ``torch.Generator``, returned on the data's device.

Every draw is made on the generator's device (CPU for a default ``torch.Generator()``)
and then moved, so a seeded CPU generator gives the same augmentation on CPU and GPU data.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import torch
from torch import Tensor

__all__ = ["uniform", "normal", "randperm", "randint_below", "bernoulli_keep"]

Shape = Union[int, Sequence[int]]


def _shape(shape: Shape):
    return (shape,) if isinstance(shape, int) else tuple(shape)


def _gen_device(generator: Optional[torch.Generator], device: torch.device) -> torch.device:
    return generator.device if generator is not None else device


def uniform(shape: Shape, generator: Optional[torch.Generator], device: torch.device,
            dtype: torch.dtype = torch.float32) -> Tensor:
    """Uniform ``[0, 1)`` samples of ``shape`` on ``device``."""
    u = torch.rand(_shape(shape), generator=generator, dtype=dtype, device=_gen_device(generator, device))
    return u.to(device)


def normal(shape: Shape, generator: Optional[torch.Generator], device: torch.device,
           dtype: torch.dtype = torch.float32) -> Tensor:
    """Standard normal samples of ``shape`` on ``device``."""
    z = torch.randn(_shape(shape), generator=generator, dtype=dtype, device=_gen_device(generator, device))
    return z.to(device)


def randperm(n: int, generator: Optional[torch.Generator], device: torch.device) -> Tensor:
    """A uniform random permutation of ``0..n-1`` on ``device``."""
    return torch.randperm(n, generator=generator, device=_gen_device(generator, device)).to(device)


def randint_below(high: Tensor, generator: Optional[torch.Generator]) -> Tensor:
    """One uniform integer in ``[0, high[i])`` per entry of ``high`` (0 where ``high <= 0``).

    Float64 uniforms keep the result unbiased and in range for any realistic ``high``.
    """
    u = uniform(high.numel(), generator, high.device, torch.float64)
    r = torch.floor(u * high.to(torch.float64)).long()
    return torch.minimum(r, (high - 1).clamp_min(0)).clamp_min(0)


def bernoulli_keep(drop_prob: Union[float, Tensor], shape: Shape, generator: Optional[torch.Generator],
                   device: torch.device) -> Tensor:
    """A bool mask of ``shape``: True (keep) with probability ``1 - drop_prob`` per entry.

    ``drop_prob`` is a float or a tensor broadcastable to ``shape``.
    """
    return uniform(shape, generator, device) >= drop_prob
