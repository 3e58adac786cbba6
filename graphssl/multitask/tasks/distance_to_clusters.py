"""SelfTask-GNN's Distance2Clusters task: regress each node's hop distance to the centre
of every graph cluster."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...methods.base import GraphInput
from ...sampling.partition import partition_graph
from ..shortest_paths import hop_distances
from ..task import GraphCache, PretextTask, register_task

__all__ = ["DistanceToClusters", "cluster_centers"]


def cluster_centers(graph, parts: Tensor, num_parts: int) -> Tensor:
    """``[num_parts]`` the highest-degree node of each part (lowest id on ties; -1 for an
    empty part)."""
    deg = graph.in_degree().to(torch.float64)
    n = parts.numel()
    # Sort by part, then by degree descending, then by id: the first node of a part wins.
    key = parts.to(torch.float64) * (deg.max() + 2) * (n + 1) - deg * (n + 1) + torch.arange(n, device=parts.device)
    order = torch.argsort(key)
    first = torch.ones(n, dtype=torch.bool, device=parts.device)
    first[1:] = parts[order][1:] != parts[order][:-1]
    centers = torch.full((num_parts,), -1, dtype=torch.long, device=parts.device)
    centers[parts[order][first]] = order[first]
    return centers


@register_task("distance_to_clusters")
class DistanceToClusters(PretextTask):
    """Partition the graph into ``num_clusters`` parts (METIS, or the pure-python
    fallback), take the highest-degree node of each part as its centre, and regress every
    node's vector of hop distances to the centres with a linear head (mean squared error).
    Unreachable centres count as one hop beyond the largest finite distance.

    Args:
        in_dim: input feature width (unused).
        emb_dim: encoder output width.
        num_clusters: number of parts (SelfTask-GNN: 10 on Cora/CiteSeer, 30 on PubMed).
        partition: partition method for :func:`graphssl.sampling.partition_graph`.
        seed: seeds the partitioner.

    Raises:
        ValueError: ``num_clusters < 1``; at the first step, more clusters than nodes.
    """

    def __init__(self, in_dim: int, emb_dim: int, num_clusters: int = 10, partition: str = "auto",
                 seed: int = 0) -> None:
        super().__init__()
        if num_clusters < 1:
            raise ValueError(f"num_clusters must be >= 1, got {num_clusters}")
        self.num_clusters, self.partition, self.seed = num_clusters, partition, seed
        self.head = nn.Linear(emb_dim, num_clusters)
        self._target = GraphCache()

    def _build(self, graph) -> Tensor:
        parts = partition_graph(graph, self.num_clusters, self.partition, self.seed)
        centers = cluster_centers(graph, parts, self.num_clusters)
        centers = torch.where(centers >= 0, centers, centers.max())  # an empty METIS part reuses a centre
        d = hop_distances(graph, centers).t().contiguous()
        finite = torch.isfinite(d)
        cap = float(d[finite].max()) + 1.0 if bool(finite.any()) else 1.0
        return torch.where(finite, d, torch.full_like(d, cap))

    def loss(self, encoder: nn.Module, data: GraphInput, generator: Optional[torch.Generator] = None) -> Tensor:
        target = self._target.get(data.graph, lambda: self._build(data.graph))
        pred = self.head(encoder(data.graph, data.x))
        return F.mse_loss(pred, target.to(pred.dtype))
