"""`RandomWalkSampler`: GraphSAINT's random-walk node sampler (subgraph induced by the
nodes that short walks from random roots visit)."""
from __future__ import annotations

from typing import Optional

import numpy as np
import torch
from torch import Tensor

from ..sparse.graph import Graph
from . import _numba_kernels as nk
from ._subgraph import CSRView
from ..checks import check_int
from ._validation import check_graph, check_ids, draw_seed, index_view, num_threads
from .base import Sampler, register_sampler
from .block import Subgraph

__all__ = ["RandomWalkSampler", "random_walks"]


def _check_cpu(graph: Graph, who: str) -> None:
    if graph.device.type != "cpu":
        raise ValueError(f"{who} samples CPU graphs; this graph is on {graph.device} (pass graph.to('cpu') "
                         "and move the samples to the device)")


def random_walks(graph: Graph, start: Tensor, walk_length: int, generator: Optional[torch.Generator] = None) -> Tensor:
    """Uniform random walks over incoming edges (from a node to a source of one of its
    incoming edges: its neighbour in an undirected graph), with the numba kernel.

    Args:
        graph: a square CPU graph.
        start: ``[W]`` start nodes.
        walk_length: steps per walk (``>= 0``); a node without incoming edges stays put.
        generator: source of randomness (one draw seeds the whole call).

    Returns:
        ``[W, walk_length + 1]`` node ids, column 0 being ``start``.

    Raises:
        ValueError: non-square or non-CPU graph, bad start nodes or length.
    """
    check_graph(graph, "random_walks")
    _check_cpu(graph, "random_walks")
    length = check_int("walk_length", walk_length, low=0)
    start = check_ids(start, graph.num_nodes, "start")
    seed = draw_seed(generator)
    out = nk.random_walks(index_view(graph.rowptr), index_view(graph.col), index_view(start), length, seed,
                          num_threads(start.numel() * max(length, 1)))
    return torch.from_numpy(out)


@register_sampler("random_walk")
class RandomWalkSampler(Sampler):
    """GraphSAINT's random-walk sampler: from every root in a batch, one uniform walk of
    ``walk_length`` steps; the sample is the subgraph induced by all visited nodes.

    Args:
        graph: a square CPU graph.
        walk_length: steps per walk (GraphSAINT uses 2 to 4).
        walks_per_root: independent walks from each root.
        seed: seeds the sampler's own generator.

    ``sample(roots)`` returns a :class:`Subgraph` whose ``nodes`` are the visited nodes in
    increasing id, ``edge_ids`` the CSR positions of its edges and ``roots`` the roots'
    local ids. (GraphSAINT's loss and aggregation normalisation, estimated from many
    pre-drawn samples, is left to the caller.)

    Raises:
        ValueError: non-square or non-CPU graph, bad lengths.
    """

    def __init__(self, graph: Graph, walk_length: int = 2, walks_per_root: int = 1, seed: Optional[int] = None) -> None:
        super().__init__(seed)
        self.graph = check_graph(graph, "RandomWalkSampler")
        _check_cpu(graph, "RandomWalkSampler")
        self.walk_length = check_int("walk_length", walk_length, low=0)
        self.walks_per_root = check_int("walks_per_root", walks_per_root)
        self._csr = CSRView(graph)

    def default_items(self) -> Tensor:
        """Every node (a loader with ``shuffle`` then draws roots uniformly per epoch)."""
        return torch.arange(self.graph.num_nodes)

    def sample(self, roots: Tensor, generator: Optional[torch.Generator] = None) -> Subgraph:
        """The subgraph induced by the walks from ``roots [B]``.

        Raises:
            ValueError: roots not 1-d integers or out of range.
        """
        generator = self._generator(generator)
        roots = check_ids(roots, self.graph.num_nodes, "roots")
        start = roots.repeat_interleave(self.walks_per_root)
        walks = random_walks(self.graph, start, self.walk_length, generator)
        nodes = torch.from_numpy(np.unique(walks.numpy()))
        g, eid = self._csr.induced(nodes, torch.tensor([0, nodes.numel()]))
        return Subgraph(g, nodes, eid, None, torch.searchsorted(nodes, roots))
