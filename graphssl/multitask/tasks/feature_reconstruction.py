"""Masked feature reconstruction (GraphMAE-style; ParetoGNN's ``p_recon``)."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn

from ...augment import drop_edges
from ...losses import sce_loss
from ...methods.base import GraphInput
from ...nn import build_encoder
from .._random import randperm
from ..task import PretextTask, register_task

__all__ = ["FeatureReconstruction"]


@register_task("feature_reconstruction")
class FeatureReconstruction(PretextTask):
    """Mask the features of a random share of nodes with a learnable [MASK] token, drop
    some edges, encode, re-mask the same nodes in the latent space, decode with a one-layer
    GNN, and score the masked nodes with the scaled cosine error.

    Args:
        in_dim: input feature width (the decoder's output).
        emb_dim: encoder output width.
        mask_rate: share of nodes masked, in (0, 1) (ParetoGNN: 0.5).
        drop_edge_rate: share of edges dropped for this task, in [0, 1) (ParetoGNN: 0.35).
        alpha: SCE exponent >= 1 (ParetoGNN: 3).
        decoder: ``"gcn"`` (ParetoGNN), ``"gat"``, ... or ``"linear"``.

    Raises:
        ValueError: a rate outside its range, ``alpha < 1``, unknown decoder.
    """

    def __init__(self, in_dim: int, emb_dim: int, mask_rate: float = 0.5, drop_edge_rate: float = 0.35,
                 alpha: float = 3.0, decoder: str = "gcn") -> None:
        super().__init__()
        if not 0.0 < mask_rate < 1.0:
            raise ValueError(f"mask_rate must lie in (0, 1), got {mask_rate}")
        if not 0.0 <= drop_edge_rate < 1.0:
            raise ValueError(f"drop_edge_rate must lie in [0, 1), got {drop_edge_rate}")
        if alpha < 1:
            raise ValueError(f"alpha must be >= 1, got {alpha}")
        self.mask_rate, self.drop_edge_rate, self.alpha = mask_rate, drop_edge_rate, alpha
        self.mask_token = nn.Parameter(torch.zeros(1, in_dim))
        self.enc_to_dec = nn.Linear(emb_dim, emb_dim, bias=False)
        self.decoder_kind = decoder.lower()
        if self.decoder_kind == "linear":
            self.decoder: nn.Module = nn.Linear(emb_dim, in_dim)
        else:
            self.decoder = build_encoder(self.decoder_kind, emb_dim, emb_dim, in_dim, num_layers=1, encoding=False)

    def loss(self, encoder: nn.Module, data: GraphInput, generator: Optional[torch.Generator] = None) -> Tensor:
        graph, x = data.graph, data.x
        n = x.size(0)
        num_mask = max(1, int(self.mask_rate * n))
        mask = randperm(n, generator, x.device)[:num_mask]
        x_in = x.clone()
        x_in[mask] = self.mask_token.to(x.dtype).expand(num_mask, -1)
        g = drop_edges(graph, self.drop_edge_rate, generator=generator)[0] if self.drop_edge_rate > 0 else graph
        rep = self.enc_to_dec(encoder(g, x_in))
        rep = rep.index_fill(0, mask, 0.0)  # re-mask: the decoder must infer masked nodes from neighbours
        recon = self.decoder(rep) if self.decoder_kind == "linear" else self.decoder(g, rep)
        return sce_loss(recon[mask], x[mask], self.alpha)
