"""D-SLA (Kim et al., NeurIPS 2022, "Graph Self-supervised Learning with Accurate
Discrepancy Learning").

Every molecule gets ``num_candidates - 1`` perturbed copies: inside the ``k``-hop subgraph
around a random centre atom, candidate ``i`` removes ``i * p`` bonds and adds ``i * p`` new
ones between unbonded atoms of that subgraph (``p = max(1, floor(edge_pert_strength *
bonds))``; chemistry-agnostic: valences are not checked, new bonds get a random bond type),
so its edit distance to the original is ``2 i p`` (fewer when the subgraph runs out of bonds
or free pairs). Every candidate, the original included, also has ``mask_strength`` of the
subgraph's atoms masked (independently). Three losses train the encoder:

* graph discrimination: a score network on the pooled embeddings must give the original
  the highest score among its candidates (cross-entropy, target 0);
* edit-distance discrepancy: ``||h_i - h_0|| / e_i`` should be the same for all
  perturbations ``i`` of a molecule (mean squared difference over pairs), i.e. embedding
  distances proportional to edit distances;
* margin: a perturbation must stay closer to its original than other molecules are,
  ``max(0, margin + ||h_0 - h_i|| - ||h_0 - h_0'||)`` averaged over the batch's pairs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...checks import check_fraction
from ...methods.base import GraphInput
from ...multitask._random import randint
from ...multitask.task import PretextTask, register_task
from ...nn.pool import global_pool
from ...sparse.batch import GraphBatch
from .common import (atom_mask_token, batch_from_edges, bond_edges, check_molecules, encode, hop_distances,
                     reverse_edges, sample_per_group)

__all__ = ["PerturbedMolecules", "perturb_molecules", "DSLA"]


@dataclass
class PerturbedMolecules:
    """The candidates of a batch of ``B`` molecules, stacked as one batch.

    Attributes:
        batch: ``C * B`` graphs; graph ``c * B + b`` is candidate ``c`` of molecule ``b``
            (candidate 0: the original, masked only).
        edit_distance: ``[B, C]`` bonds removed + bonds added (column 0 is 0).
        removed: ``[B, C]`` bonds removed; ``added``: ``[B, C]`` bonds added.
        subgraph: ``[N]`` bool, the atoms of the perturbed ``k``-hop subgraphs.
        num_candidates: ``C``.
    """

    batch: GraphBatch
    edit_distance: Tensor
    removed: Tensor
    added: Tensor
    subgraph: Tensor
    num_candidates: int


def _free_pairs(batch: GraphBatch, in_sub: Tensor):
    """All unbonded atom pairs ``(a < b)`` inside each molecule's subgraph, with their graph."""
    s = in_sub.nonzero().view(-1)
    dev = s.device
    gs = batch.batch[s]
    sizes = torch.bincount(gs, minlength=batch.num_graphs)
    end = torch.cumsum(sizes, 0)[gs]
    partners = end - torch.arange(s.numel(), device=dev) - 1
    total = int(partners.sum())
    pa = torch.repeat_interleave(torch.arange(s.numel(), device=dev), partners, output_size=total)
    offs = torch.arange(total, device=dev) - torch.repeat_interleave(torch.cumsum(partners, 0) - partners, partners,
                                                                     output_size=total)
    a, b = s[pa], s[pa + 1 + offs]
    n = batch.num_nodes
    g = batch.graph
    bonded = (g.col * n + g.row())
    free = ~torch.isin(a * n + b, bonded)
    return a[free], b[free], batch.batch[a[free]]


