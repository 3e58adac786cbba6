"""Feature and graph preprocessing named in configs' ``data`` section."""
from __future__ import annotations

from typing import Any, Dict, Tuple

import torch
from torch import Tensor

from .sparse import Graph

__all__ = ["row_normalize", "prepare"]


def row_normalize(x: Tensor) -> Tensor:
    """Scale each row to sum 1 (rows summing to 0 stay 0), as DGL's citation datasets ship
    their features and PyG's ``NormalizeFeatures`` does."""
    s = x.sum(1, keepdim=True)
    return x / torch.where(s == 0, torch.ones_like(s), s)


def prepare(graph: Graph, x: Tensor, cfg: Dict[str, Any]) -> Tuple[Graph, Tensor]:
    """Apply a config's ``data`` section to one graph: ``normalize_features`` (row sums to 1)
    and ``self_loops`` (exactly one self-loop per node). The batching keys
    (``batch_size``, ``degree_features``) are for graph-level pipelines and ignored here.

    Raises:
        ValueError: an unknown key.
    """
    known = {"normalize_features", "self_loops", "batch_size", "degree_features"}
    unknown = set(cfg) - known
    if unknown:
        raise ValueError(f"unknown data options {sorted(unknown)}; known: {sorted(known)}")
    if cfg.get("normalize_features"):
        x = row_normalize(x)
    if cfg.get("self_loops"):
        graph = graph.remove_self_loops().add_self_loops()
    return graph, x
