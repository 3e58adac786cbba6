"""Helpers shared by the speed benchmarks (imported from the scripts' own folder; numpy
only, so the peers' environments can import it too)."""
from __future__ import annotations

import numpy as np

__all__ = ["random_edges"]


def random_edges(nodes: int, edges: int, seed: int = 0):
    """``(src, dst)`` int64 arrays: ``edges // 2`` uniform random pairs and their reverses."""
    if nodes < 1 or edges < 0:
        raise ValueError(f"need nodes >= 1 and edges >= 0, got {nodes} and {edges}")
    rng = np.random.default_rng(seed)
    half = edges // 2
    s = rng.integers(0, nodes, half)
    d = rng.integers(0, nodes, half)
    extra = rng.integers(0, nodes, (2, edges - 2 * half))
    return np.concatenate([s, d, extra[0]]), np.concatenate([d, s, extra[1]])
