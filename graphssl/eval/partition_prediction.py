"""Partition prediction (ParetoGNN's fourth task): how well a linear probe recovers
METIS partition labels from the embeddings, a label-free signal of how much graph
structure they keep."""
from __future__ import annotations

from typing import Any, Dict, Optional

from torch import Tensor

from ..sampling.partition import partition_graph
from ..sparse import Graph
from .node_classification import node_classification

__all__ = ["partition_prediction"]


def partition_prediction(embeddings: Tensor, graph: Graph, num_parts: int = 10, method: str = "auto",
                         partition_seed: int = 0, labels: Optional[Tensor] = None,
                         **node_classification_kw: Any) -> Dict[str, float]:
    """Node classification of the graph's partition labels.

    Args:
        embeddings: ``[N, D]`` node embeddings.
        graph: the graph to partition (edges taken as undirected).
        num_parts: number of parts (ParetoGNN: 10).
        method: ``"auto"`` (METIS via pymetis when installed, else a pure-python
            partitioner), ``"metis"`` or ``"spectral"``.
        partition_seed: seeds the partitioner.
        labels: precomputed ``[N]`` partition labels (skips the partitioning).
        **node_classification_kw: options of :func:`node_classification` (``num_splits``,
            ``seed``, probe settings).

    Returns:
        ``{"acc", "std", "val_acc"}``.

    Raises:
        ValueError: shapes disagree, or bad partition settings.
    """
    if labels is None:
        labels = partition_graph(graph, num_parts, method, partition_seed)
    return node_classification(embeddings, labels.to(embeddings.device), **node_classification_kw)
