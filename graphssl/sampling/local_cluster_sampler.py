"""`LocalClusterSampler`: ego graphs of local clusters found by approximate personalised
PageRank (the push algorithm of Andersen, Chung and Lang), as GraphMAE2 uses to
pretrain on large graphs."""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor

from ..sparse.graph import Graph
from . import _numba_kernels as nk
from ._subgraph import CSRView
from ..checks import check_fraction, check_int
from ._validation import check_graph, check_ids, index_view, num_threads
from .base import Sampler, register_sampler
from .block import Subgraph
from .random_walk_sampler import _check_cpu

__all__ = ["LocalClusterSampler", "ppr_clusters"]


def ppr_clusters(graph: Graph, seeds: Tensor, cluster_size: int = 64, alpha: float = 0.15,
                 eps: float = 1e-4) -> Tuple[Tensor, Tensor]:
    """The ``cluster_size`` nodes of largest approximate PPR score around every seed.

    The push moves mass from a node to the sources of its incoming edges (its neighbours
    in an undirected graph) and stops when every residual is below ``eps * degree``, so
    the work per seed is about ``1 / (eps * alpha)`` edge visits, independent of the
    graph's size.

    Args:
        graph: a square CPU graph.
        seeds: ``[S]`` node ids.
        cluster_size: nodes per cluster, the seed included.
        alpha: teleport (restart) probability in ``(0, 1)``.
        eps: push tolerance in ``(0, 1)``.

    Returns:
        ``(nodes [S, cluster_size], scores [S, cluster_size])``: the seed first, then by
        descending score; ``-1`` / ``0`` where fewer nodes were reached.

    Raises:
        ValueError: non-square or non-CPU graph, bad seeds or parameters.
    """
    check_graph(graph, "ppr_clusters")
    _check_cpu(graph, "ppr_clusters")
    k = check_int("cluster_size", cluster_size)
    alpha = check_fraction("alpha", alpha, low_open=True)
    eps = check_fraction("eps", eps, low_open=True)
    seeds = check_ids(seeds, graph.num_nodes, "seeds")
    idx, val = nk.push_topk(index_view(graph.rowptr), index_view(graph.col), seeds.numpy(), alpha, eps, k,
                           num_threads(seeds.numel() * int(1 / eps)))
    return torch.from_numpy(idx), torch.from_numpy(val)


@register_sampler("local_cluster")
class LocalClusterSampler(Sampler):
    """One ego graph per seed: the subgraph induced by the seed's local cluster (its
    ``cluster_size`` nodes of largest approximate PPR score).

    ``sample(seeds)`` returns a :class:`Subgraph` holding the ego graphs as a disjoint
    union: ego graph ``b`` owns nodes ``ptr[b]:ptr[b+1]`` (``nodes`` gives their global
    ids; the same node can appear in several ego graphs) and its seed is local node
    ``roots[b] == ptr[b]``. Deterministic: the generator is not used.

    Args:
        graph: a square CPU graph (symmetric for the usual undirected clusters).
        cluster_size: nodes per ego graph (fewer when the push reaches fewer).
        alpha: PPR teleport probability.
        eps: push tolerance.

    Raises:
        ValueError: non-square or non-CPU graph, bad parameters.
    """

    def __init__(self, graph: Graph, cluster_size: int = 64, alpha: float = 0.15, eps: float = 1e-4,
                 seed: Optional[int] = None) -> None:
        super().__init__(seed)
        self.graph = check_graph(graph, "LocalClusterSampler")
        _check_cpu(graph, "LocalClusterSampler")
        self.cluster_size = check_int("cluster_size", cluster_size)
        self.alpha = check_fraction("alpha", alpha, low_open=True)
        self.eps = check_fraction("eps", eps, low_open=True)
        self._csr = CSRView(graph)

    def default_items(self) -> Tensor:
        """Every node."""
        return torch.arange(self.graph.num_nodes)

    def sample(self, seeds: Tensor, generator: Optional[torch.Generator] = None) -> Subgraph:
        """The ego graphs of ``seeds [B]``.

        Raises:
            ValueError: seeds not 1-d integers or out of range.
        """
        seeds = check_ids(seeds, self.graph.num_nodes, "seeds")
        rowptr, col, _ = self._csr.arrays
        idx, _ = nk.push_topk(rowptr, col, seeds.numpy(), self.alpha, self.eps, self.cluster_size,
                             num_threads(seeds.numel() * int(1 / self.eps)))
        idx = torch.from_numpy(idx)
        valid = idx >= 0
        counts = valid.sum(1)
        ptr = torch.zeros(seeds.numel() + 1, dtype=torch.long)
        torch.cumsum(counts, 0, out=ptr[1:])
        nodes = idx[valid]  # row-major: ego graph after ego graph, seed first
        g, eid = self._csr.induced(nodes, ptr)
        return Subgraph(g, nodes, eid, ptr, ptr[:-1].clone())
