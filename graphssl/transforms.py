"""Feature and graph preprocessing named in configs' ``data`` section."""
from __future__ import annotations

from typing import Any, Dict, Tuple

import torch
from torch import Tensor

from .sparse import Graph

__all__ = ["row_normalize", "check_features", "prepare"]


def row_normalize(x: Tensor) -> Tensor:
    """Scale each row to sum 1 (rows summing to 0 stay 0), as DGL's citation datasets ship
    their features and PyG's ``NormalizeFeatures`` does."""
    s = x.sum(1, keepdim=True)
    return x / torch.where(s == 0, torch.ones_like(s), s)


def check_features(x: Any, num_nodes: int, where: str = "node features") -> Tensor:
    """``x`` if it is a ``[num_nodes, F]`` floating-point tensor of finite values.

    Raises:
        ValueError: not a tensor, not 2-D, the wrong number of rows, an integer dtype, or
            NaN/inf entries (the message counts them and names the first node and feature).
    """
    if not isinstance(x, Tensor):
        raise ValueError(f"{where} must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 2 or x.size(0) != num_nodes:
        raise ValueError(f"{where} must be [{num_nodes}, F] (one row per node), got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise ValueError(f"{where} must be floating point, got {x.dtype}")
    bad = ~torch.isfinite(x)
    if bool(bad.any()):
        node, feature = (int(i) for i in bad.nonzero()[0])
        raise ValueError(f"{where} hold {int(bad.sum())} NaN/inf value(s); the first at node {node}, "
                         f"feature {feature} ({float(x[node, feature])})")
    return x


def prepare(graph: Graph, x: Tensor, cfg: Dict[str, Any], where: str = "node features") -> Tuple[Graph, Tensor]:
    """Apply a config's ``data`` section to one graph: ``normalize_features`` (row sums to 1)
    and ``self_loops`` (exactly one self-loop per node). The batching keys
    (``batch_size``, ``degree_features``) are for graph-level pipelines and ignored here.
    ``x`` is checked first (:func:`check_features`; ``where`` names it in the error).

    Raises:
        ValueError: an unknown key, or features that :func:`check_features` refuses.
    """
    check_features(x, graph.num_nodes, where)
    known = {"normalize_features", "self_loops", "batch_size", "degree_features"}
    unknown = set(cfg) - known
    if unknown:
        raise ValueError(f"unknown data options {sorted(unknown)}; known: {sorted(known)}")
    if cfg.get("normalize_features"):
        x = row_normalize(x)
    if cfg.get("self_loops"):
        graph = graph.remove_self_loops().add_self_loops()
    return graph, x
