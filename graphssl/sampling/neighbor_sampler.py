"""`NeighborSampler`: multi-layer neighbour fan-out sampling into `Block`s (GraphSAGE style)."""
from __future__ import annotations

import threading
from typing import Optional, Sequence

import torch
from torch import Tensor

from ..sparse.graph import Graph
from . import _numba_kernels as nk
from ._torch_kernels import sample_layer_torch
from ._validation import check_fanouts, check_graph, check_ids, draw_seed, index_view, num_threads
from .base import Sampler, register_sampler
from .block import Block, MiniBatch

__all__ = ["NeighborSampler"]

_BACKENDS = ("auto", "numba", "torch")


@register_sampler("neighbor")
class NeighborSampler(Sampler):
    """Sample a fixed number of in-neighbours per node, layer by layer, from seed nodes.

    A node's neighbours are the sources of its incoming edges (its CSR row: the nodes it
    aggregates messages from). Sampling starts at the seeds with ``fanouts[-1]`` and moves
    outwards; the returned Blocks are **outermost first** and ``blocks[l]`` was sampled with
    ``fanouts[l]``, so the list lines up with an encoder's layers (DGL's order).
    PyG's ``num_neighbors`` lists hops from the seeds instead: PyG's ``[15, 10, 5]`` is
    ``fanouts=[5, 10, 15]`` here.

    Each Block's destination nodes are the first of its source nodes, and its destination
    nodes are the next Block's source nodes: ``blocks[l].num_dst_nodes ==
    blocks[l + 1].num_src_nodes``. A destination with ``deg <= fanout`` keeps all its
    neighbours (without replacement); with replacement every node with a neighbour gets
    exactly ``fanout`` draws (repeats possible, a multigraph Block).

    Args:
        graph: a square :class:`Graph` (CSR by target).
        fanouts: neighbours per node for every layer, ``>= 0``, or ``-1`` for all of them.
        replace: sample with replacement.
        seed: seeds the sampler's own generator, used when :meth:`sample` gets none.
        backend: ``"numba"`` (CPU; parallel kernels), ``"torch"`` (vectorised, any
            device), or ``"auto"`` (numba for CPU graphs). Same distribution, different
            draws: a seed reproduces a sample only with the same backend.
        return_edge_ids: store on each Block the CSR positions (in ``graph``) of its edges.

    Raises:
        ValueError: a non-square graph, empty or invalid fan-outs, unknown backend, or
            numba for a graph that is not on the CPU.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]]), 4)
        >>> seeds, blocks, input_nodes = NeighborSampler(g, [2, 2], seed=0).sample(torch.tensor([0]))
        >>> [b.num_dst_nodes for b in blocks]
        [2, 1]
    """

    def __init__(self, graph: Graph, fanouts: Sequence[int], replace: bool = False, seed: Optional[int] = None,
                 backend: str = "auto", return_edge_ids: bool = False) -> None:
        super().__init__(seed)
        self.graph = check_graph(graph, "NeighborSampler")
        self.fanouts = check_fanouts(fanouts)
        self.replace = bool(replace)
        if backend not in _BACKENDS:
            raise ValueError(f"backend must be one of {_BACKENDS}, got {backend!r}")
        if backend == "auto":
            backend = "numba" if graph.device.type == "cpu" else "torch"
        if backend == "numba" and graph.device.type != "cpu":
            raise ValueError(f"the numba backend samples CPU graphs; this graph is on {graph.device} "
                             "(use backend='torch' or graph.to('cpu'))")
        self.backend = backend
        self.return_edge_ids = bool(return_edge_ids)
        self._init_state()

    # Numpy views, scratch and lock are rebuilt after unpickling (spawned workers).
    def _init_state(self) -> None:
        self._lock = threading.Lock()
        self._scratch = None
        self._np = None

    def __getstate__(self):
        state = dict(self.__dict__)
        for k in ("_lock", "_scratch", "_np"):
            state.pop(k, None)
        return state

    def __setstate__(self, state) -> None:
        self.__dict__.update(state)
        self._init_state()

    @property
    def num_layers(self) -> int:
        return len(self.fanouts)

    def default_items(self) -> Tensor:
        """Every node of the graph."""
        return torch.arange(self.graph.num_nodes)

    def sample(self, seeds: Tensor, generator: Optional[torch.Generator] = None) -> MiniBatch:
        """Sample the Blocks that compute the seeds' outputs.

        Args:
            seeds: ``[B]`` unique node ids.
            generator: source of randomness (default: the sampler's own).

        Returns:
            :class:`MiniBatch` ``(seeds, blocks, input_nodes)``, blocks outermost first.

        Raises:
            ValueError: seeds not 1-d integers, out of range, or with duplicates.
        """
        generator = self._generator(generator)
        seeds = check_ids(seeds, self.graph.num_nodes, "seeds", self.graph.device)
        with self._lock:
            if self.backend == "numba":
                layers = self._sample_numba(seeds, generator)
            else:
                layers = self._sample_torch(seeds, generator)
        g = self.graph
        blocks = []
        for ptr, local, pos, src_nodes in layers:
            value = g.value.index_select(0, pos) if g.value is not None else None
            pos = pos if self.return_edge_ids else None
            blocks.append(Block(ptr, local, src_nodes, pos, value, validate=False))
        blocks.reverse()
        return MiniBatch(seeds, blocks, blocks[0].src_nodes)

    def _sample_numba(self, seeds: Tensor, generator: Optional[torch.Generator]):
        if self._np is None:
            self._np = (index_view(self.graph.rowptr), index_view(self.graph.col))
            self._scratch = nk.Workspace(self.graph.num_nodes)
        rowptr, col = self._np
        keep_pos = self.return_edge_ids or self.graph.value is not None
        frontier = index_view(seeds)
        out = []
        for fanout in reversed(self.fanouts):
            seed = draw_seed(generator)
            work = frontier.shape[0] * (fanout if fanout >= 0 else 16)
            ptr, local, pos, frontier, ok = nk.sample_layer(rowptr, col, frontier, fanout, self.replace, seed,
                                                            self._scratch, num_threads(work), keep_pos)
            if not ok:
                raise ValueError("seeds contain duplicate node ids; pass unique seeds (e.g. seeds.unique())")
            out.append((torch.from_numpy(ptr), torch.from_numpy(local),
                        torch.from_numpy(pos) if pos is not None else None, torch.from_numpy(frontier)))
        return out

    def _sample_torch(self, seeds: Tensor, generator: Optional[torch.Generator]):
        g = self.graph
        if self._scratch is None:
            self._scratch = torch.full((g.num_nodes,), -1, dtype=torch.long, device=g.device)
        frontier = seeds
        out = []
        for fanout in reversed(self.fanouts):
            ptr, local, pos, new, ok = sample_layer_torch(g.rowptr, g.col, frontier, fanout, self.replace,
                                                          generator, self._scratch)
            if not ok:
                raise ValueError("seeds contain duplicate node ids; pass unique seeds (e.g. seeds.unique())")
            frontier = torch.cat([frontier, new])
            out.append((ptr, local, pos, frontier))
        return out

    def __repr__(self) -> str:
        return (f"NeighborSampler(fanouts={self.fanouts}, replace={self.replace}, backend={self.backend!r}, "
                f"graph={self.graph!r})")
