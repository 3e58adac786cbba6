"""Helpers of the recommender-head tests: a real slice of Gowalla (first 2,000 users), a tiny
synthetic interaction set, GraphContexts over them, fixed batches."""
from dataclasses import dataclass

import pytest
import torch

from graphssl.rec.heads import GraphContext


@dataclass
class Slice:
    num_users: int
    num_items: int
    users: torch.Tensor
    items: torch.Tensor


def gowalla_slice(root, num_users: int = 2000) -> Slice:
    """Training interactions of the first ``num_users`` users, items relabelled 0..I-1."""
    from graphssl.datasets import DatasetNotFoundError, load_dataset
    try:
        ds = load_dataset("gowalla", root=root, download=False, progress=False)
    except DatasetNotFoundError as e:
        pytest.skip(f"gowalla not available under {root}: {e}")
    train = ds.train[ds.train[:, 0] < num_users]
    items, inv = torch.unique(train[:, 1], return_inverse=True)
    return Slice(num_users, items.numel(), train[:, 0].clone(), inv)


def make_context(s: Slice, dim: int = 32, num_layers: int = 2, seed: int = 0) -> GraphContext:
    g = torch.Generator().manual_seed(seed)
    ego = torch.nn.Parameter(torch.randn(s.num_users + s.num_items, dim, generator=g) * 0.1)
    return GraphContext.from_interactions(s.num_users, s.num_items, s.users, s.items, ego, num_layers)


def batch_of(s: Slice, size: int = 512, seed: int = 0):
    """A fixed random batch of (user, positive item) training pairs."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, s.users.numel(), (size,), generator=g)
    return s.users[idx], s.items[idx]
