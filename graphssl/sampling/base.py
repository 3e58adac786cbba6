"""`Sampler`: the one interface every sampler implements, and the sampler registry."""
from __future__ import annotations

from typing import Any, Optional

import torch
from torch import Tensor

from ..registry import Registry
from ._validation import make_generator

__all__ = ["Sampler", "SAMPLERS", "register_sampler", "build_sampler"]

#: Samplers by name (``"neighbor"``, ``"link"``, ``"random_walk"``, ``"local_cluster"``, ``"cluster"``).
SAMPLERS: Registry = Registry("sampler")


def register_sampler(name: str):
    """Class decorator registering a :class:`Sampler` under ``name``."""
    return SAMPLERS.register(name)


def build_sampler(name: str, graph, **kwargs: Any) -> "Sampler":
    """``SAMPLERS.get(name)(graph, **kwargs)``.

    Raises:
        ValueError: unknown name (listing the known ones) or bad arguments.
    """
    return SAMPLERS.get(name)(graph, **kwargs)


class Sampler:
    """Turns a batch of items (seed nodes, seed edges, roots, cluster ids) into a sample.

    Subclasses implement :meth:`sample` and :meth:`default_items`; a
    :class:`~graphssl.sampling.SampleLoader` batches the items and calls :meth:`sample`,
    in worker processes if asked. Each sampler holds its own generator (from ``seed``),
    used when :meth:`sample` gets none.
    """

    def __init__(self, seed: Optional[int] = None) -> None:
        self.generator = make_generator(seed)

    def _generator(self, generator: Optional[torch.Generator]) -> Optional[torch.Generator]:
        if generator is not None and not isinstance(generator, torch.Generator):
            raise ValueError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
        return generator if generator is not None else self.generator

    def sample(self, items: Tensor, generator: Optional[torch.Generator] = None) -> Any:
        """Sample for a ``[B]`` batch of items."""
        raise NotImplementedError

    def default_items(self) -> Tensor:
        """``[M]`` all items a loader iterates over by default (e.g. every node)."""
        raise NotImplementedError
