"""Node shuffling: `shuffle_nodes` and the `NodeShuffle` augmenter (DGI's corruption)."""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor

from ._sampling import randperm, uniform
from ._validation import check_batch_vector
from .base import Augmenter, register_augmenter
from .view import GraphView

__all__ = ["shuffle_nodes", "NodeShuffle"]


def shuffle_nodes(x: Tensor, *, batch: Optional[Tensor] = None, training: bool = True,
                  generator: Optional[torch.Generator] = None) -> Tuple[Tensor, Tensor]:
    """Permute the rows of ``x`` uniformly at random (within each graph of a batch), so
    each node gets another node's features while the structure stays (DGI).

    Args:
        x: ``[N, ...]`` node features.
        batch: ``[N]`` sorted graph id of every node; rows are then permuted within graphs.
        training: if False, return ``x`` unchanged with the identity permutation.
        generator: source of randomness.

    Returns:
        ``(x[perm], perm)`` with ``perm`` the ``[N]`` permutation used.

    Raises:
        ValueError: ``x`` not a tensor with at least one dimension, a bad batch vector.

    Example:
        >>> x = torch.arange(4.).view(4, 1)
        >>> xs, perm = shuffle_nodes(x, generator=torch.Generator().manual_seed(0))
        >>> torch.equal(xs, x[perm]), sorted(perm.tolist())
        (True, [0, 1, 2, 3])
    """
    if not isinstance(x, Tensor) or x.dim() == 0:
        raise ValueError(f"x must be a [N, ...] tensor, got {getattr(x, 'shape', type(x).__name__)}")
    n = x.size(0)
    check_batch_vector(batch, n)
    if not training:
        return x, torch.arange(n, device=x.device)
    if batch is None:
        perm = randperm(n, generator, x.device)
    else:
        # Sorting by (graph id + uniform) permutes uniformly within each graph.
        key = batch.to(torch.float64) + uniform(n, generator, x.device, torch.float64)
        perm = torch.argsort(key)
    return x.index_select(0, perm), perm


@register_augmenter("node_shuffle")
class NodeShuffle(Augmenter):
    """Give every node another node's features (rows of ``x`` permuted, within each graph
    of a batch); the graph is unchanged. DGI's corruption function.

    Example:
        >>> from graphssl.sparse import Graph
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1], [1, 0]]), 2)
        >>> _, xs = NodeShuffle()(g, torch.tensor([[1.], [2.]]), generator=torch.Generator().manual_seed(3))
        >>> sorted(xs.view(-1).tolist())
        [1.0, 2.0]
    """

    def _apply(self, view: GraphView, generator: Optional[torch.Generator]) -> GraphView:
        if view.x is None:
            raise ValueError("NodeShuffle needs node features x")
        x, _ = shuffle_nodes(view.x, batch=view.batch if not view.graph.is_bipartite else None, generator=generator)
        return view.replace(x=x)
