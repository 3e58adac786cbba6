"""`InteractionData`: a recommendation dataset ready for training: train / validation / test
item sets per user (:class:`UserItems`), the normalised user-item graph, a per-user
validation hold-out, and small real slices for fast tests.

Example:
    >>> from graphssl.rec import load_interactions
    >>> data = load_interactions("gowalla", root="../shared/data")   # doctest: +SKIP
    >>> small = data.slice_users(2000)                                 # doctest: +SKIP
    >>> small.adj                                                      # doctest: +SKIP
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any, Dict, Optional, Union

import torch
from torch import Tensor

from ..sparse import Graph
from .interaction_graph import interaction_graph
from .user_items import UserItems

__all__ = ["InteractionData", "load_interactions"]


@dataclass
class InteractionData:
    """User-item interactions split for training and evaluation.

    Attributes:
        num_users, num_items: id ranges.
        train, test: per-user item sets (:class:`UserItems`, items sorted, no duplicates).
        val: optional validation item sets (used for early stopping and model selection).
        name: dataset name.
        user_features, item_features: optional categorical feature dicts carried over from
            the source dataset (``[U]`` / ``[U, K]`` and ``[I]`` / ``[I, K]`` int64 codes).
    """

    num_users: int
    num_items: int
    train: UserItems
    test: UserItems
    val: Optional[UserItems] = None
    name: str = ""
    user_features: Optional[Dict[str, Tensor]] = None
    item_features: Optional[Dict[str, Tensor]] = None
    _adj: Optional[Graph] = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        for k in ("train", "test", "val"):
            s = getattr(self, k)
            if s is None:
                continue
            if not isinstance(s, UserItems):
                raise ValueError(f"{k} must be a UserItems, got {type(s).__name__}")
            if s.num_users != self.num_users or s.num_items != self.num_items:
                raise ValueError(f"{k} covers {s.num_users} users / {s.num_items} items, expected "
                                 f"{self.num_users} / {self.num_items}")

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dataset(cls, ds: Any) -> "InteractionData":
        """Build from a :class:`graphssl.datasets.InteractionDataset` (``train``/``test``/``val``
        ``[nnz, 2]`` (user, item) rows). Duplicate pairs are dropped.

        Raises:
            ValueError: ``ds`` lacks the interaction fields.
        """
        for k in ("num_users", "num_items", "train", "test"):
            if not hasattr(ds, k):
                raise ValueError(f"expected an InteractionDataset (with num_users, num_items, train, test); "
                                 f"{type(ds).__name__} has no {k!r}")
        U, I = int(ds.num_users), int(ds.num_items)

        def split(t: Optional[Tensor]) -> Optional[UserItems]:
            if t is None:
                return None
            t = torch.as_tensor(t, dtype=torch.long)
            return UserItems.from_pairs(t[:, 0], t[:, 1], U, I)

        return cls(U, I, split(ds.train), split(ds.test), split(getattr(ds, "val", None)),
                   name=str(getattr(ds, "name", "")), user_features=getattr(ds, "user_features", None),
                   item_features=getattr(ds, "item_features", None))

    # ------------------------------------------------------------------ derived
    @property
    def adj(self) -> Graph:
        """The symmetric-normalised ``(U + I) x (U + I)`` training graph (users first), cached."""
        if self._adj is None:
            u, i = self.train.pairs()
            self._adj = interaction_graph(self.num_users, self.num_items, u, i, normalize=True)
        return self._adj

    def train_pairs(self):
        """``(users [nnz], items [nnz])`` of the training interactions."""
        return self.train.pairs()

    def eval_split(self, split: str):
        """The ground truth and the item sets to mask when ranking for ``split``.

        ``"val"`` masks training items; ``"test"`` masks training and validation items (both
        are known to the model's user and never relevant at test time).

        Returns:
            ``(truth: UserItems, exclude: list of UserItems)``.

        Raises:
            ValueError: unknown split, or ``"val"`` without a validation split.
        """
        if split == "test":
            return self.test, [s for s in (self.train, self.val) if s is not None]
        if split == "val":
            if self.val is None:
                raise ValueError(f"dataset {self.name!r} has no validation split; use with_validation(fraction)")
            return self.val, [self.train]
        raise ValueError(f"unknown split {split!r}; expected 'val' or 'test'")

    # ------------------------------------------------------------------ transforms
    def with_validation(self, fraction: float, seed: int = 0) -> "InteractionData":
        """Move a random ``floor(fraction * degree)`` of each user's training items to a
        validation split (the test split is untouched).

        Raises:
            ValueError: ``fraction`` outside ``(0, 1)`` or a validation split already exists.
        """
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"fraction must be in (0, 1), got {fraction}")
        if self.val is not None:
            raise ValueError(f"dataset {self.name!r} already has a validation split")
        g = torch.Generator().manual_seed(seed)
        users, items = self.train.pairs()
        r = torch.rand(users.numel(), generator=g, dtype=torch.float64)
        order = torch.argsort(users.double() + r)  # random order within each user, users kept in order
        rank = torch.empty_like(order)
        rank[order] = torch.arange(order.numel()) - self.train.rowptr[users[order]]
        n_val = torch.floor(fraction * self.train.degree().double()).long()
        is_val = rank < n_val[users]
        U, I = self.num_users, self.num_items
        return replace(self, train=UserItems.from_pairs(users[~is_val], items[~is_val], U, I),
                       val=UserItems.from_pairs(users[is_val], items[is_val], U, I), _adj=None)

    def slice_users(self, num_users: int) -> "InteractionData":
        """The first ``num_users`` users with all their interactions; items re-indexed to the
        ones these users touch (in any split), in original id order. Real data, small: for tests.

        Raises:
            ValueError: ``num_users`` not in ``[1, self.num_users]``.
        """
        if not 1 <= num_users <= self.num_users:
            raise ValueError(f"num_users must be in [1, {self.num_users}], got {num_users}")
        parts = {k: getattr(self, k) for k in ("train", "test", "val") if getattr(self, k) is not None}
        cut = {k: int(s.rowptr[num_users]) for k, s in parts.items()}
        kept = torch.unique(torch.cat([s.items[:cut[k]] for k, s in parts.items()]))
        remap = torch.full((self.num_items,), -1, dtype=torch.long)
        remap[kept] = torch.arange(kept.numel())
        I = kept.numel()
        # Re-indexing is monotone, so rows stay sorted: slicing the CSR is enough.
        new = {k: UserItems(s.rowptr[:num_users + 1].clone(), remap[s.items[:cut[k]]], I, validate=False)
               for k, s in parts.items()}
        uf = {k: v[:num_users] for k, v in self.user_features.items()} if self.user_features else self.user_features
        itf = {k: v[kept] for k, v in self.item_features.items()} if self.item_features else self.item_features
        return InteractionData(num_users, I, new["train"], new["test"], new.get("val"),
                               name=f"{self.name}[:{num_users}]", user_features=uf, item_features=itf)

    def __repr__(self) -> str:
        val = f", val={self.val.nnz}" if self.val is not None else ""
        return (f"InteractionData({self.name!r}, num_users={self.num_users}, num_items={self.num_items}, "
                f"train={self.train.nnz}, test={self.test.nnz}{val})")


def load_interactions(name: str, root: Union[str, os.PathLike, None] = None, **kwargs: Any) -> InteractionData:
    """Load a registered interaction dataset (``gowalla``, ``yelp2018``, ``amazon-book``,
    ``movielens-*``) as :class:`InteractionData`.

    Args:
        name: dataset name (see :func:`graphssl.datasets.list_datasets`).
        root: data root; ``**kwargs`` go to the loader (``download=False``, ``seed=`` ...).

    Raises:
        ValueError: unknown name, or the dataset is not an interaction dataset.
        DatasetNotFoundError: the files are missing (see :func:`graphssl.datasets.load_dataset`).
    """
    from ..datasets import load_dataset

    ds = load_dataset(name, root=root, **kwargs)
    if not hasattr(ds, "num_items"):
        raise ValueError(f"dataset {name!r} is not a user-item interaction dataset")
    return InteractionData.from_dataset(ds)
