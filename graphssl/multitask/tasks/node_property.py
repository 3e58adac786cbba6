"""SelfTask-GNN's NodeProperty task: regress a structural property (the degree) from the
node embedding."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...methods.base import GraphInput
from ..task import GraphCache, PretextTask, register_task

__all__ = ["NodeProperty"]


@register_task("node_property")
class NodeProperty(PretextTask):
    """Predict each node's ``log(1 + degree)``, standardised over the graph, with a linear
    head and the mean squared error (the log keeps hubs from dominating the loss).

    Args:
        in_dim: input feature width (unused).
        emb_dim: encoder output width.
    """

    def __init__(self, in_dim: int, emb_dim: int) -> None:
        super().__init__()
        self.head = nn.Linear(emb_dim, 1)
        self._target = GraphCache()

    @staticmethod
    def degree_target(graph) -> Tensor:
        """``[N]`` standardised ``log(1 + in-degree)``."""
        d = torch.log1p(graph.in_degree().to(torch.float32))
        return (d - d.mean()) / d.std().clamp_min(1e-6) if d.numel() > 1 else d - d.mean()

    def loss(self, encoder: nn.Module, data: GraphInput, generator: Optional[torch.Generator] = None) -> Tensor:
        target = self._target.get(data.graph, lambda: self.degree_target(data.graph))
        pred = self.head(encoder(data.graph, data.x)).view(-1)
        return F.mse_loss(pred, target.to(pred.dtype))
