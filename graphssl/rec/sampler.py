"""Uniform negative sampling for BPR, vectorised: no Python loop per user, no rejection rounds.

A user ``u`` with sorted training items ``s_0 < s_1 < ... < s_{d-1}`` has ``I - d`` items it
has not interacted with. Drawing ``r`` uniformly in ``[0, I - d)`` and returning the ``r``-th
of them is exactly uniform over the allowed items. Since ``s_k - k`` counts the allowed items
below ``s_k`` (non-decreasing in ``k``), the ``r``-th allowed item is ``r + j`` with
``j = #{k : s_k - k <= r}``, one ``searchsorted`` over the whole CSR once a per-user offset
``u * (I + 1)`` is added to keep the array sorted across users.
"""
from __future__ import annotations

from typing import Iterator, Optional, Tuple

import torch
from torch import Tensor

from .user_items import UserItems

__all__ = ["NegativeSampler", "BPRSampler"]


class NegativeSampler:
    """Draws items uniformly among those a user has no training interaction with.

    Args:
        train: the training item sets (the ones negatives must avoid).

    Raises:
        ValueError: some user has interacted with every item (no negative exists).
    """

    def __init__(self, train: UserItems) -> None:
        if not isinstance(train, UserItems):
            raise ValueError(f"train must be a UserItems, got {type(train).__name__}")
        self.train = train
        I = train.num_items
        self.num_free = I - train.degree()
        full = torch.nonzero(self.num_free <= 0).view(-1)
        if full.numel():
            raise ValueError(f"user {int(full[0])} has interacted with all {I} items: no negative item exists")
        users = train.user_index()
        k = torch.arange(train.nnz) - train.rowptr[users]
        # Sorted globally: within a user s_k - k is non-decreasing and lies in [0, I - d].
        self._rank_keys = users * (I + 1) + (train.items - k)

    def sample(self, users: Tensor, num_negatives: int = 1, generator: Optional[torch.Generator] = None) -> Tensor:
        """Negatives for ``users``.

        Args:
            users: ``[B]`` user ids.
            num_negatives: negatives per user (independent draws, with replacement).
            generator: the random source.

        Returns:
            ``[B]`` item ids when ``num_negatives == 1``, else ``[B, num_negatives]``.

        Raises:
            ValueError: a user id is out of range or ``num_negatives < 1``.
        """
        if num_negatives < 1:
            raise ValueError(f"num_negatives must be >= 1, got {num_negatives}")
        users = torch.as_tensor(users, dtype=torch.long).view(-1)
        U, I = self.train.num_users, self.train.num_items
        if users.numel() and (int(users.min()) < 0 or int(users.max()) >= U):
            raise ValueError(f"user id out of range [0, {U})")
        u = users.repeat_interleave(num_negatives)
        n_free = self.num_free[u]
        # float64 uniforms: floor(x * n) is exact enough for any realistic item count.
        r = (torch.rand(u.numel(), generator=generator, dtype=torch.float64) * n_free).long()
        r = torch.minimum(r, n_free - 1)
        j = torch.searchsorted(self._rank_keys, u * (I + 1) + r, right=True) - self.train.rowptr[u]
        out = r + j
        return out if num_negatives == 1 else out.view(-1, num_negatives)


class BPRSampler:
    """Epochs of shuffled ``(user, positive, negative)`` training triples.

    Every iteration is one epoch: the training pairs in a fresh random order, each with a
    fresh uniform negative, cut into batches. Re-iterable; the sequence of epochs is fixed by
    ``seed`` / ``generator``.

    Args:
        train: training item sets; every stored pair is one positive per epoch.
        batch_size: triples per batch (the last batch may be smaller unless ``drop_last``).
        num_negatives: negatives per pair (``neg`` is ``[B, n]`` when ``n > 1``).
        shuffle: shuffle the pairs each epoch.
        drop_last: drop the last incomplete batch.
        generator / seed: random source (a generator wins; else one seeded with ``seed``).

    Raises:
        ValueError: non-positive ``batch_size``, no training pair, or a user with no negative.
    """

    def __init__(self, train: UserItems, batch_size: int = 2048, num_negatives: int = 1, shuffle: bool = True,
                 drop_last: bool = False, generator: Optional[torch.Generator] = None, seed: int = 0) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if train.nnz == 0:
            raise ValueError("no training interaction to sample from")
        self.negatives = NegativeSampler(train)
        self.users, self.items = train.pairs()
        self.batch_size, self.num_negatives = int(batch_size), int(num_negatives)
        self.shuffle, self.drop_last = shuffle, drop_last
        self.generator = generator if generator is not None else torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        n = self.users.numel()
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def epoch(self) -> Tuple[Tensor, Tensor, Tensor]:
        """One epoch's triples, un-batched: ``users [N], pos [N], neg [N] or [N, n]``."""
        n = self.users.numel()
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        users, pos = self.users[order], self.items[order]
        neg = self.negatives.sample(users, self.num_negatives, self.generator)
        return users, pos, neg

    def __iter__(self) -> Iterator[Tuple[Tensor, Tensor, Tensor]]:
        users, pos, neg = self.epoch()
        bs, n = self.batch_size, users.numel()
        stop = (n // bs) * bs if self.drop_last else n
        for s in range(0, stop, bs):
            yield users[s:s + bs], pos[s:s + bs], neg[s:s + bs]
