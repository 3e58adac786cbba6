"""SelfTask-GNN's PairwiseAttrSim task: regress the feature similarity of node pairs."""
from __future__ import annotations

from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...methods.base import GraphInput
from .._random import randperm, seeded_generator
from ..task import GraphCache, PretextTask, register_task
from ._pairs import abs_diff

__all__ = ["PairwiseAttrSim"]


@register_task("pairwise_attr_sim")
class PairwiseAttrSim(PretextTask):
    """For ``num_anchors`` seeded random anchors, take the ``k`` most and ``k`` least
    feature-similar other nodes (cosine similarity of the input features) and regress each
    pair's similarity from ``|h_u - h_v|`` with a linear head (mean squared error), so the
    embedding keeps what the raw attributes say about node pairs.

    Args:
        in_dim: input feature width (unused).
        emb_dim: encoder output width.
        num_anchors: anchors (the pairs are computed once per graph and feature matrix).
        k: most- and least-similar partners per anchor.
        seed: seeds the anchors.

    Raises:
        ValueError: non-positive sizes; at the first step, fewer than ``k + 1`` nodes.
    """

    def __init__(self, in_dim: int, emb_dim: int, num_anchors: int = 256, k: int = 5, seed: int = 0) -> None:
        super().__init__()
        if num_anchors < 1 or k < 1:
            raise ValueError(f"num_anchors and k must be >= 1, got {num_anchors}, {k}")
        self.num_anchors, self.k, self.seed = num_anchors, k, seed
        self.head = nn.Linear(emb_dim, 1)
        self._pairs = GraphCache()

    @torch.no_grad()
    def _build(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        n = x.size(0)
        if n < self.k + 1:
            raise ValueError(f"PairwiseAttrSim with k={self.k} needs more than {self.k} nodes, got {n}")
        anchors = randperm(n, seeded_generator(self.seed), x.device)[: min(self.num_anchors, n)]
        xn = F.normalize(x.to(torch.float32), dim=1)
        sim = xn[anchors] @ xn.t()
        rows = torch.arange(anchors.numel(), device=x.device)
        top = sim.index_put((rows, anchors), torch.tensor(-2.0, device=x.device)).topk(self.k, 1)
        bottom = sim.index_put((rows, anchors), torch.tensor(2.0, device=x.device)).topk(self.k, 1, largest=False)
        partners = torch.cat([top.indices, bottom.indices], 1)
        pairs = torch.stack([anchors.unsqueeze(1).expand_as(partners).reshape(-1), partners.reshape(-1)])
        return pairs, torch.cat([top.values, bottom.values], 1).reshape(-1)

    def loss(self, encoder: nn.Module, data: GraphInput, generator: Optional[torch.Generator] = None) -> Tensor:
        x = data.x
        pairs, target = self._pairs.get(data.graph, lambda: self._build(x), key=(x.data_ptr(), tuple(x.shape)))
        h = encoder(data.graph, x)
        pred = self.head(abs_diff(h, pairs)).view(-1)
        return F.mse_loss(pred, target.to(pred.dtype))
