"""`UserItems`: a user -> items CSR (items sorted within each user), the one structure the
sampler masks with, the metrics rank against and the data splits are stored as."""
from __future__ import annotations

from typing import Tuple, Union

import torch
from torch import Tensor

__all__ = ["UserItems"]


class UserItems:
    """Per-user item sets as CSR: user ``u``'s items are ``items[rowptr[u]:rowptr[u+1]]``, sorted
    ascending and without duplicates.

    Because rows are sorted and users come in order, the keys ``u * num_items + i`` are sorted
    globally, so membership of any batch of ``(user, item)`` pairs is one ``searchsorted``.

    Args:
        rowptr: ``[num_users + 1]`` int64 row pointers.
        items: ``[nnz]`` int64 item ids.
        num_items: item id range.

    Raises:
        ValueError: malformed pointers, ids out of range, unsorted or duplicated rows.
    """

    def __init__(self, rowptr: Tensor, items: Tensor, num_items: int, validate: bool = True) -> None:
        self.rowptr = torch.as_tensor(rowptr, dtype=torch.long)
        self.items = torch.as_tensor(items, dtype=torch.long)
        self.num_items = int(num_items)
        if validate:
            self._validate()
        self._keys: Union[Tensor, None] = None

    def _validate(self) -> None:
        rp, it = self.rowptr, self.items
        if rp.dim() != 1 or rp.numel() < 1 or int(rp[0]) != 0 or int(rp[-1]) != it.numel():
            raise ValueError(f"rowptr must be 1-D, start at 0 and end at nnz={it.numel()}")
        if bool((rp[1:] < rp[:-1]).any()):
            raise ValueError("rowptr must be non-decreasing")
        if self.num_items < 0:
            raise ValueError(f"num_items must be >= 0, got {self.num_items}")
        if it.numel():
            if int(it.min()) < 0 or int(it.max()) >= self.num_items:
                raise ValueError(f"item id out of range [0, {self.num_items})")
            keys = self.user_index() * self.num_items + it
            if bool((keys[1:] <= keys[:-1]).any()):
                raise ValueError("items must be sorted and unique within each user")

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_pairs(cls, users: Tensor, items: Tensor, num_users: int, num_items: int) -> "UserItems":
        """Build from ``[nnz]`` user and item ids (any order; duplicates are dropped).

        Raises:
            ValueError: lengths differ or ids are out of range.
        """
        users = torch.as_tensor(users, dtype=torch.long).view(-1)
        items = torch.as_tensor(items, dtype=torch.long).view(-1)
        if users.numel() != items.numel():
            raise ValueError(f"users ({users.numel()}) and items ({items.numel()}) must have the same length")
        if users.numel():
            if int(users.min()) < 0 or int(users.max()) >= num_users:
                raise ValueError(f"user id out of range [0, {num_users})")
            if int(items.min()) < 0 or int(items.max()) >= num_items:
                raise ValueError(f"item id out of range [0, {num_items})")
        keys = torch.unique(users * num_items + items)  # sorted, deduplicated
        u = torch.div(keys, max(num_items, 1), rounding_mode="floor")
        rowptr = torch.zeros(num_users + 1, dtype=torch.long)
        rowptr[1:] = torch.cumsum(torch.bincount(u, minlength=num_users), 0)
        out = cls(rowptr, keys - u * num_items, num_items, validate=False)
        out._keys = keys
        return out

    # ------------------------------------------------------------------ views
    @property
    def num_users(self) -> int:
        return self.rowptr.numel() - 1

    @property
    def nnz(self) -> int:
        return self.items.numel()

    def degree(self) -> Tensor:
        """``[num_users]`` number of items per user."""
        return self.rowptr[1:] - self.rowptr[:-1]

    def user_index(self) -> Tensor:
        """``[nnz]`` the user of each stored item (COO rows)."""
        return torch.repeat_interleave(torch.arange(self.num_users, device=self.rowptr.device), self.degree())

    def pairs(self) -> Tuple[Tensor, Tensor]:
        """``(users [nnz], items [nnz])`` in CSR order."""
        return self.user_index(), self.items

    def row(self, user: int) -> Tensor:
        """The sorted items of one user."""
        return self.items[int(self.rowptr[user]):int(self.rowptr[user + 1])]

    def keys(self) -> Tensor:
        """``[nnz]`` sorted int64 keys ``user * num_items + item`` (cached)."""
        if self._keys is None:
            self._keys = self.user_index() * self.num_items + self.items
        return self._keys

    def contains(self, users: Tensor, items: Tensor) -> Tensor:
        """Whether each ``(users[k], items[k])`` pair is stored (any broadcastable shapes).

        Returns:
            bool tensor of the broadcast shape.
        """
        q = torch.as_tensor(users, dtype=torch.long) * self.num_items + torch.as_tensor(items, dtype=torch.long)
        keys = self.keys()
        if keys.numel() == 0:
            return torch.zeros(q.shape, dtype=torch.bool, device=q.device)
        pos = torch.searchsorted(keys, q.reshape(-1)).clamp_(max=keys.numel() - 1)
        return (keys[pos] == q.reshape(-1)).view(q.shape)

    def to(self, device: Union[str, torch.device]) -> "UserItems":
        """A copy on ``device`` (keys included once computed)."""
        out = UserItems(self.rowptr.to(device), self.items.to(device), self.num_items, validate=False)
        out._keys = self._keys.to(device) if self._keys is not None else None
        return out

    def users_with_items(self) -> Tensor:
        """Ids of the users that have at least one item."""
        return torch.nonzero(self.degree() > 0).view(-1)

    def __repr__(self) -> str:
        return f"UserItems(num_users={self.num_users}, num_items={self.num_items}, nnz={self.nnz})"
