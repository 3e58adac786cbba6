"""Hop distances from a few source nodes (breadth-first search in scipy's C code, one
search per source, vectorised over the graph), for the distance-based pretext tasks."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from scipy.sparse.csgraph import shortest_path
from torch import Tensor

from ..sparse import Graph

__all__ = ["to_scipy_adjacency", "hop_distances"]


def to_scipy_adjacency(graph: Graph) -> sp.csr_matrix:
    """The graph's structure as a ``[N, N]`` scipy CSR matrix of ones (``A[t, s]`` for an
    edge ``s -> t``; duplicates merged, weights ignored).

    Raises:
        ValueError: a bipartite graph.
    """
    if graph.is_bipartite:
        raise ValueError(f"hop distances need a square graph, got a bipartite one ({graph!r})")
    rowptr = graph.rowptr.detach().cpu().numpy()
    col = graph.col.detach().cpu().numpy()
    data = np.ones(col.shape[0], dtype=np.float32)
    a = sp.csr_matrix((data, col, rowptr), shape=(graph.num_nodes, graph.num_nodes))
    a.sum_duplicates()
    a.data[:] = 1.0
    return a


def hop_distances(graph: Graph, sources: Tensor) -> Tensor:
    """Shortest-path hop counts from each source to every node, edges taken as undirected.

    Args:
        graph: a square graph.
        sources: ``[S]`` int64 source node ids.

    Returns:
        ``[S, N]`` float32 on the graph's device: ``0`` at the source itself, ``inf`` for
        nodes in another connected component.

    Raises:
        ValueError: a bipartite graph, or a source id outside ``[0, N)``.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), 4)
        >>> hop_distances(g, torch.tensor([0])).tolist()
        [[0.0, 1.0, 2.0, inf]]
    """
    src = torch.as_tensor(sources).reshape(-1).long()
    n = graph.num_nodes
    if src.numel() and (int(src.min()) < 0 or int(src.max()) >= n):
        raise ValueError(f"source ids must lie in [0, {n}), got [{int(src.min())}, {int(src.max())}]")
    if src.numel() == 0:
        return torch.empty(0, n, device=graph.device)
    a = to_scipy_adjacency(graph)
    d = shortest_path(a, method="D", directed=False, unweighted=True, indices=src.cpu().numpy())
    return torch.from_numpy(np.asarray(d, dtype=np.float32).reshape(src.numel(), n)).to(graph.device)
