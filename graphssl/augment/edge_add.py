"""Edge adding: `add_edges` and the `EdgeAdd` augmenter (GraphCL's edge perturbation)."""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor

from ..sparse.graph import Graph
from ._csr import merge_sorted_edges, ptr_from_batch
from ._sampling import randint_below, uniform
from ..checks import check_int, check_positive
from ._validation import check_batch_vector, check_graph
from .base import Augmenter, register_augmenter
from .view import GraphView

__all__ = ["add_edges", "EdgeAdd"]


def _add_edges(graph: Graph, p: float, num_edges: Optional[int], batch: Optional[Tensor], num_graphs: Optional[int],
               allow_self_loops: bool, allow_duplicates: bool, force_undirected: bool,
               generator: Optional[torch.Generator]) -> Tuple[Graph, Tensor, Tensor]:
    """The work of :func:`add_edges`; also returns ``origin [E']`` (input CSR position of
    each output edge, -1 for added ones)."""
    dev = graph.device
    n_src, n_dst = graph.num_src_nodes, graph.num_dst_nodes
    if graph.is_bipartite:
        n_g = torch.tensor([n_src], device=dev)  # source count; targets drawn separately
        e_g = torch.tensor([graph.num_edges], device=dev)
        ptr = torch.zeros(2, dtype=torch.long, device=dev)
    else:
        b = check_batch_vector(batch, n_dst, num_graphs)
        ptr = ptr_from_batch(batch, b, n_dst, dev)
        n_g = ptr[1:] - ptr[:-1]
        e_g = torch.bincount(batch[graph.row()], minlength=b) if batch is not None else \
            torch.tensor([graph.num_edges], device=dev)
    per_edge = 2 if force_undirected else 1
    if num_edges is not None:
        k_g = torch.tensor([num_edges // per_edge], device=dev)
    else:
        # Stochastic rounding: each graph gets p * e_g / per_edge draws in expectation.
        want = p * e_g.double() / per_edge
        k_g = torch.floor(want + uniform(want.numel(), generator, dev, torch.float64)).long()
    if graph.is_bipartite:
        valid = torch.tensor([n_src > 0 and n_dst > 0], device=dev)
    else:
        valid = n_g >= (1 if allow_self_loops else 2)
    k_g = torch.where(valid, k_g, torch.zeros_like(k_g))
    total = int(k_g.sum())
    gid = torch.repeat_interleave(torch.arange(k_g.numel(), device=dev), k_g, output_size=total)
    if graph.is_bipartite:
        src = randint_below(torch.full((total,), n_src, device=dev), generator)
        dst = randint_below(torch.full((total,), n_dst, device=dev), generator)
    else:
        n = n_g[gid]
        src_local = randint_below(n, generator)
        if allow_self_loops:
            dst_local = randint_below(n, generator)
        else:  # uniform over the other n - 1 nodes
            dst_local = randint_below(n - 1, generator)
            dst_local = dst_local + (dst_local >= src_local).long()
        src, dst = ptr[gid] + src_local, ptr[gid] + dst_local
    if force_undirected:
        src, dst = torch.cat([src, dst]), torch.cat([dst, src])
    if not allow_duplicates and src.numel():
        stride = max(n_src, 1)
        key = torch.unique(dst * stride + src)
        existing = graph.row() * stride + graph.col
        if graph.num_edges and bool((existing[1:] >= existing[:-1]).all()):  # sorted CSR: binary search
            pos = torch.searchsorted(existing, key).clamp_max(graph.num_edges - 1)
            key = key[existing[pos] != key]
        else:
            key = key[~torch.isin(key, existing)]
        src, dst = key % stride, key // stride
    value = None
    if graph.value is not None:
        value = torch.cat([graph.value, torch.ones(src.numel(), dtype=graph.value.dtype, device=dev)])
    g, origin = merge_sorted_edges(graph, src, dst, value)
    return g, torch.stack([src, dst]), origin


def add_edges(graph: Graph, p: float = 0.2, *, num_edges: Optional[int] = None, batch: Optional[Tensor] = None,
              num_graphs: Optional[int] = None, allow_self_loops: bool = False, allow_duplicates: bool = False,
              force_undirected: bool = False, training: bool = True,
              generator: Optional[torch.Generator] = None) -> Tuple[Graph, Tensor]:
    """Add random edges: about ``p * E`` of them (``p * E_i`` within each graph ``i`` of a
    batch, so no edge joins two graphs), between uniformly chosen nodes.

    Args:
        graph: the graph (square or bipartite); added edges get weight 1 if it is weighted.
        p: number of added edges as a fraction of the current edge count (``>= 0``; the
            count is ``p * E`` rounded stochastically, so its expectation is exact).
        num_edges: add this many edges instead (single graph only).
        batch: ``[N]`` sorted graph id of every node for a union of small graphs.
        num_graphs: number of graphs in ``batch`` (default ``max + 1``).
        allow_self_loops: allow drawing ``(i, i)``.
        allow_duplicates: keep drawn edges that already exist or were drawn twice (by
            default they are discarded, so slightly fewer than requested may be added).
        force_undirected: add every drawn edge in both directions.
        training: if False, return the graph unchanged.
        generator: source of randomness.

    Returns:
        ``(graph, added)``: the new graph (sorted CSR) and ``[2, K]`` the added edges
        (``added[0]`` sources, ``added[1]`` targets).

    Raises:
        ValueError: negative ``p`` or ``num_edges``, ``num_edges`` with a batch, a bad batch
            vector, ``batch`` or ``force_undirected`` with a bipartite graph.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), 6)
        >>> g2, added = add_edges(g, num_edges=3, generator=torch.Generator().manual_seed(0))
        >>> added.shape[1] <= 3, g2.num_edges == 4 + added.shape[1]
        (True, True)
    """
    check_graph(graph, "add_edges")
    p = check_positive("p", p, allow_zero=True)
    if num_edges is not None:
        num_edges = check_int("num_edges", num_edges, low=0)
        if batch is not None:
            raise ValueError("num_edges applies to a single graph; with a batch use the ratio p")
    if graph.is_bipartite and (batch is not None or force_undirected):
        raise ValueError("batch and force_undirected need a square graph, got a bipartite one")
    if not training:
        return graph, torch.zeros(2, 0, dtype=torch.long, device=graph.device)
    g, added, _ = _add_edges(graph, p, num_edges, batch, num_graphs, allow_self_loops, allow_duplicates,
                             force_undirected, generator)
    return g, added


@register_augmenter("edge_add")
class EdgeAdd(Augmenter):
    """Add about ``p * E`` random edges (within each graph of a batch).

    Args:
        p: added edges as a fraction of the current edge count (``>= 0``).
        allow_self_loops, allow_duplicates, force_undirected: see :func:`add_edges`.

    Added edges get weight 1 (weighted graphs) and all-zero edge attributes.

    Raises:
        ValueError: negative ``p``.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), 3)
        >>> g2, _ = EdgeAdd(0.5)(g, None, generator=torch.Generator().manual_seed(0))
        >>> g2.num_edges >= 4
        True
    """

    def __init__(self, p: float = 0.2, allow_self_loops: bool = False, allow_duplicates: bool = False,
                 force_undirected: bool = False) -> None:
        self.p = check_positive("p", p, allow_zero=True)
        self.allow_self_loops = bool(allow_self_loops)
        self.allow_duplicates = bool(allow_duplicates)
        self.force_undirected = bool(force_undirected)

    def _apply(self, view: GraphView, generator: Optional[torch.Generator]) -> GraphView:
        if self.force_undirected and view.graph.is_bipartite:
            raise ValueError("EdgeAdd(force_undirected=True) needs a square graph, got a bipartite one")
        g, _, origin = _add_edges(view.graph, self.p, None, view.batch, view.num_graphs, self.allow_self_loops,
                                  self.allow_duplicates, self.force_undirected, generator)
        return view.rewire(g, origin)

    def extra_repr(self) -> str:
        flags = [k for k in ("allow_self_loops", "allow_duplicates", "force_undirected") if getattr(self, k)]
        return ", ".join([f"p={self.p}"] + [f"{k}=True" for k in flags])
