"""GraphMAE on molecules (Hou et al., KDD 2022, transfer-learning setting): mask atoms,
re-mask them in the latent space, decode atom types with one GIN layer, score with the
scaled cosine error against the one-hot atom type."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...checks import check_fraction
from ...losses import sce_loss
from ...methods.base import GraphInput
from ...multitask.task import PretextTask, register_task
from ...sparse.batch import GraphBatch
from ..features import BOND_FEATURE_DIMS
from ..gin import CategoricalEncoder
from .attribute_masking import mask_atoms
from .common import NUM_ATOM_TYPES, check_molecules, encode

__all__ = ["AtomDecoder", "MoleculeGraphMAE"]


class AtomDecoder(nn.Module):
    """GraphMAE's molecule decoder: PReLU, a bias-free linear map, re-masking (the masked
    atoms' rows are zeroed), then one GIN layer with bond embeddings
    (``MLP(h_t + sum_{s -> t} (h_s + e_st))``, ``MLP = Linear(d, 2d) -> ReLU -> Linear(2d, out)``).

    Args:
        dim: encoder width.
        out_dim: decoded width (119 atom types).
    """

    def __init__(self, dim: int, out_dim: int = NUM_ATOM_TYPES) -> None:
        super().__init__()
        self.activation = nn.PReLU()
        self.enc_to_dec = nn.Linear(dim, dim, bias=False)
        self.bond_encoder = CategoricalEncoder(BOND_FEATURE_DIMS, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Linear(2 * dim, out_dim))

    def forward(self, batch: GraphBatch, h: Tensor, edge_attr: Tensor, masked: Tensor) -> Tensor:
        """``[N, out_dim]`` decoded atoms; ``masked [M]`` are re-masked before decoding."""
        z = self.enc_to_dec(self.activation(h))
        z = z.index_fill(0, masked, 0.0)
        g = batch.graph
        msg = z[g.col] + self.bond_encoder(edge_attr)
        agg = torch.zeros_like(z).index_add_(0, g.row(), msg)
        return self.mlp(z + agg)


@register_task("mol_graphmae")
class MoleculeGraphMAE(PretextTask):
    """GraphMAE's molecular pretext task.

    ``floor(mask_rate * n) + 1`` atoms per molecule get the mask token (bonds stay visible,
    as in GraphMAE's chem code); the decoder reconstructs their atom types, scored by
    ``sce(decoded, one_hot(atom type))`` with exponent ``alpha``.

    Args:
        in_dim: atom feature columns (unused; registry signature).
        emb_dim: encoder output width.
        mask_rate: share of atoms masked (GraphMAE: 0.25).
        alpha: SCE exponent (GraphMAE on molecules: 1).

    Raises:
        ValueError: ``mask_rate`` outside (0, 1) or ``alpha < 1``.
    """

    def __init__(self, in_dim: int = 9, emb_dim: int = 300, mask_rate: float = 0.25, alpha: float = 1.0) -> None:
        super().__init__()
        check_fraction("mask_rate", mask_rate, low_open=True)
        if alpha < 1:
            raise ValueError(f"alpha must be >= 1, got {alpha}")
        self.mask_rate, self.alpha = float(mask_rate), float(alpha)
        self.decoder = AtomDecoder(emb_dim, NUM_ATOM_TYPES)

    def loss(self, encoder: nn.Module, data: GraphInput, generator: Optional[torch.Generator] = None) -> Tensor:
        batch = check_molecules(data, "GraphMAE on molecules")
        m = mask_atoms(batch, self.mask_rate, generator, mask_bonds=False)
        h = encode(encoder, batch, m.x, batch.edge_attr)
        recon = self.decoder(batch, h, batch.edge_attr, m.atoms)[m.atoms]
        target = F.one_hot(batch.x[m.atoms, 0], NUM_ATOM_TYPES).to(recon.dtype)
        return sce_loss(recon, target, self.alpha)
