"""`partition_graph`: split a graph's nodes into parts (METIS when pymetis is installed,
else a seeded spectral or breadth-first split), and `edge_cut` to score a partition. Used
by the cluster sampler, the partition-prediction evaluator and the Distance2Clusters
pretext task."""
from __future__ import annotations

import importlib
from typing import Optional

import numpy as np
import torch
from torch import Tensor

from ..sparse.graph import Graph
from ..checks import check_int
from ._validation import check_graph
from .spectral_partition import spectral_labels

__all__ = ["partition_graph", "edge_cut", "PARTITION_METHODS"]

#: Accepted ``method`` values of :func:`partition_graph`.
PARTITION_METHODS = ("auto", "metis", "spectral", "bfs", "random")
# Without pymetis, "auto" partitions spectrally up to this many parts / nodes (a dense
# k-means over k eigenvectors), and breadth-first beyond.
_SPECTRAL_MAX_PARTS, _SPECTRAL_MAX_NODES = 64, 200_000


def _symmetric(graph: Graph):
    """The undirected, loop-free, duplicate-free ``[N, N]`` scipy CSR adjacency (float32)."""
    import scipy.sparse as sp

    n = graph.num_nodes
    ei, _ = graph.to_edge_index()
    src, dst = ei[0].numpy(), ei[1].numpy()
    keep = src != dst
    a = sp.coo_matrix((np.ones(int(keep.sum()), np.int8), (src[keep], dst[keep])), shape=(n, n)).tocsr()
    a = ((a + a.T) > 0).astype(np.float32).tocsr()
    a.sort_indices()
    return a


def _symmetric_csr(graph: Graph):
    """``(indptr, indices)`` numpy int64 of :func:`_symmetric`."""
    a = _symmetric(graph)
    return a.indptr.astype(np.int64), a.indices.astype(np.int64)


def _has_pymetis() -> bool:
    try:
        importlib.import_module("pymetis")
    except ImportError:
        return False
    return True


def _metis(graph: Graph, num_parts: int, seed: int) -> np.ndarray:
    try:
        import pymetis
    except ImportError:
        raise ImportError("partition_graph(method='metis') needs pymetis: pip install graphssl[metis] "
                          "(or pip install pymetis; or use method='spectral' or 'bfs')") from None
    indptr, indices = _symmetric_csr(graph)
    options = pymetis.Options(seed=int(seed))
    if hasattr(pymetis, "CSRAdjacency"):
        res = pymetis.part_graph(num_parts, adjacency=pymetis.CSRAdjacency(indptr, indices), options=options)
    else:  # older pymetis
        res = pymetis.part_graph(num_parts, xadj=indptr, adjncy=indices, options=options)
    membership = res[1] if isinstance(res, tuple) else res.vertex_part
    return np.asarray(membership, dtype=np.int64)


def _bfs(graph: Graph, num_parts: int, seed: int) -> np.ndarray:
    """Breadth-first order from seeded random starts (one per connected component, in
    seeded order), cut into ``num_parts`` contiguous runs of equal size: parts are
    connected pieces, far from METIS's edge cut but much better than random."""
    from scipy.sparse.csgraph import breadth_first_order
    import scipy.sparse as sp

    n = graph.num_nodes
    indptr, indices = _symmetric_csr(graph)
    a = sp.csr_matrix((np.ones(indices.size, np.int8), indices, indptr), shape=(n, n))
    rng = np.random.default_rng(seed)
    order = np.empty(n, np.int64)
    done = np.zeros(n, bool)
    filled = 0
    for s in rng.permutation(n):
        if done[s]:
            continue
        comp = breadth_first_order(a, int(s), directed=False, return_predecessors=False)
        order[filled:filled + comp.size] = comp
        done[comp] = True
        filled += comp.size
    parts = np.empty(n, np.int64)
    parts[order] = (np.arange(n) * num_parts) // max(n, 1)
    return parts


def partition_graph(graph: Graph, num_parts: int, method: str = "auto", seed: Optional[int] = 0) -> Tensor:
    """Assign every node to one of ``num_parts`` parts.

    Methods:
        ``"metis"``: METIS (pymetis) on the symmetrised graph, minimising the edge cut
        (what Cluster-GCN and ParetoGNN use). ``"spectral"``: needs nothing extra;
        normalised spectral clustering with balanced part sizes refined by size-capped
        label propagation (good cuts for a few parts; cost grows with ``num_parts``).
        ``"bfs"``: a breadth-first order from seeded random starts cut into equal runs
        (connected parts, larger edge cut; cheap for thousands of parts). ``"random"``:
        uniform random parts of equal size. ``"auto"``: METIS when pymetis imports, else
        ``"spectral"`` up to 64 parts and 200,000 nodes, else ``"bfs"``.

    Args:
        graph: a square graph (edge directions are ignored).
        num_parts: number of parts, ``1 <= num_parts <= num_nodes``.
        method: one of the above.
        seed: seeds the random choices (METIS's too).

    Returns:
        ``[N]`` int64 part id of every node, in ``[0, num_parts)``, on the graph's device.

    Raises:
        ValueError: non-square graph, bad ``num_parts`` or method.
        ImportError: ``method="metis"`` without pymetis (with the install hint).
    """
    check_graph(graph, "partition_graph")
    k = check_int("num_parts", num_parts)
    n = graph.num_nodes
    if k > max(n, 1):
        raise ValueError(f"num_parts ({k}) exceeds the number of nodes ({n})")
    if method not in PARTITION_METHODS:
        raise ValueError(f"method must be one of {PARTITION_METHODS}, got {method!r}")
    seed = 0 if seed is None else int(seed)
    device = graph.device
    graph = graph.to("cpu")
    if method == "auto":
        if _has_pymetis():
            method = "metis"
        else:
            small = k <= _SPECTRAL_MAX_PARTS and n <= _SPECTRAL_MAX_NODES
            method = "spectral" if small else "bfs"
    if k == 1 or n == 0:
        parts = np.zeros(n, np.int64)
    elif method == "metis":
        parts = _metis(graph, k, seed)
    elif method == "spectral":
        parts = spectral_labels(_symmetric(graph), k, seed)
    elif method == "bfs":
        parts = _bfs(graph, k, seed)
    else:
        perm = np.random.default_rng(seed).permutation(n)
        parts = np.empty(n, np.int64)
        parts[perm] = (np.arange(n) * k) // n
    return torch.from_numpy(parts).to(device)


def edge_cut(graph: Graph, labels: Tensor) -> int:
    """Number of undirected edges whose endpoints lie in different parts.

    Raises:
        ValueError: ``labels`` is not ``[N]``.
    """
    import scipy.sparse as sp

    check_graph(graph, "edge_cut")
    if labels.shape != (graph.num_nodes,):
        raise ValueError(f"labels must have shape ({graph.num_nodes},), got {tuple(labels.shape)}")
    a = sp.triu(_symmetric(graph.to("cpu")), k=1).tocoo()
    lab = labels.detach().cpu().numpy()
    return int((lab[a.row] != lab[a.col]).sum())
