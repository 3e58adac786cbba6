"""Random node splits for datasets without a public one (Amazon, Coauthor)."""
from __future__ import annotations

from typing import Optional, Tuple, Union

import torch
from torch import Tensor

__all__ = ["random_split"]


def _count(v: Union[int, float], n: int, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError(f"{what} must be a fraction in (0, 1) or a node count, got {v!r}")
    if isinstance(v, float):
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"{what} fraction must lie in [0, 1], got {v}")
        return int(round(v * n))
    if v < 0:
        raise ValueError(f"{what} count must be >= 0, got {v}")
    return int(v)


def random_split(
    nodes: Union[int, Tensor],
    train: Union[int, float] = 0.1,
    val: Union[int, float] = 0.1,
    test: Union[int, float, None] = None,
    seed: int = 0,
    generator: Optional[torch.Generator] = None,
) -> Tuple[Tensor, Tensor, Tensor]:
    """Random disjoint train/val/test node masks.

    Args:
        nodes: the number of nodes, or ``[N]`` int labels (then nodes labelled ``< 0``, which
            have no label, are left out of every split).
        train, val: a fraction (float) of the eligible nodes or a count (int).
        test: same; ``None`` gives all remaining eligible nodes.
        seed: seeds the permutation (ignored when ``generator`` is given).
        generator: a ``torch.Generator`` to draw from instead.

    Returns:
        ``(train_mask, val_mask, test_mask)``, each ``[N]`` bool.

    Raises:
        ValueError: bad sizes, or the parts need more nodes than are eligible.

    Example:
        >>> tr, va, te = random_split(100, train=0.1, val=0.1, seed=0)
        >>> int(tr.sum()), int(va.sum()), int(te.sum())
        (10, 10, 80)
    """
    if isinstance(nodes, Tensor):
        if nodes.dim() != 1 or nodes.is_floating_point():
            raise ValueError(f"labels must be a 1-d integer tensor, got {nodes.dtype} {tuple(nodes.shape)}")
        n = nodes.numel()
        eligible = (nodes.cpu() >= 0).nonzero().view(-1)
    else:
        if isinstance(nodes, bool) or not isinstance(nodes, int) or nodes < 0:
            raise ValueError(f"nodes must be a node count >= 0 or a label tensor, got {nodes!r}")
        n = nodes
        eligible = torch.arange(n)
    m = eligible.numel()
    n_tr, n_va = _count(train, m, "train"), _count(val, m, "val")
    n_te = m - n_tr - n_va if test is None else _count(test, m, "test")
    if n_tr + n_va + n_te > m or n_te < 0:
        raise ValueError(f"train ({n_tr}) + val ({n_va}) + test ({max(n_te, 0)}) exceed the {m} eligible nodes")
    gen = generator if generator is not None else torch.Generator().manual_seed(int(seed))
    perm = eligible[torch.randperm(m, generator=gen)]
    masks = []
    for lo, hi in ((0, n_tr), (n_tr, n_tr + n_va), (n_tr + n_va, n_tr + n_va + n_te)):
        mask = torch.zeros(n, dtype=torch.bool)
        mask[perm[lo:hi]] = True
        masks.append(mask)
    return masks[0], masks[1], masks[2]
