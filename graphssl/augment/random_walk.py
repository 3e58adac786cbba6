"""Random-walk subgraphs: `random_walk`, `random_walk_subgraph` and `RandomWalkSubgraph`
(GraphCL's subgraph augmentation, PyGCL's RWSampling)."""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor

from ..sparse.graph import Graph
from ._csr import induced_subgraph, ptr_from_batch
from ._sampling import randint_below, uniform
from ..checks import check_fraction, check_int
from ._validation import check_batch_vector, check_graph, check_square
from .base import Augmenter, register_augmenter
from .view import GraphView

__all__ = ["random_walk", "random_walk_subgraph", "RandomWalkSubgraph"]


def random_walk(graph: Graph, start: Tensor, walk_length: int, *, restart_p: float = 0.0,
                generator: Optional[torch.Generator] = None) -> Tensor:
    """Uniform random walks, all advanced together (one vectorised step per hop).

    A step moves from a node to a uniformly chosen source of one of its incoming edges
    (its CSR row: the nodes it aggregates messages from; for an undirected graph simply a
    neighbour), ignoring edge weights. A node without incoming edges stays where it is.
    With ``restart_p`` a walk jumps back to its start with that probability at each step.

    Args:
        graph: a square graph.
        start: ``[W]`` start node of every walk.
        walk_length: number of steps (``>= 0``).
        restart_p: restart probability in ``[0, 1)``.
        generator: source of randomness.

    Returns:
        ``[W, walk_length + 1]`` node ids, column 0 being ``start``.

    Raises:
        ValueError: a bipartite graph, out-of-range start nodes, bad lengths or rates.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), 3)
        >>> random_walk(g, torch.tensor([0, 2]), 3, generator=torch.Generator().manual_seed(0)).shape
        torch.Size([2, 4])
    """
    check_graph(graph, "random_walk")
    check_square(graph, "random_walk")
    walk_length = check_int("walk_length", walk_length, low=0)
    restart_p = check_fraction("restart_p", restart_p)
    if not isinstance(start, Tensor) or start.dim() != 1 or start.is_floating_point():
        raise ValueError(f"start must be a [W] integer tensor, got {getattr(start, 'shape', type(start).__name__)}")
    start = start.to(graph.device).long()
    if start.numel() and (int(start.min()) < 0 or int(start.max()) >= graph.num_nodes):
        raise ValueError(f"start nodes must lie in [0, {graph.num_nodes})")
    deg = graph.rowptr[1:] - graph.rowptr[:-1]
    cur = start
    out = [cur]
    for _ in range(walk_length):
        d = deg[cur]
        pos = graph.rowptr[cur] + randint_below(d, generator)
        nxt = graph.col[pos.clamp_max(max(graph.num_edges - 1, 0))] if graph.num_edges else cur
        nxt = torch.where(d > 0, nxt, cur)
        if restart_p > 0:
            nxt = torch.where(uniform(cur.numel(), generator, graph.device) < restart_p, start, nxt)
        cur = nxt
        out.append(cur)
    return torch.stack(out, 1)


