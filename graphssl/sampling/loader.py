"""`SampleLoader`: mini-batches from any sampler through ``torch.utils.data.DataLoader``
(worker processes, prefetching, pinned memory), reproducible under a seed."""
from __future__ import annotations

from typing import Any, Iterator, Optional, Tuple

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, Sampler as TorchSampler

from ..checks import check_int
from .base import Sampler

__all__ = ["SampleLoader"]

_MASK63 = (1 << 63) - 1


def _batch_seed(base: int, index: int) -> int:
    """A seed for batch ``index`` of the epoch seeded ``base`` (SplitMix64 of both)."""
    z = (base + (index + 1) * 0x9E3779B97F4A7C15) & ((1 << 64) - 1)
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & ((1 << 64) - 1)
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & ((1 << 64) - 1)
    return (z ^ (z >> 31)) & _MASK63


class _SampleDataset(Dataset):
    """Maps a batch key ``(generator seed, item positions)`` to a sampled batch, so the
    sampling (the expensive part) runs in the DataLoader's workers."""

    def __init__(self, sampler: Sampler, items: Tensor) -> None:
        self.sampler, self.items = sampler, items

    def __len__(self) -> int:
        return self.items.numel()

    def __getitem__(self, key: Tuple[int, Tensor]) -> Any:
        seed, positions = key
        return self.sampler.sample(self.items.index_select(0, positions), torch.Generator().manual_seed(seed))


class _BatchKeys(TorchSampler):
    """Yields one key per batch; the order and the seeds come from the loader's epoch."""

    def __init__(self, loader: "SampleLoader") -> None:
        self.loader = loader

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator[Tuple[int, Tensor]]:
        return iter(self.loader._epoch_keys())


def _first(batch: Any) -> Any:
    return batch


class SampleLoader:
    """Iterate over mini-batches of a sampler's items: one epoch per pass.

    Every epoch splits the items (in order, or reshuffled with ``shuffle``) into batches
    of ``batch_size`` and hands each to ``sampler.sample(items, generator)`` with a
    generator seeded from ``(seed, epoch, batch index)``. The batches therefore depend
    only on ``seed`` and the epoch, not on ``num_workers``: 0 samples in the main process,
    ``> 0`` in that many worker processes with ``prefetch_factor`` batches each in
    flight. It wraps a ``torch.utils.data.DataLoader`` (on an index dataset whose keys
    carry each batch's items and seed), so its worker options behave as documented there.

    Args:
        sampler: any :class:`~graphssl.sampling.Sampler` (neighbour, link, random-walk,
            local-cluster, cluster).
        items: ``[M]`` what to batch (seed nodes, edge ids, roots, part ids); default
            ``sampler.default_items()``.
        batch_size: items per batch.
        shuffle: reshuffle the items every epoch.
        drop_last: drop a final smaller batch.
        seed: seeds shuffling and sampling (None: drawn from torch's global RNG).
        num_workers: worker processes (0: sample in the main process).
        prefetch_factor: batches prefetched per worker (``num_workers > 0``).
        persistent_workers: keep workers alive between epochs.
        pin_memory: pin the batches' tensors (for fast copies to a GPU).
        multiprocessing_context: e.g. ``"fork"`` (default on Linux; workers share the
            graph copy-on-write) or ``"spawn"``.

    Raises:
        ValueError: not a Sampler, bad sizes.

    Example:
        >>> from graphssl.sampling import NeighborSampler
        >>> from graphssl.sparse import Graph
        >>> g = Graph.from_edge_index(torch.randint(0, 100, (2, 500), generator=torch.Generator().manual_seed(0)), 100)
        >>> loader = SampleLoader(NeighborSampler(g, [10, 5]), batch_size=32, shuffle=True, seed=0)
        >>> for seeds, blocks, input_nodes in loader:  # h = encoder(blocks, x[input_nodes])
        ...     pass
        >>> seeds.shape, len(blocks), len(loader)
        (torch.Size([4]), 2, 4)
    """

    def __init__(self, sampler: Sampler, items: Optional[Tensor] = None, batch_size: int = 1024,
                 shuffle: bool = False, drop_last: bool = False, seed: Optional[int] = 0, num_workers: int = 0,
                 prefetch_factor: int = 2, persistent_workers: bool = False, pin_memory: bool = False,
                 multiprocessing_context: Optional[str] = None) -> None:
        if not isinstance(sampler, Sampler):
            raise ValueError(f"SampleLoader needs a graphssl.sampling.Sampler, got {type(sampler).__name__}")
        self.sampler = sampler
        items = sampler.default_items() if items is None else items
        if not isinstance(items, Tensor):
            items = torch.as_tensor(items)
        if items.dim() != 1 or items.is_floating_point() or items.dtype == torch.bool:
            raise ValueError(f"items must be a 1-d integer tensor, got {items.dtype} of shape {tuple(items.shape)}")
        if items.numel() == 0:
            raise ValueError("SampleLoader got no items")
        self.items = items.long().cpu()
        self.batch_size = check_int("batch_size", batch_size)
        self.num_workers = check_int("num_workers", num_workers, low=0)
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.seed = int(torch.randint(0, 1 << 62, (1,))) if seed is None else int(seed)
        self.epoch = 0
        self._pass_epoch = 0
        kwargs = {}
        if self.num_workers > 0:
            kwargs.update(prefetch_factor=check_int("prefetch_factor", prefetch_factor),
                          persistent_workers=bool(persistent_workers),
                          multiprocessing_context=multiprocessing_context)
        self._loader = DataLoader(_SampleDataset(sampler, self.items), batch_size=None, sampler=_BatchKeys(self),
                                  num_workers=self.num_workers, collate_fn=_first, pin_memory=pin_memory, **kwargs)

    def __len__(self) -> int:
        n = self.items.numel()
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        """Make the next pass epoch ``epoch`` (passes count up from 0 on their own)."""
        self.epoch = check_int("epoch", epoch, low=0)

    def _epoch_keys(self):
        # DataLoader may iterate its sampler more than once per pass (worker iterators
        # reset on creation), so the epoch is fixed by __iter__, not counted here.
        base = _batch_seed(self.seed, self._pass_epoch)
        n = self.items.numel()
        order = torch.randperm(n, generator=torch.Generator().manual_seed(base)) if self.shuffle else torch.arange(n)
        keys = []
        for b in range(len(self)):
            positions = order[b * self.batch_size:(b + 1) * self.batch_size]
            keys.append((_batch_seed(base, b), positions))
        return keys

    def __iter__(self) -> Iterator[Any]:
        self._pass_epoch, self.epoch = self.epoch, self.epoch + 1
        return iter(self._loader)
