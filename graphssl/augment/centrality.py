"""Node centralities and GCA's centrality-weighted drop probabilities.

GCA (Zhu et al., WWW 2021) drops important edges and features less often. An edge's
importance is the centrality of its target node; a feature's importance sums the
centralities of the nodes that carry it. Importances ``s`` are log-scaled and turned into
drop probabilities ``min(p * w / mean(w), max_p)`` with ``w = (max(s) - s) / (max(s) - mean(s))``,
so the mean drop probability is about ``p`` and no probability exceeds ``max_p``.
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..sparse.graph import Graph
from ..sparse.ops import spmm
from ..checks import check_choice, check_fraction, check_int

__all__ = ["CENTRALITIES", "degree_centrality", "pagerank_centrality", "eigenvector_centrality",
           "node_centrality", "edge_drop_probabilities", "feature_drop_probabilities"]

CENTRALITIES = ("degree", "pagerank", "eigenvector")
_CACHE = "augment.centrality."
# Floor under centralities before the log, so isolated nodes or never-used features give a
# large but finite score instead of -inf.
_LOG_FLOOR = 1e-12


def degree_centrality(graph: Graph) -> Tensor:
    """``[N]`` float in-degree of every node (GCA's degree centrality).

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1, 2], [1, 2, 1]]), 3)
        >>> degree_centrality(g).tolist()
        [0.0, 2.0, 1.0]
    """
    return graph.in_degree().to(torch.float32)


def pagerank_centrality(graph: Graph, damping: float = 0.85, num_iterations: int = 100,
                        tol: float = 1e-7) -> Tensor:
    """``[N]`` PageRank scores (summing to 1) by power iteration on the sparse graph.

    A walker follows an outgoing edge (chosen in proportion to its weight) with
    probability ``damping`` and otherwise jumps to a uniform random node; dangling nodes
    jump uniformly.

    Raises:
        ValueError: ``damping`` outside ``[0, 1)``, a bipartite graph.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1, 2], [1, 2, 0]]), 3)
        >>> [round(v, 3) for v in pagerank_centrality(g).tolist()]
        [0.333, 0.333, 0.333]
    """
    damping = check_fraction("damping", damping)
    num_iterations = check_int("num_iterations", num_iterations)
    if graph.is_bipartite:
        raise ValueError(f"pagerank_centrality needs a square graph, got {graph!r}")
    n = graph.num_nodes
    if n == 0:
        return torch.zeros(0, device=graph.device)
    w = graph.value.double() if graph.value is not None else torch.ones(graph.num_edges, dtype=torch.float64,
                                                                        device=graph.device)
    out_w = torch.zeros(n, dtype=torch.float64, device=graph.device).index_add_(0, graph.col, w)
    dangling = out_w == 0
    # Edge (s -> t) carries a share w / out_w(s) of s's rank.
    trans = graph.with_value(w / out_w[graph.col])
    r = torch.full((n, 1), 1.0 / n, dtype=torch.float64, device=graph.device)
    for _ in range(num_iterations):
        lost = r[dangling].sum()
        new = damping * (spmm(trans, r) + lost / n) + (1 - damping) / n
        done = float((new - r).abs().sum()) < tol
        r = new
        if done:
            break
    return r.view(-1).float()


def eigenvector_centrality(graph: Graph, num_iterations: int = 200, tol: float = 1e-7) -> Tensor:
    """``[N]`` eigenvector centrality (unit L2 norm) by power iteration with ``A + I``
    (as networkx does, so bipartite-like spectra still converge); a node's score grows with
    the scores of the sources of its incoming edges.

    Raises:
        ValueError: a bipartite graph.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), 3)
        >>> [round(v, 3) for v in eigenvector_centrality(g).tolist()]
        [0.5, 0.707, 0.5]
    """
    num_iterations = check_int("num_iterations", num_iterations)
    if graph.is_bipartite:
        raise ValueError(f"eigenvector_centrality needs a square graph, got {graph!r}")
    n = graph.num_nodes
    if n == 0:
        return torch.zeros(0, device=graph.device)
    g = graph.with_value(graph.value.double()) if graph.value is not None else graph
    v = torch.full((n, 1), 1.0 / n ** 0.5, dtype=torch.float64, device=graph.device)
    for _ in range(num_iterations):
        new = v + spmm(g, v)
        new = new / new.norm().clamp_min(1e-300)
        done = float((new - v).abs().sum()) < n * tol
        v = new
        if done:
            break
    return v.view(-1).clamp_min(0).float()


def node_centrality(graph: Graph, kind: str) -> Tensor:
    """``[N]`` centrality ``kind`` (``"degree"``, ``"pagerank"``, ``"eigenvector"``),
    cached on ``graph`` so a fixed graph pays for it once.

    Raises:
        ValueError: unknown ``kind`` or a bipartite graph.
    """
    kind = check_choice("centrality", kind, CENTRALITIES)
    key = _CACHE + kind
    if key not in graph._cache:
        fn = {"degree": degree_centrality, "pagerank": pagerank_centrality,
              "eigenvector": eigenvector_centrality}[kind]
        graph._cache[key] = fn(graph)
    return graph._cache[key]


def _scores_to_probabilities(s: Tensor, p: float, max_p: float) -> Tensor:
    """GCA's mapping from log-importances ``s`` to drop probabilities with mean about ``p``."""
    if s.numel() == 0:
        return s
    top, mean = s.max(), s.mean()
    if float(top - mean) <= 1e-12 * max(1.0, float(top.abs())):
        w = torch.ones_like(s)  # all equally important: uniform dropping
    else:
        w = (top - s) / (top - mean)
    m = w.mean()
    prob = w * (p / m) if float(m) > 0 else torch.full_like(w, p)
    return prob.clamp(max=max_p)


