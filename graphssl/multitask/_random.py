"""Random draws from an optional ``torch.Generator``, moved to the data's device.

Draws are made on the generator's own device (CPU for ``torch.Generator()``), so a seeded
CPU generator gives the same pretext-task samples for CPU and GPU data.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import torch
from torch import Tensor

__all__ = ["rand", "randperm", "randint", "seeded_generator"]


def _device(generator: Optional[torch.Generator], device: torch.device) -> torch.device:
    return generator.device if generator is not None else device


def rand(shape: Union[int, Sequence[int]], generator: Optional[torch.Generator], device: torch.device,
         dtype: torch.dtype = torch.float32) -> Tensor:
    """Uniform ``[0, 1)`` samples of ``shape`` on ``device``."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return torch.rand(shape, generator=generator, dtype=dtype, device=_device(generator, device)).to(device)


def randperm(n: int, generator: Optional[torch.Generator], device: torch.device) -> Tensor:
    """A uniform permutation of ``0..n-1`` on ``device``."""
    return torch.randperm(n, generator=generator, device=_device(generator, device)).to(device)


def randint(high: int, size: int, generator: Optional[torch.Generator], device: torch.device) -> Tensor:
    """``size`` uniform integers in ``[0, high)`` on ``device``."""
    return torch.randint(high, (size,), generator=generator, device=_device(generator, device)).to(device)


def seeded_generator(seed: Optional[int]) -> Optional[torch.Generator]:
    """A CPU generator seeded with ``seed``, or None (the global RNG) when ``seed`` is None."""
    return torch.Generator().manual_seed(int(seed)) if seed is not None else None
