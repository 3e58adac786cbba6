"""GraphCL on molecules (You et al., NeurIPS 2020, transfer-learning setting): contrast
two augmented views of every molecule of a batch."""
from __future__ import annotations

from typing import List, Optional, Sequence, Union

import torch
from torch import Tensor, nn

from ...checks import check_fraction, check_positive
from ...methods.base import GraphInput
from ...methods.graphcl import graphcl_loss
from ...multitask._random import randint
from ...multitask.task import PretextTask, register_task
from ...nn.pool import global_pool
from ...sparse.batch import GraphBatch
from .augment import MOLECULE_AUGMENTATIONS
from .common import check_molecules, encode

__all__ = ["MoleculeGraphCL"]

AugSpec = Union[str, Sequence[str], None]


def _names(spec: AugSpec, which: str) -> List[str]:
    if spec is None or spec == "none":
        return []
    names = [spec] if isinstance(spec, str) else list(spec)
    if not names:
        raise ValueError(f"{which}: an empty list of augmentations")
    for n in names:
        if n not in MOLECULE_AUGMENTATIONS:
            raise ValueError(f"{which}: unknown molecule augmentation {n!r}; known: "
                             f"{', '.join(MOLECULE_AUGMENTATIONS)} (or None)")
    return names


@register_task("mol_graphcl")
class MoleculeGraphCL(PretextTask):
    """GraphCL's contrastive task on molecules.

    Each view applies one augmentation of :data:`MOLECULE_AUGMENTATIONS` to the batch (a
    list: one drawn at random per batch, GraphCL's ``random`` mode), the views are
    mean-pooled, projected by ``Linear -> ReLU -> Linear`` and contrasted with GraphCL's
    NT-Xent (:func:`graphssl.methods.graphcl_loss`: the other molecules' views are the
    negatives).

    Args:
        in_dim: atom feature columns (unused; registry signature).
        emb_dim: encoder output width.
        augment_1, augment_2: augmentation name(s) of each view, or None for the molecule
            itself (GraphCL's chem defaults: ``node_drop`` and ``subgraph``).
        aug_ratio: the augmentations' ratio (GraphCL: 0.2).
        tau: temperature (GraphCL on molecules: 0.1).

    Raises:
        ValueError: unknown augmentation, ``tau <= 0``.
    """

    def __init__(self, in_dim: int = 9, emb_dim: int = 300, augment_1: AugSpec = "node_drop",
                 augment_2: AugSpec = "subgraph", aug_ratio: float = 0.2, tau: float = 0.1) -> None:
        super().__init__()
        check_positive("tau", tau)
        check_fraction("aug_ratio", aug_ratio)
        self.augment_1, self.augment_2 = _names(augment_1, "augment_1"), _names(augment_2, "augment_2")
        self.aug_ratio, self.tau = float(aug_ratio), float(tau)
        self.projector = nn.Sequential(nn.Linear(emb_dim, emb_dim), nn.ReLU(), nn.Linear(emb_dim, emb_dim))

    def view(self, batch: GraphBatch, names: List[str], generator: Optional[torch.Generator]) -> GraphBatch:
        """One augmented view (the batch itself when ``names`` is empty)."""
        if not names:
            return batch
        name = names[int(randint(len(names), 1, generator, batch.x.device)[0])] if len(names) > 1 else names[0]
        return MOLECULE_AUGMENTATIONS[name](batch, self.aug_ratio, generator)

    def loss(self, encoder: nn.Module, data: GraphInput, generator: Optional[torch.Generator] = None) -> Tensor:
        batch = check_molecules(data, "GraphCL on molecules")
        v1, v2 = self.view(batch, self.augment_1, generator), self.view(batch, self.augment_2, generator)
        z1 = self.projector(global_pool(encode(encoder, v1), v1, "mean"))
        z2 = self.projector(global_pool(encode(encoder, v2), v2, "mean"))
        if batch.num_graphs < 2:
            return (z1.sum() + z2.sum()) * 0.0
        return graphcl_loss(z1, z2, self.tau)