def edge_drop_probabilities(graph: Graph, p: float, centrality: str = "degree", max_p: float = 0.7) -> Tensor:
    """``[E]`` GCA drop probability of every edge (CSR order): edges into central nodes are
    dropped less; mean about ``p``, none above ``max_p``.

    Raises:
        ValueError: ``p`` or ``max_p`` outside ``[0, 1]``, unknown centrality.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1, 2, 3], [1, 0, 0, 0]]), 4)
        >>> [round(v, 2) for v in edge_drop_probabilities(g, 0.3).tolist()]
        [0.0, 0.0, 0.0, 0.7]
    """
    p = check_fraction("p", p, high_closed=True)
    max_p = check_fraction("max_p", max_p, high_closed=True)
    c = node_centrality(graph, centrality).double()
    s = torch.log(c[graph.row()].clamp_min(_LOG_FLOOR))
    return _scores_to_probabilities(s, p, max_p).float()


def feature_drop_probabilities(graph: Graph, x: Tensor, p: float, centrality: str = "degree",
                               max_p: float = 0.7, weighting: str = "occurrence") -> Tensor:
    """``[F]`` GCA drop probability of every feature column: features carried by central
    nodes are dropped less; mean about ``p``, none above ``max_p``.

    Args:
        graph: the graph (``[N]`` nodes).
        x: ``[N, F]`` features.
        weighting: ``"occurrence"`` (a node counts when its feature is non-zero, GCA's
            choice for bag-of-words features) or ``"magnitude"`` (weighted by ``|x|``, GCA's
            choice for dense features).

    Raises:
        ValueError: bad rates, unknown centrality or weighting, ``x`` with the wrong shape.
    """
    p = check_fraction("p", p, high_closed=True)
    max_p = check_fraction("max_p", max_p, high_closed=True)
    weighting = check_choice("feature weighting", weighting, ("occurrence", "magnitude"))
    if not isinstance(x, Tensor) or x.dim() != 2 or x.size(0) != graph.num_nodes:
        raise ValueError(f"x must be [num_nodes={graph.num_nodes}, F], got "
                         f"{tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__}")
    c = node_centrality(graph, centrality).to(x.device, torch.float64)
    xs = (x != 0).double() if weighting == "occurrence" else x.abs().double()
    s = torch.log((xs.t() @ c).clamp_min(_LOG_FLOOR))
    return _scores_to_probabilities(s, p, max_p).float()
