"""`ClusterSampler`: Cluster-GCN batches, the subgraph induced by a few parts of a partition."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from ..sparse.graph import Graph
from ._subgraph import CSRView
from ._validation import check_graph, check_ids
from .base import Sampler, register_sampler
from .block import Subgraph
from .partition import partition_graph
from .random_walk_sampler import _check_cpu

__all__ = ["ClusterSampler"]


@register_sampler("cluster")
class ClusterSampler(Sampler):
    """Cluster-GCN: partition the nodes once, then each batch is the subgraph induced by
    the union of a few parts (edges between the chosen parts included, as in Cluster-GCN's
    stochastic multiple partitions). A :class:`SampleLoader` over the part ids with
    ``batch_size=q`` draws ``q`` parts per batch.

    Args:
        graph: a square CPU graph.
        num_parts: parts to cut the graph into (ignored when ``parts`` is given).
        parts: ``[N]`` precomputed part id of every node (e.g. from METIS offline).
        method: see :func:`partition_graph` (``"auto"``: METIS with pymetis, else a
            seeded spectral split for up to 64 parts, breadth-first beyond).
        seed: seeds the partition and the sampler's generator.

    ``sample(part_ids)`` returns a :class:`Subgraph` whose nodes are those of the chosen
    parts (part after part, increasing id within a part); deterministic.

    Raises:
        ValueError: non-square or non-CPU graph, neither or a bad ``parts``/``num_parts``.
    """

    def __init__(self, graph: Graph, num_parts: Optional[int] = None, parts: Optional[Tensor] = None,
                 method: str = "auto", seed: Optional[int] = 0) -> None:
        super().__init__(seed)
        self.graph = check_graph(graph, "ClusterSampler")
        _check_cpu(graph, "ClusterSampler")
        if parts is None:
            if num_parts is None:
                raise ValueError("ClusterSampler needs num_parts or parts")
            parts = partition_graph(graph, num_parts, method, seed)
        else:
            if not isinstance(parts, Tensor) or parts.dim() != 1 or parts.numel() != graph.num_nodes:
                raise ValueError(f"parts must be a [{graph.num_nodes}] integer tensor (one part id per node)")
            parts = check_ids(parts, max(graph.num_nodes, 1), "parts")
        self.parts = parts
        self.num_parts = int(parts.max()) + 1 if parts.numel() else 0
        order = torch.argsort(parts, stable=True)
        counts = torch.bincount(parts, minlength=self.num_parts)
        self._part_ptr = torch.zeros(self.num_parts + 1, dtype=torch.long)
        torch.cumsum(counts, 0, out=self._part_ptr[1:])
        self._part_nodes = order
        self._csr = CSRView(graph)

    def default_items(self) -> Tensor:
        """Every part id."""
        return torch.arange(self.num_parts)

    def part_nodes(self, part: int) -> Tensor:
        """``[n_p]`` the nodes of one part, in increasing id."""
        return self._part_nodes[int(self._part_ptr[part]):int(self._part_ptr[part + 1])]

    def sample(self, part_ids: Tensor, generator: Optional[torch.Generator] = None) -> Subgraph:
        """The subgraph induced by the union of ``part_ids [q]`` (unique part ids).

        Raises:
            ValueError: part ids not 1-d integers, out of range or repeated.
        """
        part_ids = check_ids(part_ids, self.num_parts, "part_ids")
        if torch.unique(part_ids).numel() != part_ids.numel():
            raise ValueError("part_ids contain duplicates")
        nodes = torch.cat([self.part_nodes(int(p)) for p in part_ids]) if part_ids.numel() else \
            torch.zeros(0, dtype=torch.long)
        g, eid = self._csr.induced(nodes, torch.tensor([0, nodes.numel()]))
        return Subgraph(g, nodes, eid)
