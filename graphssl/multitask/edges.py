"""Edge utilities shared by the link-level pretext tasks and the link-prediction evaluator:
undirected pair lists, removing pairs from a graph in both directions, and uniform
sampling of node pairs that are not edges."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from ..sparse import Graph
from ._random import randint

__all__ = ["filter_edges", "undirected_pairs", "pair_keys", "remove_pairs", "sample_non_edges"]


def _check_square(graph: Graph, what: str) -> None:
    if not isinstance(graph, Graph):
        raise ValueError(f"{what} needs a graphssl.sparse.Graph, got {type(graph).__name__}")
    if graph.is_bipartite:
        raise ValueError(f"{what} needs a square graph, got a bipartite one ({graph!r})")


def filter_edges(graph: Graph, keep: Tensor) -> Graph:
    """The graph with only the edges where ``keep [E]`` is True (CSR order kept, no re-sort).

    Raises:
        ValueError: ``keep`` is not a bool tensor of shape ``[E]``.
    """
    if not isinstance(keep, Tensor) or keep.dtype != torch.bool or keep.shape != (graph.num_edges,):
        raise ValueError(f"keep must be a bool tensor of shape ({graph.num_edges},)")
    row = graph.row()[keep]
    counts = torch.bincount(row, minlength=graph.num_dst_nodes)
    rowptr = torch.zeros(graph.num_dst_nodes + 1, dtype=torch.long, device=graph.device)
    torch.cumsum(counts, 0, out=rowptr[1:])
    value = graph.value[keep] if graph.value is not None else None
    return Graph(rowptr, graph.col[keep], value, num_src_nodes=graph.num_src_nodes, validate=False)


def pair_keys(u: Tensor, v: Tensor, num_nodes: int) -> Tensor:
    """``[P]`` int64 key of each unordered pair ``{u, v}`` (``min * N + max``)."""
    return torch.minimum(u, v) * num_nodes + torch.maximum(u, v)


def undirected_pairs(graph: Graph) -> Tensor:
    """``[2, M]`` every unordered pair ``u < v`` joined by an edge in either direction,
    once each, sorted by key (self-loops left out).

    Raises:
        ValueError: a bipartite graph.
    """
    _check_square(graph, "undirected_pairs")
    src, dst = graph.col, graph.row()
    off = src != dst
    n = max(graph.num_nodes, 1)
    keys = torch.unique(pair_keys(src[off], dst[off], n))
    return torch.stack([keys // n, keys % n])


def remove_pairs(graph: Graph, pairs: Tensor) -> Graph:
    """``graph`` without the edges ``u -> v`` and ``v -> u`` of every pair in ``pairs [2, P]``.

    Used to hold positive edges out of the message-passing graph, so an encoder cannot
    read the answer off the graph it is asked to predict.

    Raises:
        ValueError: a bipartite graph, or ``pairs`` not an integer ``[2, P]`` tensor of node ids.
    """
    _check_square(graph, "remove_pairs")
    if not isinstance(pairs, Tensor) or pairs.dim() != 2 or pairs.size(0) != 2 or pairs.is_floating_point():
        raise ValueError(f"pairs must be an integer [2, P] tensor, got {getattr(pairs, 'shape', type(pairs))}")
    n = max(graph.num_nodes, 1)
    if pairs.numel() and (int(pairs.min()) < 0 or int(pairs.max()) >= graph.num_nodes):
        raise ValueError(f"pairs hold node ids outside [0, {graph.num_nodes})")
    if pairs.numel() == 0:
        return graph
    pairs = pairs.to(graph.device)
    drop = torch.isin(pair_keys(graph.col, graph.row(), n), pair_keys(pairs[0], pairs[1], n))
    return filter_edges(graph, ~drop)


def sample_non_edges(graph: Graph, num: int, generator: Optional[torch.Generator] = None,
                     exclude: Optional[Tensor] = None, max_rounds: int = 20) -> Tensor:
    """``[2, num]`` uniform random node pairs ``u != v`` joined by no edge of ``graph``
    (in either direction) and not in ``exclude``.

    Pairs are drawn with replacement (duplicates are possible and harmless for losses and
    for AUC); rejected draws are redrawn, in vectorised rounds.

    Args:
        graph: a square graph.
        num: number of pairs.
        generator: source of randomness.
        exclude: optional ``[2, P]`` further pairs (either order) that must not be drawn,
            e.g. held-out positive edges that were removed from ``graph``.
        max_rounds: rounds of redrawing before giving up.

    Raises:
        ValueError: a bipartite graph, ``num < 0``, fewer than 2 nodes, or the graph is so
            dense that ``max_rounds`` rounds did not find enough non-edges.
    """
    _check_square(graph, "sample_non_edges")
    if num < 0:
        raise ValueError(f"num must be >= 0, got {num}")
    n = graph.num_nodes
    device = graph.device
    if num == 0:
        return torch.empty(2, 0, dtype=torch.long, device=device)
    if n < 2:
        raise ValueError(f"sampling non-edges needs at least 2 nodes, got {n}")
    taken = pair_keys(graph.col, graph.row(), n)
    if exclude is not None:
        exclude = exclude.to(device)
        taken = torch.cat([taken, pair_keys(exclude[0], exclude[1], n)])
    taken = torch.unique(taken)
    out, have = [], 0
    for _ in range(max_rounds):
        want = num - have
        draw = max(2 * want, 64)  # oversample: most draws are non-edges on sparse graphs
        u = randint(n, draw, generator, device)
        v = randint(n, draw, generator, device)
        ok = (u != v) & ~torch.isin(pair_keys(u, v, n), taken)
        u, v = u[ok][:want], v[ok][:want]
        out.append(torch.stack([u, v]))
        have += u.numel()
        if have >= num:
            return torch.cat(out, 1)
    raise ValueError(f"found only {have} of {num} non-edges in {max_rounds} rounds; the graph is too dense "
                     "for uniform negative sampling")
