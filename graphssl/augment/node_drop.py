"""Node dropping: `drop_nodes` and the `NodeDrop` augmenter (GraphCL)."""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor

from ..sparse.graph import Graph
from ._csr import induced_subgraph
from ._sampling import uniform
from ..checks import check_fraction
from ._validation import check_batch_vector, check_graph, check_probability_tensor, check_square
from .base import Augmenter, register_augmenter
from .view import GraphView

__all__ = ["drop_nodes", "NodeDrop"]


def _keep_one_per_graph(keep: Tensor, score: Tensor, batch: Optional[Tensor], num_graphs: int) -> Tensor:
    """``keep`` with, in every non-empty graph that kept no node, its highest-``score``
    node kept (so no graph of a batch vanishes)."""
    n = keep.numel()
    if n == 0:
        return keep
    if batch is None:  # one graph: only an all-dropped draw needs fixing
        if bool(keep.any()):
            return keep
        keep = keep.clone()
        keep[torch.argmax(score)] = True
        return keep
    kept = torch.bincount(batch[keep], minlength=num_graphs)
    present = torch.bincount(batch, minlength=num_graphs) > 0
    empty = (kept == 0) & present
    if not bool(empty.any()):
        return keep
    best = torch.full((num_graphs,), float("-inf"), dtype=score.dtype, device=keep.device)
    best = best.scatter_reduce(0, batch, score, "amax")
    return keep | (empty[batch] & (score == best[batch]))


def drop_nodes(graph: Graph, p: float = 0.2, *, node_prob: Optional[Tensor] = None, batch: Optional[Tensor] = None,
               num_graphs: Optional[int] = None, relabel_nodes: bool = True, training: bool = True,
               generator: Optional[torch.Generator] = None) -> Tuple[Graph, Tensor, Tensor]:
    """Drop each node with probability ``p`` (or ``node_prob[i]``) with its edges; every
    non-empty graph keeps at least one node.

    Args:
        graph: a square graph.
        p: drop probability in ``[0, 1)``.
        node_prob: optional ``[N]`` per-node drop probabilities in ``[0, 1]``.
        batch: ``[N]`` sorted graph id of every node for a union of small graphs.
        num_graphs: number of graphs in ``batch`` (default ``max + 1``).
        relabel_nodes: remove dropped nodes and renumber the rest ``0..K-1`` in order
            (GraphCL); if False keep every node and only remove the dropped nodes' edges
            (so node ids stay aligned across views).
        training: if False, return the graph unchanged.
        generator: source of randomness.

    Returns:
        ``(graph, node_mask, edge_mask)``: the new graph, the ``[N]`` bool mask of kept
        nodes and the ``[E]`` bool mask of kept edges of the input. Select features with
        ``x[node_mask]`` when relabelling.

    Raises:
        ValueError: ``p`` outside ``[0, 1)``, ``node_prob`` of the wrong shape or range, a
            bipartite graph, a bad batch vector.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), 3)
        >>> g2, nodes, edges = drop_nodes(g, 0.5, generator=torch.Generator().manual_seed(0))
        >>> g2.num_nodes == int(nodes.sum()), g2.num_edges == int(edges.sum())
        (True, True)
    """
    check_graph(graph, "drop_nodes")
    check_square(graph, "drop_nodes")
    p = check_fraction("p", p)
    n = graph.num_nodes
    b = check_batch_vector(batch, n, num_graphs)
    if node_prob is not None:
        check_probability_tensor("node_prob", node_prob, (n,))
    if not training or (node_prob is None and p == 0.0):
        return (graph, torch.ones(n, dtype=torch.bool, device=graph.device),
                torch.ones(graph.num_edges, dtype=torch.bool, device=graph.device))
    u = uniform(n, generator, graph.device)
    keep = u >= (p if node_prob is None else node_prob.to(graph.device))
    keep = _keep_one_per_graph(keep, u, batch, b)
    sub, edge_mask = induced_subgraph(graph, keep, relabel=relabel_nodes)
    return sub, keep, edge_mask


@register_augmenter("node_drop")
class NodeDrop(Augmenter):
    """Drop each node with probability ``p`` together with its edges (GraphCL).

    Args:
        p: drop probability in ``[0, 1)``.
        relabel_nodes: remove dropped nodes (default; features, ``batch``, ``ptr`` and
            node-level labels follow) or keep them isolated with their features.

    Every non-empty graph of a batch keeps at least one node. Needs a square graph.

    Raises:
        ValueError: ``p`` outside ``[0, 1)``.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), 3)
        >>> g2, x2 = NodeDrop(0.5)(g, torch.eye(3), generator=torch.Generator().manual_seed(0))
        >>> x2.size(0) == g2.num_nodes
        True
    """

    def __init__(self, p: float = 0.2, relabel_nodes: bool = True) -> None:
        self.p = check_fraction("p", p)
        self.relabel_nodes = bool(relabel_nodes)

    def _apply(self, view: GraphView, generator: Optional[torch.Generator]) -> GraphView:
        check_square(view.graph, "NodeDrop")
        g, node_mask, edge_mask = drop_nodes(view.graph, self.p, batch=view.batch, num_graphs=view.num_graphs,
                                             relabel_nodes=self.relabel_nodes, generator=generator)
        return view.keep_nodes(g, node_mask, edge_mask, relabel=self.relabel_nodes)

    def extra_repr(self) -> str:
        return f"p={self.p}" + ("" if self.relabel_nodes else ", relabel_nodes=False")
