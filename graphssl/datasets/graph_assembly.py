"""Cutting one big block-diagonal edge list into per-graph samples (TU and GIN formats)."""
from __future__ import annotations

from typing import List, Optional

import numpy as np
import torch

from ..sparse import Graph
from .types import GraphSample

__all__ = ["split_graphs", "one_hot_columns", "labels_to_classes"]


def one_hot_columns(labels: np.ndarray) -> np.ndarray:
    """``[n, k]`` integer labels -> float32 one-hot blocks, one per column, each column shifted
    to start at 0 (PyG's TUDataset encoding)."""
    labels = np.asarray(labels, dtype=np.int64).reshape(labels.shape[0], -1)
    blocks = []
    for c in range(labels.shape[1]):
        v = labels[:, c] - (labels[:, c].min() if labels.shape[0] else 0)
        width = int(v.max()) + 1 if v.size else 0
        block = np.zeros((v.size, width), dtype=np.float32)
        block[np.arange(v.size), v] = 1.0
        blocks.append(block)
    return np.concatenate(blocks, axis=1) if blocks else np.zeros((labels.shape[0], 0), dtype=np.float32)


def split_graphs(node_graph: np.ndarray, src: np.ndarray, dst: np.ndarray, y: np.ndarray,
                 x: Optional[np.ndarray], edge_attr: Optional[np.ndarray]) -> List[GraphSample]:
    """Per-graph samples from a global node/edge list.

    Self-loops are dropped, duplicate edges merged (the first one's attributes kept) and each
    graph's edges put in CSR order (by target, then source), with ``edge_attr`` permuted alike.

    Args:
        node_graph: ``[N]`` 0-based graph id of each node, non-decreasing (nodes grouped by graph).
        src, dst: ``[E]`` global node ids; both ends of an edge must lie in the same graph.
        y: ``[G]`` int64 graph labels.
        x: ``[N, F]`` float32 node features or None.
        edge_attr: ``[E, D]`` float32 edge features or None.

    Returns:
        ``G`` :class:`GraphSample` objects whose tensors are views of shared storage.
    """
    num_nodes = node_graph.size
    num_graphs = y.size
    keep = src != dst
    src, dst = src[keep], dst[keep]
    if edge_attr is not None:
        edge_attr = edge_attr[keep]
    key = dst * max(num_nodes, 1) + src
    order = np.argsort(key, kind="stable")
    key = key[order]
    first = np.ones(key.size, dtype=bool)
    first[1:] = key[1:] != key[:-1]
    order = order[first]
    src, dst = src[order], dst[order]
    rowptr = np.zeros(num_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(dst, minlength=num_nodes), out=rowptr[1:])
    node_ptr = np.zeros(num_graphs + 1, dtype=np.int64)
    np.cumsum(np.bincount(node_graph, minlength=num_graphs), out=node_ptr[1:])

    rowptr_t, col_t = torch.from_numpy(rowptr), torch.from_numpy(src)
    x_t = torch.from_numpy(x) if x is not None else None
    ea_t = torch.from_numpy(np.ascontiguousarray(edge_attr[order])) if edge_attr is not None else None
    y_t = torch.from_numpy(y.astype(np.int64))
    samples = []
    for g in range(num_graphs):
        lo, hi = int(node_ptr[g]), int(node_ptr[g + 1])
        e_lo, e_hi = int(rowptr[lo]), int(rowptr[hi])
        graph = Graph(rowptr_t[lo:hi + 1] - e_lo, col_t[e_lo:e_hi] - lo, validate=False)
        samples.append(GraphSample(graph=graph, x=x_t[lo:hi] if x_t is not None else None, y=y_t[g],
                                   edge_attr=ea_t[e_lo:e_hi] if ea_t is not None else None))
    return samples


def labels_to_classes(raw: np.ndarray) -> np.ndarray:
    """Map arbitrary integer graph labels to ``0..C-1`` in sorted order (MUTAG's -1/1 -> 0/1)."""
    _, inv = np.unique(raw, return_inverse=True)
    return inv.astype(np.int64).reshape(-1)

