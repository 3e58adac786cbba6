"""SelfTask-GNN's AttributeMask task: reconstruct the features of masked nodes."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...methods.base import GraphInput
from .._random import randperm
from ..task import PretextTask, register_task

__all__ = ["AttributeMask"]


@register_task("attribute_mask")
class AttributeMask(PretextTask):
    """Zero the features of a random share of nodes, encode, and reconstruct their
    original features with a linear head (mean squared error). Unlike
    :class:`FeatureReconstruction` there is no learnable mask token, no re-masking and no
    graph decoder: the encoder alone must recover the attributes from the neighbours.

    Args:
        in_dim: input feature width (the head's output).
        emb_dim: encoder output width.
        mask_rate: share of nodes masked per step, in (0, 1) (SelfTask-GNN: 0.1).

    Raises:
        ValueError: ``mask_rate`` outside (0, 1).
    """

    def __init__(self, in_dim: int, emb_dim: int, mask_rate: float = 0.1) -> None:
        super().__init__()
        if not 0.0 < mask_rate < 1.0:
            raise ValueError(f"mask_rate must lie in (0, 1), got {mask_rate}")
        self.mask_rate = mask_rate
        self.head = nn.Linear(emb_dim, in_dim)

    def loss(self, encoder: nn.Module, data: GraphInput, generator: Optional[torch.Generator] = None) -> Tensor:
        x = data.x
        n = x.size(0)
        mask = randperm(n, generator, x.device)[: max(1, int(self.mask_rate * n))]
        h = encoder(data.graph, x.index_fill(0, mask, 0.0))
        return F.mse_loss(self.head(h[mask]), x[mask])
