"""Training-free baseline: K-hop propagated features (SGC, Wu et al. 2019).

Not an SSL method, but the reference every pretraining run should beat: embeddings
``(D^-1/2 (A + I) D^-1/2)^K X`` computed with the core's ``spmm``.
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..sparse import spmm
from .base import GraphInput, SSLMethod, register_method

__all__ = ["SGC"]


@register_method("sgc")
class SGC(SSLMethod):
    """K-hop symmetric-normalised feature propagation.

    Args:
        in_dim: input feature size (kept for the common constructor signature).
        hops: number of propagation steps ``K`` (>= 0).
    """

    levels = ("node",)

    trainable = False

    def __init__(self, in_dim: int, hops: int = 2) -> None:
        super().__init__()
        if hops < 0:
            raise ValueError(f"hops must be >= 0, got {hops}")
        self.in_dim, self.hops = in_dim, hops

    def loss(self, data: GraphInput) -> Tensor:
        raise RuntimeError("sgc is training-free: it has no loss to minimise")

    @torch.no_grad()
    def embed(self, data: GraphInput) -> Tensor:
        g = data.graph.gcn_norm()
        h = data.x
        for _ in range(self.hops):
            h = spmm(g, h)
        return h
