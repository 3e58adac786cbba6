"""Synthetic interaction sets for the recommendation-core tests."""
import torch

from graphssl.rec import InteractionData, UserItems


def random_interactions(num_users: int = 40, num_items: int = 30, nnz: int = 300, test_nnz: int = 80,
                        seed: int = 0) -> InteractionData:
    """Random train/test sets (test pairs disjoint from train) where every user has training items."""
    g = torch.Generator().manual_seed(seed)
    u = torch.cat([torch.arange(num_users), torch.randint(0, num_users, (nnz,), generator=g)])
    i = torch.randint(0, num_items, (u.numel(),), generator=g)
    train = UserItems.from_pairs(u, i, num_users, num_items)
    tu = torch.randint(0, num_users, (test_nnz,), generator=g)
    ti = torch.randint(0, num_items, (test_nnz,), generator=g)
    keep = ~train.contains(tu, ti)
    test = UserItems.from_pairs(tu[keep], ti[keep], num_users, num_items)
    return InteractionData(num_users, num_items, train, test, name="random")