def random_walk_subgraph(graph: Graph, root_ratio: float = 0.1, walk_length: int = 10, *,
                         num_roots: Optional[int] = None, restart_p: float = 0.0, batch: Optional[Tensor] = None,
                         num_graphs: Optional[int] = None, relabel_nodes: bool = True, training: bool = True,
                         generator: Optional[torch.Generator] = None) -> Tuple[Graph, Tensor, Tensor]:
    """The subgraph induced by the nodes that random walks from random roots visit.

    Args:
        graph: a square graph.
        root_ratio: roots per graph as a fraction of its nodes, ``(0, 1]`` (at least one
            root per non-empty graph; roots are drawn uniformly with replacement).
        walk_length: steps of each walk (see :func:`random_walk`).
        num_roots: draw exactly this many roots instead (single graph only).
        restart_p: restart probability of the walks in ``[0, 1)`` (higher: more local).
        batch: ``[N]`` sorted graph id of every node; roots are drawn in every graph.
        num_graphs: number of graphs in ``batch`` (default ``max + 1``).
        relabel_nodes: remove unvisited nodes (default) or keep them isolated.
        training: if False, return the graph unchanged.
        generator: source of randomness.

    Returns:
        ``(graph, node_mask, edge_mask)``: the subgraph, the ``[N]`` bool mask of kept
        (visited) nodes and the ``[E]`` bool mask of kept edges of the input.

    Raises:
        ValueError: a bipartite graph, ``root_ratio`` outside ``(0, 1]``, ``num_roots``
            with a batch or below 1, bad walk parameters.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]]), 4)
        >>> sub, nodes, edges = random_walk_subgraph(g, num_roots=1, walk_length=2,
        ...                                          generator=torch.Generator().manual_seed(0))
        >>> 1 <= sub.num_nodes <= 3, sub.num_nodes == int(nodes.sum())
        (True, True)
    """
    check_graph(graph, "random_walk_subgraph")
    check_square(graph, "random_walk_subgraph")
    root_ratio = check_fraction("root_ratio", root_ratio, high_closed=True)
    if root_ratio == 0:
        raise ValueError("root_ratio must lie in (0, 1], got 0")
    walk_length = check_int("walk_length", walk_length, low=0)
    restart_p = check_fraction("restart_p", restart_p)
    n = graph.num_nodes
    b = check_batch_vector(batch, n, num_graphs)
    if num_roots is not None:
        num_roots = check_int("num_roots", num_roots)
        if batch is not None:
            raise ValueError("num_roots applies to a single graph; with a batch use root_ratio")
    if not training:
        return (graph, torch.ones(n, dtype=torch.bool, device=graph.device),
                torch.ones(graph.num_edges, dtype=torch.bool, device=graph.device))
    dev = graph.device
    ptr = ptr_from_batch(batch, b, n, dev)
    n_g = ptr[1:] - ptr[:-1]
    if num_roots is not None:
        k_g = torch.where(n_g > 0, torch.full_like(n_g, num_roots), torch.zeros_like(n_g))
    else:
        k_g = torch.where(n_g > 0, torch.ceil(n_g.double() * root_ratio).long().clamp_min(1), torch.zeros_like(n_g))
    gid = torch.repeat_interleave(torch.arange(b, device=dev), k_g, output_size=int(k_g.sum()))
    roots = ptr[gid] + randint_below(n_g[gid], generator)
    walks = random_walk(graph, roots, walk_length, restart_p=restart_p, generator=generator)
    keep = torch.zeros(n, dtype=torch.bool, device=dev)
    keep[walks.reshape(-1)] = True
    sub, edge_mask = induced_subgraph(graph, keep, relabel=relabel_nodes)
    return sub, keep, edge_mask


@register_augmenter("random_walk_subgraph")
class RandomWalkSubgraph(Augmenter):
    """Keep the subgraph induced by the nodes random walks visit (GraphCL's subgraph view).

    Args:
        root_ratio: roots per graph as a fraction of its nodes, ``(0, 1]``.
        walk_length: steps of each walk.
        restart_p: walk restart probability in ``[0, 1)``.
        relabel_nodes: remove unvisited nodes (default) or keep them isolated.

    Every non-empty graph of a batch keeps at least its roots. Needs a square graph.

    Raises:
        ValueError: parameters out of range.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]]), 4)
        >>> g2, x2 = RandomWalkSubgraph(0.25, 2)(g, torch.eye(4), generator=torch.Generator().manual_seed(0))
        >>> x2.size(0) == g2.num_nodes
        True
    """

    def __init__(self, root_ratio: float = 0.1, walk_length: int = 10, restart_p: float = 0.0,
                 relabel_nodes: bool = True) -> None:
        self.root_ratio = check_fraction("root_ratio", root_ratio, high_closed=True)
        if self.root_ratio == 0:
            raise ValueError("root_ratio must lie in (0, 1], got 0")
        self.walk_length = check_int("walk_length", walk_length, low=0)
        self.restart_p = check_fraction("restart_p", restart_p)
        self.relabel_nodes = bool(relabel_nodes)

    def _apply(self, view: GraphView, generator: Optional[torch.Generator]) -> GraphView:
        check_square(view.graph, "RandomWalkSubgraph")
        g, node_mask, edge_mask = random_walk_subgraph(
            view.graph, self.root_ratio, self.walk_length, restart_p=self.restart_p, batch=view.batch,
            num_graphs=view.num_graphs, relabel_nodes=self.relabel_nodes, generator=generator)
        return view.keep_nodes(g, node_mask, edge_mask, relabel=self.relabel_nodes)

    def extra_repr(self) -> str:
        s = f"root_ratio={self.root_ratio}, walk_length={self.walk_length}"
        if self.restart_p:
            s += f", restart_p={self.restart_p}"
        return s + ("" if self.relabel_nodes else ", relabel_nodes=False")
