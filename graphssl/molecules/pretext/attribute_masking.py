"""Attribute masking (Hu et al., ICLR 2020, "Strategies for Pre-training Graph Neural
Networks"): hide some atoms (and the bonds around them), predict their types."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...checks import check_fraction
from ...methods.base import GraphInput
from ...multitask.task import PretextTask, register_task
from ...sparse.batch import GraphBatch
from .common import (NUM_ATOM_TYPES, NUM_BOND_TYPES, atom_mask_token, bond_mask_token, check_molecules, encode,
                     per_graph_counts, sample_per_group)

__all__ = ["MaskedMolecules", "mask_atoms", "AttributeMasking"]


@dataclass
class MaskedMolecules:
    """A batch with some atoms (and bonds) replaced by mask tokens.

    Attributes:
        x: ``[N, 9]`` atom codes, masked rows set to :data:`MASK_ATOM`.
        edge_attr: ``[E, 3]`` bond codes, masked edges set to :data:`MASK_BOND`.
        atoms: ``[M]`` sorted ids of the masked atoms.
        edges: ``[K]`` CSR positions of the masked edges (both directions of each bond).
    """

    x: Tensor
    edge_attr: Tensor
    atoms: Tensor
    edges: Tensor


def mask_atoms(batch: GraphBatch, rate: float, generator: Optional[torch.Generator], mask_bonds: bool = True,
               plus_one: bool = True) -> MaskedMolecules:
    """Mask ``floor(rate * n_b) + 1`` random atoms of every molecule ``b`` (Hu et al.'s count;
    ``plus_one=False``: ``max(1, floor(rate * n_b))``) and, with ``mask_bonds``, every bond
    that touches a masked atom (both directions).

    Raises:
        ValueError: ``rate`` outside (0, 1), or not a molecule batch.
    """
    check_fraction("mask rate", rate, low_open=True)
    check_molecules(batch)
    k = per_graph_counts(batch.num_nodes_per_graph(), rate, plus_one)
    atoms = sample_per_group(batch.batch, k, generator)
    x = batch.x.clone()
    x[atoms] = atom_mask_token(x.device)
    edge_attr = batch.edge_attr
    edges = atoms.new_zeros(0)
    if mask_bonds:
        hit = torch.zeros(batch.num_nodes, dtype=torch.bool, device=x.device)
        hit[atoms] = True
        g = batch.graph
        edges = (hit[g.col] | hit[g.row()]).nonzero().view(-1)
        edge_attr = edge_attr.clone()
        edge_attr[edges] = bond_mask_token(x.device)
    return MaskedMolecules(x, edge_attr, atoms, edges)


@register_task("mol_attr_masking")
class AttributeMasking(PretextTask):
    """Hu et al.'s attribute masking on molecules.

    In every molecule ``floor(mask_rate * n) + 1`` atoms get the atom mask token (all nine
    OGB features hidden) and, with ``mask_edge``, every bond touching them gets the bond mask
    token. A linear head predicts each masked atom's type (119 classes) from its embedding,
    and another predicts each masked bond's type from the sum of its two atoms' embeddings;
    the loss is the sum of the two cross-entropies.

    Args:
        in_dim: atom feature columns (9; unused, for the task registry's signature).
        emb_dim: encoder output width.
        mask_rate: share of atoms masked (Hu et al.: 0.15).
        mask_edge: also mask and predict the bonds of masked atoms (Hu et al.: True).

    Raises:
        ValueError: ``mask_rate`` outside (0, 1).
    """

    def __init__(self, in_dim: int = 9, emb_dim: int = 300, mask_rate: float = 0.15, mask_edge: bool = True) -> None:
        super().__init__()
        check_fraction("mask_rate", mask_rate, low_open=True)
        self.mask_rate, self.mask_edge = float(mask_rate), bool(mask_edge)
        self.atom_head = nn.Linear(emb_dim, NUM_ATOM_TYPES)
        self.bond_head = nn.Linear(emb_dim, NUM_BOND_TYPES) if mask_edge else None
        self.last_accuracy: float = float("nan")

    def loss(self, encoder: nn.Module, data: GraphInput, generator: Optional[torch.Generator] = None) -> Tensor:
        batch = check_molecules(data, "attribute masking")
        m = mask_atoms(batch, self.mask_rate, generator, self.mask_edge)
        h = encode(encoder, batch, m.x, m.edge_attr)
        logits = self.atom_head(h[m.atoms])
        target = batch.x[m.atoms, 0]
        loss = F.cross_entropy(logits, target)
        self.last_accuracy = float((logits.argmax(1) == target).float().mean()) if target.numel() else float("nan")
        if self.bond_head is not None:
            g = batch.graph
            one_way = m.edges[g.col[m.edges] < g.row()[m.edges]]  # one prediction per bond
            if one_way.numel():
                rep = h[g.col[one_way]] + h[g.row()[one_way]]
                loss = loss + F.cross_entropy(self.bond_head(rep), batch.edge_attr[one_way, 0])
        return loss
