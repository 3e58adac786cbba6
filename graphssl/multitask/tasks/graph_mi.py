"""Graph-level mutual information (DGI-style; ParetoGNN's ``p_ming``)."""
from __future__ import annotations

import math
from typing import Optional

import torch
from torch import Tensor, nn

from ...augment import shuffle_nodes
from ...losses import jsd_loss_from_scores
from ...methods.base import GraphInput
from ..task import PretextTask, register_task

__all__ = ["GraphMutualInformation"]


@register_task("graph_mi")
class GraphMutualInformation(PretextTask):
    """Maximise the mutual information between node embeddings and a graph summary.

    Positive pairs: each node's embedding with the summary ``sigmoid(mean_i h_i)``;
    negative pairs: embeddings of the graph with shuffled node features (DGI's corruption)
    with the same summary. A bilinear discriminator ``h^T W s`` scores them and the loss is
    the binary cross-entropy ``mean softplus(-T_pos) + mean softplus(T_neg)`` (the JSD
    estimator; ParetoGNN sums the two BCE terms the same way).

    Args:
        in_dim: input feature width (unused; part of the task constructor signature).
        emb_dim: encoder output width.
    """

    def __init__(self, in_dim: int, emb_dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(emb_dim, emb_dim))
        bound = 1.0 / math.sqrt(emb_dim)
        nn.init.uniform_(self.weight, -bound, bound)

    def loss(self, encoder: nn.Module, data: GraphInput, generator: Optional[torch.Generator] = None) -> Tensor:
        graph, x = data.graph, data.x
        x_neg, _ = shuffle_nodes(x, generator=generator)
        pos = encoder(graph, x)
        neg = encoder(graph, x_neg)
        summary = torch.sigmoid(pos.mean(0))
        ws = self.weight @ summary  # h^T W s for every node in one [N, D] @ [D] product
        return jsd_loss_from_scores(pos @ ws, neg @ ws)
