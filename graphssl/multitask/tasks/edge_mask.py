"""SelfTask-GNN's EdgeMask task: classify masked edges against non-edges."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...methods.base import GraphInput
from .._random import randperm
from ..edges import remove_pairs, sample_non_edges, undirected_pairs
from ..task import GraphCache, PretextTask, register_task
from ._pairs import abs_diff

__all__ = ["EdgeMask"]


@register_task("edge_mask")
class EdgeMask(PretextTask):
    """Remove a random share of the edges (both directions) from the encoder's input and
    classify those pairs against as many sampled non-edges from ``|h_u - h_v|`` with a
    linear two-class head (cross-entropy). The mask is redrawn every step.

    Args:
        in_dim: input feature width (unused).
        emb_dim: encoder output width.
        mask_rate: share of undirected edges masked, in (0, 1) (SelfTask-GNN: 0.1).

    Raises:
        ValueError: ``mask_rate`` outside (0, 1), or a graph without edges.
    """

    def __init__(self, in_dim: int, emb_dim: int, mask_rate: float = 0.1) -> None:
        super().__init__()
        if not 0.0 < mask_rate < 1.0:
            raise ValueError(f"mask_rate must lie in (0, 1), got {mask_rate}")
        self.mask_rate = mask_rate
        self.head = nn.Linear(emb_dim, 2)
        self._pairs = GraphCache()

    def loss(self, encoder: nn.Module, data: GraphInput, generator: Optional[torch.Generator] = None) -> Tensor:
        graph = data.graph
        pairs = self._pairs.get(graph, lambda: undirected_pairs(graph))
        m = pairs.size(1)
        if m == 0:
            raise ValueError("EdgeMask needs a graph with edges")
        num = max(1, int(self.mask_rate * m))
        pos = pairs[:, randperm(m, generator, pairs.device)[:num]]
        neg = sample_non_edges(graph, num, generator)
        h = encoder(remove_pairs(graph, pos), data.x)
        logits = self.head(abs_diff(h, torch.cat([pos, neg], 1)))
        target = torch.cat([torch.ones(num, dtype=torch.long), torch.zeros(neg.size(1), dtype=torch.long)])
        return F.cross_entropy(logits, target.to(logits.device))
