"""SelfTask-GNN's PairwiseDistance task: classify the hop distance of node pairs."""
from __future__ import annotations

from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...methods.base import GraphInput
from .._random import randint, randperm, seeded_generator
from ..shortest_paths import hop_distances
from ..task import GraphCache, PretextTask, register_task
from ._pairs import abs_diff

__all__ = ["PairwiseDistance", "distance_buckets"]


def distance_buckets(dist: Tensor, num_classes: int) -> Tensor:
    """Class of each hop distance: ``d = 1, 2, ..., num_classes - 1`` -> ``d - 1``;
    ``d >= num_classes`` or unreachable -> ``num_classes - 1``; ``d = 0`` (the node
    itself) -> ``-1`` (not a pair)."""
    far = torch.isinf(dist) | (dist >= num_classes)
    out = dist.clamp(max=num_classes).long() - 1
    out[far] = num_classes - 1
    return out


@register_task("pairwise_distance")
class PairwiseDistance(PretextTask):
    """Predict the shortest-path distance class (1, 2, 3, 4 or more hops by default) of
    node pairs from ``|h_u - h_v|`` with a linear head (cross-entropy).

    Distances are computed once per graph by breadth-first search from ``num_anchors``
    seeded random anchors (scipy's C code); each step samples ``pairs_per_class``
    (anchor, node) pairs from every class, so classes are balanced as in SelfTask-GNN.

    Args:
        in_dim: input feature width (unused).
        emb_dim: encoder output width.
        num_classes: distance classes (SelfTask-GNN: 4), >= 2.
        num_anchors: BFS sources (more: more distinct pairs, more precomputation).
        pairs_per_class: pairs drawn per class per step.
        seed: seeds the anchors (independent of the training generator, so a resumed run
            sees the same anchors).

    Raises:
        ValueError: non-positive sizes, ``num_classes < 2``.
    """

    def __init__(self, in_dim: int, emb_dim: int, num_classes: int = 4, num_anchors: int = 64,
                 pairs_per_class: int = 256, seed: int = 0) -> None:
        super().__init__()
        if num_classes < 2:
            raise ValueError(f"num_classes must be >= 2, got {num_classes}")
        if num_anchors < 1 or pairs_per_class < 1:
            raise ValueError(f"num_anchors and pairs_per_class must be >= 1, got {num_anchors}, {pairs_per_class}")
        self.num_classes, self.num_anchors, self.pairs_per_class, self.seed = (
            num_classes, num_anchors, pairs_per_class, seed)
        self.head = nn.Linear(emb_dim, num_classes)
        self._table = GraphCache()

    def _build(self, graph) -> Tuple[Tensor, List[Tensor]]:
        n = graph.num_nodes
        anchors = randperm(n, seeded_generator(self.seed), graph.device)[: min(self.num_anchors, n)]
        buckets = distance_buckets(hop_distances(graph, anchors), self.num_classes).view(-1)
        per_class = [(buckets == c).nonzero().view(-1) for c in range(self.num_classes)]
        return anchors, per_class

    def loss(self, encoder: nn.Module, data: GraphInput, generator: Optional[torch.Generator] = None) -> Tensor:
        graph = data.graph
        anchors, per_class = self._table.get(graph, lambda: self._build(graph))
        n = graph.num_nodes
        firsts, seconds, labels = [], [], []
        for c, flat in enumerate(per_class):
            if flat.numel() == 0:
                continue
            pick = flat[randint(flat.numel(), self.pairs_per_class, generator, flat.device)]
            firsts.append(anchors[pick // n])
            seconds.append(pick % n)
            labels.append(torch.full((pick.numel(),), c, dtype=torch.long, device=pick.device))
        if not labels:
            raise ValueError("PairwiseDistance found no node pair at distance >= 1 (a graph of one node?)")
        h = encoder(graph, data.x)
        pairs = torch.stack([torch.cat(firsts), torch.cat(seconds)])
        return F.cross_entropy(self.head(abs_diff(h, pairs)), torch.cat(labels))
