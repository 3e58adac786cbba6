"""Molecule augmentations for contrastive pretraining (GraphCL's four, on categorical atoms).

Each is a function ``(batch, ratio, generator) -> GraphBatch`` that acts on every molecule of
a :class:`GraphBatch` separately and keeps the number of graphs (graph ``b`` of the output
is a view of molecule ``b``); bond features stay aligned with the kept bonds.

* ``node_drop``: remove ``floor(ratio * n)`` random atoms (at most ``n - 1``) and their bonds.
* ``subgraph``: keep a connected piece of ``max(1, floor((1 - ratio) * n))`` atoms grown
  from a random atom by adding one random neighbour of the piece at a time (GraphCL's
  subgraph; a molecule's piece stops growing when its component is exhausted).
* ``edge_pert``: remove ``floor(ratio * bonds)`` random bonds (both directions).
* ``attr_mask``: give ``floor(ratio * n)`` random atoms the atom mask token.
"""
from __future__ import annotations

from typing import Callable, Dict, Optional

import torch

from ...checks import check_fraction
from ...sparse.batch import GraphBatch
from .common import atom_mask_token, bond_edges, check_molecules, induced_batch, make_batch, per_graph_counts, \
    reverse_edges, sample_per_group
from ...multitask.edges import filter_edges

__all__ = ["MOLECULE_AUGMENTATIONS", "node_drop", "subgraph", "edge_pert", "attr_mask"]

Augmentation = Callable[[GraphBatch, float, Optional[torch.Generator]], GraphBatch]


def _check(batch: GraphBatch, ratio: float, what: str) -> None:
    check_molecules(batch, what)
    check_fraction(f"{what}: ratio", ratio)


def node_drop(batch: GraphBatch, ratio: float = 0.2, generator: Optional[torch.Generator] = None) -> GraphBatch:
    """Drop ``floor(ratio * n)`` atoms of every molecule (at least one atom stays)."""
    _check(batch, ratio, "node_drop")
    sizes = batch.num_nodes_per_graph()
    k = torch.minimum(torch.floor(sizes.double() * ratio).long(), (sizes - 1).clamp_min(0))
    keep = torch.ones(batch.num_nodes, dtype=torch.bool, device=batch.x.device)
    keep[sample_per_group(batch.batch, k, generator)] = False
    return induced_batch(batch, keep)[0]


def subgraph(batch: GraphBatch, ratio: float = 0.2, generator: Optional[torch.Generator] = None) -> GraphBatch:
    """Keep a randomly grown connected piece of ``max(1, floor((1 - ratio) * n))`` atoms."""
    _check(batch, ratio, "subgraph")
    dev = batch.x.device
    sizes = batch.num_nodes_per_graph()
    target = per_graph_counts(sizes, 1.0 - ratio)
    sel = torch.zeros(batch.num_nodes, dtype=torch.bool, device=dev)
    sel[sample_per_group(batch.batch, torch.ones_like(sizes), generator)] = True
    count = (sizes > 0).long()
    g = batch.graph
    dst, src = g.row(), g.col
    while True:
        need = count < target
        if not bool(need.any()):
            break
        near = torch.zeros_like(sel)
        near[dst[sel[src]]] = True
        cand = (near & ~sel & need[batch.batch]).nonzero().view(-1)
        if cand.numel() == 0:
            break
        pick = cand[sample_per_group(batch.batch[cand], need.long(), generator)]
        sel[pick] = True
        count += torch.bincount(batch.batch[pick], minlength=batch.num_graphs)
    return induced_batch(batch, sel)[0]


def edge_pert(batch: GraphBatch, ratio: float = 0.2, generator: Optional[torch.Generator] = None) -> GraphBatch:
    """Remove ``floor(ratio * bonds)`` bonds of every molecule (both directions)."""
    _check(batch, ratio, "edge_pert")
    g = batch.graph
    bonds = bond_edges(g)
    bond_graph = batch.batch[g.col[bonds]]
    k = torch.floor(torch.bincount(bond_graph, minlength=batch.num_graphs).double() * ratio).long()
    drop = bonds[sample_per_group(bond_graph, k, generator)]
    keep = torch.ones(g.num_edges, dtype=torch.bool, device=batch.x.device)
    keep[drop] = False
    keep[reverse_edges(g)[drop]] = False
    return make_batch(filter_edges(g, keep), batch.x, batch.edge_attr[keep], batch.batch, batch.num_graphs)


def attr_mask(batch: GraphBatch, ratio: float = 0.2, generator: Optional[torch.Generator] = None) -> GraphBatch:
    """Give ``floor(ratio * n)`` atoms of every molecule the atom mask token."""
    _check(batch, ratio, "attr_mask")
    k = torch.floor(batch.num_nodes_per_graph().double() * ratio).long()
    x = batch.x.clone()
    x[sample_per_group(batch.batch, k, generator)] = atom_mask_token(x.device)
    return make_batch(batch.graph, x, batch.edge_attr, batch.batch, batch.num_graphs)


#: The augmentations by name.
MOLECULE_AUGMENTATIONS: Dict[str, Augmentation] = {
    "node_drop": node_drop, "subgraph": subgraph, "edge_pert": edge_pert, "attr_mask": attr_mask,
}
