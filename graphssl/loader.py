"""`GraphLoader`: seeded mini-batches of small graphs for graph-level training."""
from __future__ import annotations

from typing import Any, Iterator, Optional, Sequence

import torch

from .sparse.batch import GraphBatch, collate

__all__ = ["GraphLoader"]


class GraphLoader:
    """Iterate over ``samples`` in batches of ``batch_size``, collated into one
    :class:`GraphBatch` each (disjoint union). Re-iterable: every pass is one epoch, and
    with ``shuffle`` each epoch draws a new order from the loader's own generator.

    Args:
        samples: a sequence of graphs (objects with ``.graph``, ``.x``, ``.y``, optional
            ``.edge_attr``), e.g. a :class:`graphssl.datasets.GraphDataset`.
        batch_size: graphs per batch (>= 1).
        shuffle: reshuffle every epoch.
        seed: seeds the shuffling.
        drop_last: drop a final batch smaller than ``batch_size``.

    Raises:
        ValueError: ``batch_size < 1`` or no samples.
    """

    def __init__(self, samples: Sequence[Any], batch_size: int = 32, shuffle: bool = False,
                 seed: Optional[int] = 0, drop_last: bool = False) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if len(samples) == 0:
            raise ValueError("GraphLoader got no samples")
        self.samples, self.batch_size = samples, batch_size
        self.shuffle, self.drop_last = shuffle, drop_last
        self.generator = torch.Generator().manual_seed(seed if seed is not None else torch.seed())

    def __len__(self) -> int:
        n = len(self.samples)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[GraphBatch]:
        n = len(self.samples)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            if self.drop_last and idx.numel() < self.batch_size:
                break
            yield collate([self.samples[int(i)] for i in idx])
