"""Tensor and graph checks shared by the augmenters (the number checks are in graphssl.checks)."""
from __future__ import annotations

from typing import Optional, Sequence

import torch
from torch import Tensor

from ..sparse.graph import Graph

__all__ = ["check_probability_tensor", "check_graph", "check_square", "check_node_tensor", "check_edge_tensor",
           "check_batch_vector"]


def check_probability_tensor(name: str, t: object, shape: Sequence[int]) -> Tensor:
    """``t`` if it is a floating-point tensor of ``shape`` with values in ``[0, 1]``.

    Raises:
        ValueError: wrong type, shape or dtype, or a value outside ``[0, 1]``.
    """
    shape = tuple(int(d) for d in shape)
    if not isinstance(t, Tensor) or tuple(t.shape) != shape:
        got = tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__
        raise ValueError(f"{name} must have shape {shape}, got {got}")
    if not t.is_floating_point():
        raise ValueError(f"{name} must be floating point, got {t.dtype}")
    if t.numel() and (float(t.min()) < 0 or float(t.max()) > 1):
        raise ValueError(f"{name} must lie in [0, 1]")
    return t


def check_graph(graph: object, what: str) -> Graph:
    """``graph`` if it is a :class:`Graph`.

    Raises:
        ValueError: anything else (a GraphBatch gets a hint to use ``augment_batch``).
    """
    if not isinstance(graph, Graph):
        hint = " (for a GraphBatch use augment_batch)" if type(graph).__name__ == "GraphBatch" else ""
        raise ValueError(f"{what} expects a graphssl.sparse.Graph, got {type(graph).__name__}{hint}")
    return graph


def check_square(graph: Graph, what: str) -> None:
    """Raise ValueError if ``graph`` is bipartite (a sampled Block): ``what`` needs one node set."""
    if graph.is_bipartite:
        raise ValueError(f"{what} needs a square graph (one node set), got a bipartite one ({graph!r}); "
                         "node-level augmentations do not apply to sampled Blocks")


def check_node_tensor(name: str, t: Optional[Tensor], num_rows: int, what: str = "source nodes",
                      floating: bool = False) -> Optional[Tensor]:
    """``t`` (or None) if it is a tensor with ``num_rows`` rows.

    Raises:
        ValueError: not a tensor, 0-dimensional, wrong row count, or not floating point when
            ``floating``.
    """
    if t is None:
        return None
    if not isinstance(t, Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if t.dim() == 0:
        raise ValueError(f"{name} must have one row per {what[:-1]}, got a scalar")
    if t.size(0) != num_rows:
        raise ValueError(f"{name} has {t.size(0)} rows but the graph has {num_rows} {what}")
    if floating and not t.is_floating_point():
        raise ValueError(f"{name} must be floating point, got {t.dtype}")
    return t


def check_edge_tensor(name: str, t: Optional[Tensor], num_edges: int) -> Optional[Tensor]:
    """``t`` (or None) if it is a tensor with one row per edge.

    Raises:
        ValueError: not a tensor or wrong row count.
    """
    if t is None:
        return None
    if not isinstance(t, Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if t.dim() == 0 or t.size(0) != num_edges:
        raise ValueError(f"{name} must have one row per edge ({num_edges}), got shape {tuple(t.shape)}")
    return t


def check_batch_vector(batch: Optional[Tensor], num_nodes: int, num_graphs: Optional[int] = None) -> int:
    """Validate a ``[N]`` graph-id vector (sorted, as a GraphBatch keeps it) and return the
    number of graphs (``num_graphs`` if given, else ``max + 1``; 1 when ``batch`` is None).

    Raises:
        ValueError: wrong length or dtype, negative or unsorted ids, ids >= ``num_graphs``.
    """
    if batch is None:
        return 1 if num_graphs is None else int(num_graphs)
    if not isinstance(batch, Tensor) or batch.dtype not in (torch.int64, torch.int32):
        raise ValueError(f"batch must be an integer tensor of graph ids, got "
                         f"{getattr(batch, 'dtype', type(batch).__name__)}")
    if batch.dim() != 1 or batch.numel() != num_nodes:
        raise ValueError(f"batch must have shape [{num_nodes}] (one graph id per node), got {tuple(batch.shape)}")
    if batch.numel():
        if int(batch.min()) < 0:
            raise ValueError("batch contains a negative graph id")
        if bool((batch[1:] < batch[:-1]).any()):
            raise ValueError("batch must be sorted (each graph's nodes contiguous, as in a GraphBatch)")
    inferred = int(batch.max()) + 1 if batch.numel() else 0
    if num_graphs is None:
        return inferred
    if inferred > num_graphs:
        raise ValueError(f"batch has graph id {inferred - 1} but num_graphs={num_graphs}")
    return int(num_graphs)
