"""Subgraph-level mutual information (GRACE-style; ParetoGNN's ``p_minsg``)."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn

from ...augment import Compose, EdgeDrop, FeatureMask
from ...losses import nt_xent_loss
from ...methods.base import GraphInput
from .._random import randperm
from ..task import PretextTask, register_task

__all__ = ["SubgraphMutualInformation"]


@register_task("subgraph_mi")
class SubgraphMutualInformation(PretextTask):
    """Contrast two augmented views node by node: the same node in the other view is the
    positive, every other node of both views a negative (NT-Xent, similarities computed in
    chunks, never as an ``N x N`` matrix).

    Args:
        in_dim: input feature width (unused).
        emb_dim: encoder output width.
        edge_drop, feature_mask: augmentation rates of each view (ParetoGNN: 0.3, 0.3).
        tau: temperature (ParetoGNN: 0.1).
        proj_dim: hidden width of the projection head (ParetoGNN: 512).
        max_nodes: contrast at most this many randomly chosen nodes per step (the encoder
            still runs on the whole graph); None contrasts all nodes.

    Raises:
        ValueError: a rate outside ``[0, 1)``, ``tau <= 0``, ``max_nodes < 2``.
    """

    def __init__(self, in_dim: int, emb_dim: int, edge_drop: float = 0.3, feature_mask: float = 0.3,
                 tau: float = 0.1, proj_dim: int = 512, max_nodes: Optional[int] = None) -> None:
        super().__init__()
        if tau <= 0:
            raise ValueError(f"tau must be > 0, got {tau}")
        if max_nodes is not None and max_nodes < 2:
            raise ValueError(f"max_nodes must be >= 2 or None, got {max_nodes}")
        self.augment = Compose([EdgeDrop(edge_drop), FeatureMask(feature_mask)])
        self.tau, self.max_nodes = tau, max_nodes
        self.projector = nn.Sequential(nn.Linear(emb_dim, proj_dim), nn.ReLU(), nn.Linear(proj_dim, emb_dim))

    def loss(self, encoder: nn.Module, data: GraphInput, generator: Optional[torch.Generator] = None) -> Tensor:
        g1, x1 = self.augment(data.graph, data.x, generator)
        g2, x2 = self.augment(data.graph, data.x, generator)
        h1, h2 = encoder(g1, x1), encoder(g2, x2)
        if self.max_nodes is not None and h1.size(0) > self.max_nodes:
            keep = randperm(h1.size(0), generator, h1.device)[: self.max_nodes]
            h1, h2 = h1[keep], h2[keep]
        return nt_xent_loss(self.projector(h1), self.projector(h2), tau=self.tau)
