"""Derived views of a :class:`Graph` that layers need (self-loops, GCN weights, no weights).

Each view is computed once per graph object and cached on it, so every layer of a stack
(and every epoch on a fixed graph) reuses it. The same code serves square graphs and
sampled Blocks: a Block is a bipartite graph whose first ``num_dst_nodes`` source nodes
are its destination nodes, so destination ``i``'s self-loop is the edge ``i -> i``.
Views are not cached when the graph's weights require grad (a cached autograd graph
could not be backpropagated through twice).
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import torch
from torch import Tensor

from ..sparse.batch import GraphBatch
from ..sparse.graph import Graph

__all__ = ["GraphLike", "check_layer_input", "with_self_loops", "unweighted", "gcn_normalized",
           "attach_global_degrees"]

_PREFIX = "nn."

#: What a layer accepts: a Graph, a sampled Block (a bipartite Graph), or a GraphBatch.
GraphLike = Union[Graph, GraphBatch]


def _cacheable(graph: Graph) -> bool:
    return graph.value is None or not graph.value.requires_grad


def _cached(graph: Graph, key: str, build):
    if not _cacheable(graph):
        return build()
    key = _PREFIX + key
    if key not in graph._cache:
        graph._cache[key] = build()
    return graph._cache[key]


def check_layer_input(graph: GraphLike, x: Tensor, layer: str) -> Graph:
    """Validate a layer's ``(graph, x)``: x has one row per source node; Blocks are well formed.

    Returns:
        The graph to use (a :class:`GraphBatch` is replaced by its union graph).

    Raises:
        ValueError: naming the problem.
    """
    if isinstance(graph, GraphBatch):
        graph = graph.graph
    if not isinstance(graph, Graph):
        raise ValueError(f"{layer} expects a graphssl.sparse.Graph (or Block), got {type(graph).__name__}")
    if not isinstance(x, Tensor):
        raise ValueError(f"{layer} expects x as a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise ValueError(f"{layer}: x must be floating point, got {x.dtype}")
    if x.dim() != 2:
        raise ValueError(f"{layer}: x must be [num_nodes, features], got shape {tuple(x.shape)}")
    if x.size(0) != graph.num_src_nodes:
        raise ValueError(f"{layer}: x has {x.size(0)} rows but the graph has {graph.num_src_nodes} "
                         "(source) nodes")
    if graph.num_src_nodes < graph.num_dst_nodes:
        raise ValueError(f"{layer}: a Block needs num_src_nodes >= num_dst_nodes (destination nodes come "
                         f"first among the sources), got {graph.num_src_nodes} < {graph.num_dst_nodes}")
    if x.device != graph.device:
        raise ValueError(f"{layer}: x is on {x.device} but the graph is on {graph.device}")
    return graph


def _add_self_loops(graph: Graph, fill_value: float = 1.0) -> Graph:
    n = graph.num_dst_nodes
    row, col = graph.row(), graph.col
    has = torch.zeros(n, dtype=torch.bool, device=graph.device)
    has[row[row == col]] = True
    missing = torch.arange(n, device=graph.device)[~has]
    if missing.numel() == 0:
        return graph
    ei = torch.cat([torch.stack([col, row]), missing.unsqueeze(0).expand(2, -1)], 1)
    w = None
    if graph.value is not None or fill_value != 1.0:
        base = graph.value if graph.value is not None else torch.ones(graph.num_edges, device=graph.device)
        w = torch.cat([base, base.new_full((missing.numel(),), float(fill_value))])
    return Graph.from_edge_index(ei, n, w, num_src_nodes=graph.num_src_nodes)


def with_self_loops(graph: Graph) -> Graph:
    """``graph`` plus an edge ``i -> i`` for every destination node that has none (cached).

    Existing self-loops keep their weights; new ones get weight 1 when the graph is weighted.
    Works for Blocks (destination ``i`` is source ``i``).
    """
    return _cached(graph, "self_loops", lambda: _add_self_loops(graph))


def unweighted(graph: Graph) -> Graph:
    """The same structure without edge weights (cached; the graph itself when unweighted)."""
    if graph.value is None:
        return graph
    return _cached(graph, "unweighted", lambda: graph.with_value(None))


def _gcn_norm(graph: Graph, edge_weight: Optional[Tensor], add_self_loops: bool) -> Graph:
    g = graph if edge_weight is None else graph.with_value(edge_weight)
    if add_self_loops:
        g = _add_self_loops(g)
    w = g.value if g.value is not None else torch.ones(g.num_edges, device=g.device)
    row, col = g.row(), g.col
    deg_dst = torch.zeros(g.num_dst_nodes, dtype=w.dtype, device=g.device).index_add_(0, row, w)
    glob = getattr(graph, "global_in_degree", None)
    if glob is not None:
        # A Block carrying its sampled graph's degrees (attach_global_degrees): normalise
        # by the full graph's degrees, and scale each destination's neighbour edges (not
        # its self-loop) by its full over its sampled neighbour weight, so the row
        # estimates its full-graph row (unbiased for uniform sampling with replacement)
        # and equals it when all neighbours were sampled.
        n_dst = g.num_dst_nodes
        full = glob.to(w.dtype)
        if add_self_loops:
            full = full + (~graph.global_has_loop).to(w.dtype)
        inv_full = full.pow(-0.5).masked_fill(full == 0, 0.0)
        loop = row == col
        sampled_nb = deg_dst - torch.zeros_like(deg_dst).index_add_(0, row[loop], w[loop])
        full_nb = (glob - graph.global_loop_weight).to(w.dtype)[:n_dst]
        scale = (full_nb / sampled_nb).masked_fill(sampled_nb <= 0, 0.0)
        edge_scale = torch.where(loop, torch.ones_like(w), scale.index_select(0, row))
        return g.with_value(inv_full.index_select(0, col) * w * inv_full.index_select(0, row) * edge_scale)
    if g.is_bipartite:
        # A Block knows only its own edges: normalise sources by their out-degree in it.
        deg_src = torch.zeros(g.num_src_nodes, dtype=w.dtype, device=g.device).index_add_(0, col, w)
    else:
        deg_src = deg_dst
    inv_dst = deg_dst.pow(-0.5).masked_fill(deg_dst == 0, 0.0)
    inv_src = deg_src.pow(-0.5).masked_fill(deg_src == 0, 0.0)
    return g.with_value(inv_src.index_select(0, col) * w * inv_dst.index_select(0, row))


def attach_global_degrees(blocks: Sequence[Graph], graph: Graph) -> None:
    """Give every Block the degrees its source nodes have in the sampled ``graph``, so GCN
    layers on the Blocks normalise as on the full graph (see :func:`gcn_normalized`).

    Sets ``block.global_in_degree`` (``[num_src]`` weighted in-degree in ``graph``),
    ``block.global_has_loop`` (``[num_src]`` bool: the node has a self-loop in ``graph``)
    and ``block.global_loop_weight`` (``[num_src]`` weight of that loop, 0 without one).
    The full graph's vectors are computed once and cached on ``graph``.

    Args:
        blocks: Blocks (anything with ``src_nodes``, global ids into ``graph``).
        graph: the square graph they were sampled from (undirected for GCN's symmetric
            normalisation: its in-degrees are also the sources' out-degrees).

    Raises:
        ValueError: a block without ``src_nodes``, or ids out of ``graph``'s range.
    """
    deg, loops, loop_w = _cached(graph, "global_degrees", lambda: _degrees_and_loops(graph))
    for i, b in enumerate(blocks):
        ids = getattr(b, "src_nodes", None)
        if ids is None:
            raise ValueError(f"Block {i} has no src_nodes (global ids); attach_global_degrees needs Blocks")
        if ids.numel() and int(ids.max()) >= graph.num_nodes:
            raise ValueError(f"Block {i} has node id {int(ids.max())}, out of range for a graph of "
                             f"{graph.num_nodes} nodes")
        ids = ids.to(deg.device)
        b.global_in_degree = deg.index_select(0, ids).to(b.device)
        b.global_has_loop = loops.index_select(0, ids).to(b.device)
        b.global_loop_weight = loop_w.index_select(0, ids).to(b.device)
        b._cache.pop(_PREFIX + "gcn_norm_True", None)  # degrees changed: drop stale views
        b._cache.pop(_PREFIX + "gcn_norm_False", None)


def _degrees_and_loops(graph: Graph, chunk_edges: int = 1 << 22):
    """``(weighted in-degree, has self-loop, self-loop weight)`` of every node, in chunks
    of about ``chunk_edges`` edges (a large graph's ``[E]`` row index is never built)."""
    n, dev = graph.num_dst_nodes, graph.device
    w = graph.value
    dtype = w.dtype if w is not None and w.is_floating_point() else torch.float32
    counts = graph.rowptr[1:] - graph.rowptr[:-1]
    deg = counts.to(dtype) if w is None else torch.zeros(n, dtype=dtype, device=dev)
    loops = torch.zeros(n, dtype=torch.bool, device=dev)
    loop_w = torch.zeros(n, dtype=dtype, device=dev)
    start = 0
    while start < n:
        lo = int(graph.rowptr[start])
        stop = int(torch.searchsorted(graph.rowptr, lo + chunk_edges, right=True)) - 1
        stop = min(max(stop, start + 1), n)
        hi = int(graph.rowptr[stop])
        row = torch.repeat_interleave(torch.arange(start, stop, device=dev), counts[start:stop], output_size=hi - lo)
        is_loop = row == graph.col[lo:hi]
        wc = w[lo:hi].to(dtype) if w is not None else torch.ones(hi - lo, dtype=dtype, device=dev)
        if w is not None:
            deg.index_add_(0, row, wc)
        loops[row[is_loop]] = True
        loop_w.index_add_(0, row[is_loop], wc[is_loop])
        start = stop
    return deg, loops, loop_w


def gcn_normalized(graph: Graph, edge_weight: Optional[Tensor] = None, add_self_loops: bool = True) -> Graph:
    """GCN's ``D_dst^-1/2 (A [+ I]) D_src^-1/2`` as a weighted graph.

    On a square graph both degrees are the weighted in-degree (as PyG's ``gcn_norm``); on a
    Block the source side uses the sources' out-degree within the Block (as DGL on blocks).
    Zero degrees give weight 0. Cached on the graph unless ``edge_weight`` is given or the
    graph's weights require grad.

    Args:
        graph: square graph or Block; its ``value`` are the edge weights (1 if None).
        edge_weight: ``[E]`` weights overriding ``graph.value`` (not cached).
        add_self_loops: add the missing self-loops (weight 1) first.
    """
    if edge_weight is not None:
        return _gcn_norm(graph, edge_weight, add_self_loops)
    return _cached(graph, f"gcn_norm_{add_self_loops}", lambda: _gcn_norm(graph, None, add_self_loops))
