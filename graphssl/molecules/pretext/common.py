"""Shared pieces of the molecule pretext tasks: input checks, mask tokens, per-graph random
sampling, hop distances and the rebuilding of a :class:`GraphBatch` after atoms or bonds
were dropped, added or re-ordered.

A molecule batch is a :class:`~graphssl.sparse.GraphBatch` whose graph stores every bond as
two directed edges (CSR rows are targets, ``graph.col`` the sources), with ``x [N, 9]`` and
``edge_attr [E, 3]`` int64 OGB codes (:mod:`graphssl.molecules.features`).
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor, nn

from ...multitask._random import rand
from ...sparse import Graph
from ...sparse.batch import GraphBatch
from ..features import ATOM_FEATURE_DIMS, BOND_FEATURE_DIMS, MASK_ATOM, MASK_BOND

__all__ = ["NUM_ATOM_TYPES", "NUM_BOND_TYPES", "check_molecules", "encode", "atom_mask_token",
           "bond_mask_token", "make_batch", "induced_batch", "batch_from_edges", "sample_per_group",
           "per_graph_counts", "reverse_edges", "hop_distances", "bond_edges"]

#: Classes of the atom-type target (OGB's atomic numbers 1..118 and "misc").
NUM_ATOM_TYPES: int = ATOM_FEATURE_DIMS[0]
#: Classes of the bond-type target (single, double, triple, aromatic, "misc").
NUM_BOND_TYPES: int = BOND_FEATURE_DIMS[0]


def check_molecules(data: object, what: str = "a molecule pretext task") -> GraphBatch:
    """Return ``data`` if it is a molecule :class:`GraphBatch` (int64 ``x [N, 9]`` and
    ``edge_attr [E, 3]``).

    Raises:
        ValueError: anything else, naming what is wrong.
    """
    if not isinstance(data, GraphBatch):
        raise ValueError(f"{what} needs a GraphBatch of molecules, got {type(data).__name__}")
    x, ea = data.x, data.edge_attr
    if x is None or x.dtype != torch.long or x.dim() != 2 or x.size(1) != len(ATOM_FEATURE_DIMS):
        raise ValueError(f"{what} needs int64 atom codes x [N, {len(ATOM_FEATURE_DIMS)}], got "
                         f"{None if x is None else (x.dtype, tuple(x.shape))}")
    if ea is None or ea.dtype != torch.long or ea.dim() != 2 or ea.size(1) != len(BOND_FEATURE_DIMS):
        raise ValueError(f"{what} needs int64 bond codes edge_attr [E, {len(BOND_FEATURE_DIMS)}], got "
                         f"{None if ea is None else (ea.dtype, tuple(ea.shape))}")
    return data


def encode(encoder: nn.Module, batch: GraphBatch, x: Optional[Tensor] = None,
           edge_attr: Optional[Tensor] = None) -> Tensor:
    """``[N, D]`` node embeddings of ``batch`` by a molecule encoder called as
    ``encoder(batch, x, edge_attr)`` (:class:`~graphssl.molecules.MoleculeGIN`)."""
    return encoder(batch, x, edge_attr)


def atom_mask_token(device: torch.device) -> Tensor:
    """``[9]`` the atom codes of a masked atom (index ``dims[k]`` of every column)."""
    return torch.tensor(MASK_ATOM, dtype=torch.long, device=device)


def bond_mask_token(device: torch.device) -> Tensor:
    """``[3]`` the bond codes of a masked bond."""
    return torch.tensor(MASK_BOND, dtype=torch.long, device=device)


def make_batch(graph: Graph, x: Tensor, edge_attr: Tensor, node_graph: Tensor, num_graphs: int) -> GraphBatch:
    """A :class:`GraphBatch` from a union graph whose nodes are sorted by graph id.

    Args:
        graph: the union (its CSR edges are then sorted by graph too).
        x, edge_attr: node and edge codes aligned with ``graph``.
        node_graph: ``[N]`` sorted graph id of every node.
        num_graphs: ``B`` (graphs without nodes are allowed).
    """
    dev = x.device
    ptr = torch.zeros(num_graphs + 1, dtype=torch.long, device=dev)
    torch.cumsum(torch.bincount(node_graph, minlength=num_graphs), 0, out=ptr[1:])
    edge_ptr = torch.zeros(num_graphs + 1, dtype=torch.long, device=dev)
    if graph.num_edges:
        torch.cumsum(torch.bincount(node_graph[graph.row()], minlength=num_graphs), 0, out=edge_ptr[1:])
    return GraphBatch(graph, x, edge_attr, None, node_graph, ptr, num_graphs, edge_ptr, None)


def induced_batch(batch: GraphBatch, keep: Tensor, x: Optional[Tensor] = None,
                  edge_attr: Optional[Tensor] = None) -> Tuple[GraphBatch, Tensor]:
    """The sub-molecules induced by the atoms where ``keep [N]`` is True (graph ids kept, so
    graph ``b`` of the result comes from graph ``b`` of ``batch``, possibly empty).

    Args:
        x, edge_attr: codes to use instead of ``batch.x`` / ``batch.edge_attr``.

    Returns:
        ``(sub_batch, node_ids)``: ``node_ids [N']`` the kept atoms' ids in ``batch``.
    """
    x = batch.x if x is None else x
    edge_attr = batch.edge_attr if edge_attr is None else edge_attr
    nodes = keep.nonzero().view(-1)
    g, eid = batch.graph.subgraph(nodes, return_edge_ids=True)
    return make_batch(g, x[nodes], edge_attr[eid], batch.batch[nodes], batch.num_graphs), nodes


def batch_from_edges(src: Tensor, dst: Tensor, edge_attr: Tensor, x: Tensor, node_graph: Tensor,
                     num_graphs: int) -> GraphBatch:
    """A :class:`GraphBatch` from directed edges ``src -> dst`` in any order (sorted here,
    with ``edge_attr`` following)."""
    n = x.size(0)
    order = torch.argsort(dst * max(n, 1) + src, stable=True)
    g = Graph.from_edge_index(torch.stack([src[order], dst[order]]), n)
    return make_batch(g, x, edge_attr[order], node_graph, num_graphs)


def sample_per_group(group: Tensor, k: Tensor, generator: Optional[torch.Generator]) -> Tensor:
    """Draw ``k[g]`` distinct items of every group ``g`` uniformly without replacement.

    Args:
        group: ``[M]`` group id of every item (any order).
        k: ``[G]`` how many items to draw from each group (capped at the group's size).
        generator: random source (None: the global RNG).

    Returns:
        Sorted ``[sum_g min(k_g, |g|)]`` indices into the items.

    Example:
        >>> sample_per_group(torch.tensor([0, 0, 1, 1, 1]), torch.tensor([1, 3]), None).tolist()[1:]
        [2, 3, 4]
    """
    m = group.numel()
    if m == 0:
        return group.new_zeros(0)
    u = rand(m, generator, group.device)
    order = torch.argsort(u)
    order = order[torch.argsort(group[order], stable=True)]  # by group, random within a group
    g_sorted = group[order]
    sizes = torch.bincount(group, minlength=k.numel())
    start = torch.cumsum(sizes, 0) - sizes
    rank = torch.arange(m, device=group.device) - start[g_sorted]
    return order[rank < k[g_sorted]].sort().values


def per_graph_counts(sizes: Tensor, rate: float, plus_one: bool = False) -> Tensor:
    """``floor(rate * size)`` (``+ 1`` with ``plus_one``, as Hu et al.'s masking), capped at
    the size and at least 1 for non-empty graphs."""
    k = torch.floor(sizes.to(torch.float64) * rate + (1.0 if plus_one else 0.0)).long()
    return torch.minimum(k.clamp_min(1), sizes) * (sizes > 0)


def reverse_edges(graph: Graph) -> Tensor:
    """``[E]`` the CSR position of every edge's reverse edge.

    Raises:
        ValueError: the graph is not symmetric (some edge has no reverse).
    """
    n = graph.num_nodes
    dst, src = graph.row(), graph.col
    key = dst * n + src  # CSR order is sorted by this key
    rev = src * n + dst
    pos = torch.searchsorted(key, rev).clamp_max(max(key.numel() - 1, 0))
    if key.numel() and not bool((key[pos] == rev).all()):
        raise ValueError("molecule graphs must store every bond in both directions")
    return pos


def bond_edges(graph: Graph) -> Tensor:
    """``[B]`` CSR positions of one directed edge per bond (source id < target id)."""
    return (graph.col < graph.row()).nonzero().view(-1)


def hop_distances(graph: Graph, sources: Tensor, max_hops: int) -> Tensor:
    """Shortest-path hop counts from the nearest of ``sources`` (multi-source BFS; in a union
    of molecules with one source per molecule, each atom's distance to its own source).

    Returns:
        ``[N]`` int64 distances, ``-1`` for atoms farther than ``max_hops`` or unreachable.
    """
    n = graph.num_nodes
    dist = torch.full((n,), -1, dtype=torch.long, device=sources.device)
    dist[sources] = 0
    reached = dist == 0
    frontier = reached.clone()
    dst, src = graph.row(), graph.col
    for h in range(1, max_hops + 1):
        hit = torch.zeros(n, dtype=torch.bool, device=dist.device)
        hit[dst[frontier[src]]] = True
        frontier = hit & ~reached
        if not bool(frontier.any()):
            break
        dist[frontier] = h
        reached |= frontier
    return dist
