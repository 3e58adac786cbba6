"""Link prediction with sampled negatives (ParetoGNN's ``p_link``)."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...augment import dropout_features
from ...methods.base import GraphInput
from .._random import randperm
from ..edges import remove_pairs, sample_non_edges, undirected_pairs
from ..task import GraphCache, PretextTask, register_task

__all__ = ["LinkPrediction"]


@register_task("link_prediction")
class LinkPrediction(PretextTask):
    """Predict held-out edges against random non-edges.

    Each step draws a share of the undirected edges as positives and removes them, in
    both directions, from the graph the encoder sees (ParetoGNN's edge sampler excludes
    its seed edges the same way), so the encoder cannot read the answer off its input.
    Negatives are uniform node pairs that are not edges. Embeddings are l2-normalised,
    passed through ``Linear -> ReLU`` and a pair's score is ``Linear(h_u * h_v)``; the loss
    is the binary cross-entropy over positives and negatives.

    Args:
        in_dim: input feature width (unused).
        emb_dim: encoder output width.
        pos_rate: share of undirected edges used as positives per step, in (0, 1).
        max_pos: cap on the positives per step (None: no cap).
        neg_ratio: negatives per positive (ParetoGNN: 1).
        feat_drop: dropout on the input features for this task (ParetoGNN: 0.4).
        pred_dim: hidden width of the pair scorer (ParetoGNN: 512).

    Raises:
        ValueError: a rate outside its range, ``neg_ratio < 1``, or a graph without edges.
    """

    def __init__(self, in_dim: int, emb_dim: int, pos_rate: float = 0.1, max_pos: Optional[int] = 10240,
                 neg_ratio: int = 1, feat_drop: float = 0.4, pred_dim: int = 512) -> None:
        super().__init__()
        if not 0.0 < pos_rate < 1.0:
            raise ValueError(f"pos_rate must lie in (0, 1), got {pos_rate}")
        if neg_ratio < 1:
            raise ValueError(f"neg_ratio must be >= 1, got {neg_ratio}")
        if not 0.0 <= feat_drop < 1.0:
            raise ValueError(f"feat_drop must lie in [0, 1), got {feat_drop}")
        self.pos_rate, self.max_pos, self.neg_ratio, self.feat_drop = pos_rate, max_pos, neg_ratio, feat_drop
        self.hidden = nn.Linear(emb_dim, pred_dim)
        self.score = nn.Linear(pred_dim, 1)
        self._pairs = GraphCache()

    def pair_logits(self, h: Tensor, pairs: Tensor) -> Tensor:
        """``[P]`` logits of the node pairs ``pairs [2, P]`` from embeddings ``h [N, D]``."""
        z = F.relu(self.hidden(F.normalize(h, dim=1)))
        return self.score(z[pairs[0]] * z[pairs[1]]).view(-1)

    def loss(self, encoder: nn.Module, data: GraphInput, generator: Optional[torch.Generator] = None) -> Tensor:
        graph, x = data.graph, data.x
        pairs = self._pairs.get(graph, lambda: undirected_pairs(graph))
        m = pairs.size(1)
        if m == 0:
            raise ValueError("link prediction needs a graph with edges")
        num_pos = max(1, int(self.pos_rate * m))
        if self.max_pos is not None:
            num_pos = min(num_pos, self.max_pos)
        pos = pairs[:, randperm(m, generator, pairs.device)[:num_pos]]
        neg = sample_non_edges(graph, num_pos * self.neg_ratio, generator)
        x_in = dropout_features(x, self.feat_drop, generator=generator)[0] if self.feat_drop > 0 else x
        h = encoder(remove_pairs(graph, pos), x_in)
        logits = self.pair_logits(h, torch.cat([pos, neg], 1))
        target = torch.cat([logits.new_ones(pos.size(1)), logits.new_zeros(neg.size(1))])
        return F.binary_cross_entropy_with_logits(logits, target)