def perturb_molecules(batch: GraphBatch, num_candidates: int = 4, k: int = 3, edge_pert_strength: float = 0.2,
                      mask_strength: float = 0.8, generator: Optional[torch.Generator] = None) -> PerturbedMolecules:
    """Build D-SLA's candidates (see the module docstring).

    Raises:
        ValueError: ``num_candidates < 2``, ``k < 1``, strengths outside [0, 1], or not a
            molecule batch.
    """
    check_molecules(batch, "D-SLA")
    if num_candidates < 2:
        raise ValueError(f"num_candidates must be >= 2 (the original and a perturbation), got {num_candidates}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    check_fraction("edge_pert_strength", edge_pert_strength, high_closed=True)
    check_fraction("mask_strength", mask_strength, high_closed=True)
    dev = batch.x.device
    n, nb, c_num = batch.num_nodes, batch.num_graphs, num_candidates
    g = batch.graph
    centers = sample_per_group(batch.batch, torch.ones(nb, dtype=torch.long, device=dev), generator)
    in_sub = hop_distances(g, centers, k) >= 0
    bonds = bond_edges(g)
    bu, bv = g.col[bonds], g.row()[bonds]
    sub_bonds = bonds[in_sub[bu] & in_sub[bv]]
    sub_bond_graph = batch.batch[g.col[sub_bonds]]
    m = torch.bincount(sub_bond_graph, minlength=nb)
    p = torch.floor(m.to(torch.float64) * edge_pert_strength).long().clamp_min(1)
    fa, fb, fgraph = _free_pairs(batch, in_sub)
    sub_sizes = torch.bincount(batch.batch[in_sub], minlength=nb)
    n_mask = (torch.floor(sub_sizes.to(torch.float64) * mask_strength).long()
              if mask_strength > 0 else torch.zeros_like(sub_sizes))
    sub_nodes = in_sub.nonzero().view(-1)
    rev_pos = reverse_edges(g)

    xs, srcs, dsts, attrs = [], [], [], []
    removed = torch.zeros(nb, c_num, dtype=torch.long, device=dev)
    added = torch.zeros_like(removed)
    token = atom_mask_token(dev)
    for c in range(c_num):
        x = batch.x.clone()
        masked = sub_nodes[sample_per_group(batch.batch[sub_nodes], n_mask, generator)]
        x[masked] = token
        keep = torch.ones(g.num_edges, dtype=torch.bool, device=dev)
        src, dst, attr = g.col, g.row(), batch.edge_attr
        if c > 0:
            drop = sub_bonds[sample_per_group(sub_bond_graph, c * p, generator)]
            keep[drop] = False
            keep[rev_pos[drop]] = False
            pick = sample_per_group(fgraph, c * p, generator)
            a, b = fa[pick], fb[pick]
            new_attr = torch.zeros(a.numel(), attr.size(1), dtype=torch.long, device=dev)
            new_attr[:, 0] = randint(4, a.numel(), generator, dev)  # single/double/triple/aromatic
            src = torch.cat([src[keep], a, b])
            dst = torch.cat([dst[keep], b, a])
            attr = torch.cat([attr[keep], new_attr, new_attr])
            removed[:, c] = torch.bincount(batch.batch[g.col[drop]], minlength=nb)
            added[:, c] = torch.bincount(fgraph[pick], minlength=nb)
        xs.append(x)
        srcs.append(src + c * n)
        dsts.append(dst + c * n)
        attrs.append(attr)
    node_graph = torch.cat([batch.batch + c * nb for c in range(c_num)])
    out = batch_from_edges(torch.cat(srcs), torch.cat(dsts), torch.cat(attrs), torch.cat(xs), node_graph, c_num * nb)
    return PerturbedMolecules(out, removed + added, removed, added, in_sub, c_num)


@register_task("mol_dsla")
class DSLA(PretextTask):
    """D-SLA's objective (see the module docstring); defaults are the official molecule
    settings.

    Args:
        in_dim: atom feature columns (unused; registry signature).
        emb_dim: encoder output width.
        num_candidates: the original plus ``num_candidates - 1`` perturbations (4).
        k: radius of the perturbed subgraph (3).
        edge_pert_strength: share of the subgraph's bonds edited per step of ``i`` (0.2).
        mask_strength: share of the subgraph's atoms masked in every candidate (0.8).
        edit_coeff: weight of the edit-distance loss (0.7).
        margin: margin of the margin loss (5.0); margin_coeff: its weight (0.5).

    Raises:
        ValueError: bad options (see :func:`perturb_molecules`), negative weights.
    """

    def __init__(self, in_dim: int = 9, emb_dim: int = 300, num_candidates: int = 4, k: int = 3,
                 edge_pert_strength: float = 0.2, mask_strength: float = 0.8, edit_coeff: float = 0.7,
                 margin: float = 5.0, margin_coeff: float = 0.5) -> None:
        super().__init__()
        if num_candidates < 2:
            raise ValueError(f"num_candidates must be >= 2, got {num_candidates}")
        if edit_coeff < 0 or margin_coeff < 0 or margin < 0:
            raise ValueError("edit_coeff, margin and margin_coeff must be >= 0")
        self.num_candidates, self.k = int(num_candidates), int(k)
        self.edge_pert_strength, self.mask_strength = float(edge_pert_strength), float(mask_strength)
        self.edit_coeff, self.margin, self.margin_coeff = float(edit_coeff), float(margin), float(margin_coeff)
        self.score = nn.Sequential(nn.Linear(emb_dim, emb_dim), nn.ReLU(), nn.Linear(emb_dim, emb_dim), nn.ReLU(),
                                   nn.Linear(emb_dim, 1))
        idx = torch.triu_indices(self.num_candidates - 1, self.num_candidates - 1, offset=1)
        self.register_buffer("_pairs", idx, persistent=False)
        self.last_losses: Dict[str, float] = {}

    def losses(self, encoder: nn.Module, data: GraphInput, generator: Optional[torch.Generator] = None
               ) -> Dict[str, Tensor]:
        """The three terms, unweighted: ``{"gd", "edit", "margin"}`` (plus ``"accuracy"``,
        detached: how often the original scores highest)."""
        batch = check_molecules(data, "D-SLA")
        pert = perturb_molecules(batch, self.num_candidates, self.k, self.edge_pert_strength, self.mask_strength,
                                 generator)
        nb, c = batch.num_graphs, self.num_candidates
        h = global_pool(encode(encoder, pert.batch), pert.batch, "mean")
        rep = h.view(c, nb, -1).transpose(0, 1)  # [B, C, D]
        scores = self.score(rep).squeeze(-1)
        target = torch.zeros(nb, dtype=torch.long, device=h.device)
        out = {"gd": F.cross_entropy(scores, target),
               "accuracy": (scores.argmax(1) == 0).float().mean().detach()}
        dist = (rep[:, 1:] - rep[:, :1]).norm(dim=-1)  # [B, C-1]
        edit = pert.edit_distance[:, 1:].to(dist.dtype)
        valid = (edit > 0).all(1)
        if c > 2 and bool(valid.any()):
            ratio = dist[valid] / edit[valid]
            out["edit"] = F.mse_loss(ratio[:, self._pairs[0]], ratio[:, self._pairs[1]])
        else:
            out["edit"] = dist.sum() * 0.0
        if nb > 1:
            orig = rep[:, 0]
            neg = torch.cdist(orig, orig)
            off = ~torch.eye(nb, dtype=torch.bool, device=h.device)
            neg = neg[off].view(nb, nb - 1)
            out["margin"] = F.relu(self.margin + dist.unsqueeze(1) - neg.unsqueeze(2)).mean()
        else:
            out["margin"] = dist.sum() * 0.0
        return out

    def loss(self, encoder: nn.Module, data: GraphInput, generator: Optional[torch.Generator] = None) -> Tensor:
        parts = self.losses(encoder, data, generator)
        self.last_losses = {k: float(v.detach()) for k, v in parts.items()}
        return parts["gd"] + self.edit_coeff * parts["edit"] + self.margin_coeff * parts["margin"]
