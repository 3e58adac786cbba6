"""Edge dropping: `drop_edges` and the `EdgeDrop` augmenter (uniform or GCA-adaptive)."""
from __future__ import annotations

from typing import Optional, Tuple, Union

import torch
from torch import Tensor

from ..sparse.graph import Graph
from ._csr import filter_edges
from ._sampling import uniform
from ..checks import check_choice, check_fraction
from ._validation import check_graph, check_probability_tensor
from .base import Augmenter, register_augmenter
from .centrality import CENTRALITIES, edge_drop_probabilities
from .view import GraphView

__all__ = ["drop_edges", "EdgeDrop"]


def _pair_ids(graph: Graph) -> Tensor:
    """``[E]`` id shared by an edge and its reverse (and duplicates): the unordered pair."""
    row, col = graph.row(), graph.col
    n = max(graph.num_nodes, 1)
    key = torch.minimum(row, col) * n + torch.maximum(row, col)
    return torch.unique(key, return_inverse=True)[1]


def drop_edges(graph: Graph, p: float = 0.5, *, edge_prob: Optional[Tensor] = None,
               force_undirected: bool = False, training: bool = True,
               generator: Optional[torch.Generator] = None) -> Tuple[Graph, Tensor]:
    """Drop each edge independently with probability ``p`` (or ``edge_prob[e]``).

    Args:
        graph: the graph (square or bipartite); edge weights are kept for kept edges.
        p: drop probability in ``[0, 1)``.
        edge_prob: optional ``[E]`` per-edge drop probabilities in ``[0, 1]`` (CSR order),
            replacing ``p`` (see :func:`edge_drop_probabilities` for GCA's).
        force_undirected: drop an edge and its reverse together (one draw per unordered
            pair; with ``edge_prob`` the pair uses the mean of its edges' probabilities).
        training: if False, return the graph unchanged (all edges kept).
        generator: source of randomness.

    Returns:
        ``(graph, edge_mask)``: the new graph (CSR order kept) and the ``[E]`` bool mask of
        kept edges of the input.

    Raises:
        ValueError: ``p`` outside ``[0, 1)``, ``edge_prob`` of the wrong shape or range,
            ``force_undirected`` on a bipartite graph.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), 3)
        >>> g2, kept = drop_edges(g, 0.5, generator=torch.Generator().manual_seed(1))
        >>> g2.num_edges == int(kept.sum())
        True
    """
    check_graph(graph, "drop_edges")
    p = check_fraction("p", p)
    if edge_prob is not None:
        check_probability_tensor("edge_prob", edge_prob, (graph.num_edges,))
    if force_undirected and graph.is_bipartite:
        raise ValueError("force_undirected needs a square graph, got a bipartite one")
    if not training or (edge_prob is None and p == 0.0):
        return graph, torch.ones(graph.num_edges, dtype=torch.bool, device=graph.device)
    prob: Union[float, Tensor] = p if edge_prob is None else edge_prob.to(graph.device)
    if force_undirected:
        pair = _pair_ids(graph)
        num_pairs = int(pair.max()) + 1 if pair.numel() else 0
        u = uniform(num_pairs, generator, graph.device)[pair]
        if isinstance(prob, Tensor):
            s = torch.zeros(num_pairs, dtype=torch.float64, device=graph.device).index_add_(0, pair, prob.double())
            cnt = torch.bincount(pair, minlength=num_pairs).double()
            prob = (s / cnt.clamp_min(1))[pair].to(u.dtype)
        mask = u >= prob
    else:
        mask = uniform(graph.num_edges, generator, graph.device) >= prob
    return filter_edges(graph, mask), mask


@register_augmenter("edge_drop")
class EdgeDrop(Augmenter):
    """Drop each edge with probability ``p`` (GRACE, GraphCL), optionally GCA-adaptive.

    Args:
        p: drop probability in ``[0, 1)`` (the mean drop probability when adaptive).
        adaptive: None (uniform), or a centrality (``"degree"``, ``"pagerank"``,
            ``"eigenvector"``): edges into central nodes are dropped less (GCA).
        max_p: cap on any edge's drop probability when adaptive (GCA's threshold).
        force_undirected: drop an edge and its reverse together.

    Edge attributes (in a :class:`GraphView` or :class:`GraphBatch`) stay aligned with the
    kept edges.

    Raises:
        ValueError: a rate outside its range or an unknown centrality.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), 3)
        >>> g2, x2 = EdgeDrop(0.3, adaptive="degree")(g, torch.ones(3, 2))
        >>> g2.num_edges <= 4
        True
    """

    def __init__(self, p: float = 0.2, adaptive: Optional[str] = None, max_p: float = 0.7,
                 force_undirected: bool = False) -> None:
        self.p = check_fraction("p", p)
        self.adaptive = check_choice("adaptive centrality", adaptive, (None,) + CENTRALITIES)
        self.max_p = check_fraction("max_p", max_p, high_closed=True)
        self.force_undirected = bool(force_undirected)

    def _apply(self, view: GraphView, generator: Optional[torch.Generator]) -> GraphView:
        prob = None
        if self.adaptive is not None:
            if view.graph.is_bipartite:
                raise ValueError("adaptive EdgeDrop needs a square graph (node centralities)")
            prob = edge_drop_probabilities(view.graph, self.p, self.adaptive, self.max_p)
        g, mask = drop_edges(view.graph, self.p, edge_prob=prob, force_undirected=self.force_undirected,
                             generator=generator)
        return view.keep_edges(g, mask)

    def extra_repr(self) -> str:
        s = f"p={self.p}"
        if self.adaptive:
            s += f", adaptive={self.adaptive!r}, max_p={self.max_p}"
        if self.force_undirected:
            s += ", force_undirected=True"
        return s
