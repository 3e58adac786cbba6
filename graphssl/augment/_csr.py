"""CSR edits the augmenters share: filtering edges, inducing subgraphs, rebuilding from edges.

Filtering a sorted CSR (or relabelling its nodes monotonically) keeps it sorted, so these
edits rebuild ``rowptr`` with one ``bincount`` instead of re-sorting every edge.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor

from ..sparse.graph import Graph

__all__ = ["rowptr_from_rows", "csr_from_edges", "kept_positions", "filter_edges", "induced_subgraph",
           "merge_sorted_edges", "ptr_from_batch", "is_symmetric"]


def rowptr_from_rows(rows: Tensor, num_rows: int) -> Tensor:
    """``[num_rows + 1]`` offsets of a sorted ``[E]`` row-id vector."""
    counts = torch.bincount(rows, minlength=num_rows) if rows.numel() else \
        torch.zeros(num_rows, dtype=torch.long, device=rows.device)
    rowptr = torch.zeros(num_rows + 1, dtype=torch.long, device=rows.device)
    torch.cumsum(counts, 0, out=rowptr[1:])
    return rowptr


def csr_from_edges(src: Tensor, dst: Tensor, num_dst: int, num_src: Optional[int] = None,
                   value: Optional[Tensor] = None) -> Tuple[Graph, Tensor]:
    """Build the CSR graph of edges ``src -> dst`` sorted by (target, source), as
    :meth:`Graph.from_edge_index` does, and also return the sort permutation
    (edge ``k`` of the result is input edge ``perm[k]``) so per-edge data can follow."""
    num_src = num_dst if num_src is None else num_src
    key = dst * max(num_src, 1) + src
    perm = torch.argsort(key, stable=True)
    g = Graph(rowptr_from_rows(dst[perm], num_dst), src[perm], value[perm] if value is not None else None,
              num_src_nodes=num_src, validate=False)
    return g, perm


def kept_positions(mask: Tensor) -> Tensor:
    """``[K]`` sorted positions where the bool ``mask`` is True."""
    return mask.nonzero().view(-1)


def _kept_before(edge_mask: Tensor) -> Tensor:
    """``[E + 1]``: how many kept edges precede each CSR position."""
    csum = torch.zeros(edge_mask.numel() + 1, dtype=torch.long, device=edge_mask.device)
    torch.cumsum(edge_mask, 0, dtype=torch.long, out=csum[1:])
    return csum


def filter_edges(graph: Graph, edge_mask: Tensor, kept: Optional[Tensor] = None) -> Graph:
    """The graph keeping only the edges where ``edge_mask [E]`` is True (CSR order kept).

    ``kept`` (the True positions of ``edge_mask``) may be passed when already known.
    """
    kept = kept_positions(edge_mask) if kept is None else kept
    rowptr = _kept_before(edge_mask)[graph.rowptr]
    value = graph.value.index_select(0, kept) if graph.value is not None else None
    return Graph(rowptr, graph.col.index_select(0, kept), value, num_src_nodes=graph.num_src_nodes, validate=False)


def induced_subgraph(graph: Graph, node_mask: Tensor, relabel: bool = True) -> Tuple[Graph, Tensor]:
    """The subgraph on the nodes where ``node_mask [N]`` is True.

    With ``relabel`` the kept nodes are renumbered ``0..K-1`` in their original order;
    without it every node stays (dropped ones become isolated). Returns the graph and the
    ``[E]`` mask of kept edges (CSR positions of ``graph``).
    """
    edge_mask = node_mask[graph.col] & node_mask[graph.row()]
    if not relabel:
        return filter_edges(graph, edge_mask), edge_mask
    kept_edges = kept_positions(edge_mask)
    kept_nodes = kept_positions(node_mask)
    # A dropped row keeps no edge, so the kept rows' offsets are the kept-edge counts at
    # their original offsets.
    ends = torch.cat([kept_nodes, kept_nodes.new_full((1,), graph.num_nodes)])
    rowptr = _kept_before(edge_mask)[graph.rowptr[ends]]
    new_id = torch.cumsum(node_mask, 0, dtype=torch.long) - 1
    col = new_id[graph.col.index_select(0, kept_edges)]
    value = graph.value.index_select(0, kept_edges) if graph.value is not None else None
    return Graph(rowptr, col, value, validate=False), edge_mask


def merge_sorted_edges(graph: Graph, src: Tensor, dst: Tensor, value: Optional[Tensor]) -> Tuple[Graph, Tensor]:
    """Insert edges ``src -> dst`` into ``graph``; return the sorted CSR result and
    ``origin [E']`` (input CSR position of each edge, -1 for inserted ones).

    When ``graph`` is sorted by (target, source), as :meth:`Graph.from_edge_index` builds
    it, the new edges are merged in by binary search (new edges after existing equal
    ones) instead of re-sorting all edges.
    """
    n_src = max(graph.num_src_nodes, 1)
    dev = graph.device
    old_key = graph.row() * n_src + graph.col
    new_key = dst * n_src + src
    e, k = old_key.numel(), new_key.numel()
    origin_old = torch.arange(e, device=dev)
    if e > 1 and bool((old_key[1:] < old_key[:-1]).any()):
        all_src, all_dst = torch.cat([graph.col, src]), torch.cat([graph.row(), dst])
        g, perm = csr_from_edges(all_src, all_dst, graph.num_dst_nodes,
                                 graph.num_src_nodes if graph.is_bipartite else None, value)
        origin = torch.cat([origin_old, torch.full((k,), -1, dtype=torch.long, device=dev)])
        return g, origin[perm]
    new_key, order = torch.sort(new_key, stable=True)
    src, dst = src[order], dst[order]
    # New edge j goes after the existing edges with key <= its key; existing edge i moves
    # right by the number of new edges inserted at or before it.
    ins = torch.searchsorted(old_key, new_key, right=True)
    pos_new = ins + torch.arange(k, device=dev)
    shift = torch.cumsum(torch.bincount(ins, minlength=e + 1)[:e], 0)
    pos_old = origin_old + shift
    out_src = torch.empty(e + k, dtype=torch.long, device=dev)
    out_src.index_copy_(0, pos_old, graph.col).index_copy_(0, pos_new, src)
    origin = torch.full((e + k,), -1, dtype=torch.long, device=dev).index_copy_(0, pos_old, origin_old)
    out_val = None
    if value is not None:
        out_val = torch.empty(e + k, dtype=value.dtype, device=dev)
        out_val.index_copy_(0, pos_old, value[:e]).index_copy_(0, pos_new, value[e:][order])
    rowptr = graph.rowptr.clone()
    rowptr[1:] += torch.cumsum(torch.bincount(dst, minlength=graph.num_dst_nodes), 0)
    g = Graph(rowptr, out_src, out_val, num_src_nodes=graph.num_src_nodes, validate=False)
    return g, origin


def ptr_from_batch(batch: Optional[Tensor], num_graphs: int, num_nodes: int, device: torch.device) -> Tensor:
    """``[B + 1]`` node offsets of a sorted graph-id vector (``[0, N]`` when ``batch`` is None)."""
    if batch is None:
        return torch.tensor([0, num_nodes], dtype=torch.long, device=device)
    return rowptr_from_rows(batch, num_graphs)


def is_symmetric(graph: Graph, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """Whether the (square) graph equals its reverse, weights included (duplicates summed)."""
    if graph.is_bipartite:
        return False
    # Count duplicates as weight so a multigraph is compared by multiplicity.
    g = graph if graph.value is not None else graph.with_value(
        torch.ones(graph.num_edges, device=graph.device))
    g = g.coalesce()
    t = g.transpose()
    if not torch.equal(g.rowptr, t.rowptr) or not torch.equal(g.col, t.col):
        return False
    return bool(torch.allclose(g.value, t.value, rtol=rtol, atol=atol))
