"""Deep Graph Infomax (Velickovic et al., ICLR 2019).

A GCN encodes the graph; the summary is ``sigmoid(mean of node embeddings)``; a bilinear
discriminator scores (node, summary) pairs, real nodes as positives and the nodes of a
corrupted graph (features row-shuffled, structure kept) as negatives; the loss is the
binary cross-entropy of those scores (the JSD mutual-information estimator).
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn

from ..augment import NodeShuffle
from ..losses import jsd_loss_from_scores
from ..nn import build_encoder, global_pool
from ..sparse.batch import GraphBatch
from ..checks import check_fraction
from .augmented_views import make_generator, resolve_activation
from .base import GraphInput, SSLMethod, register_method

__all__ = ["DGI", "BilinearDiscriminator", "sigmoid_mean_summary"]


def sigmoid_mean_summary(h: Tensor, ptr: Optional[Tensor] = None) -> Tensor:
    """DGI's readout: ``sigmoid(mean(h))``, ``[1, D]`` for one graph or ``[B, D]`` per graph
    of a batch with node offsets ``ptr``."""
    s = h.mean(0, keepdim=True) if ptr is None else global_pool(h, ptr, "mean")
    return torch.sigmoid(s)


class BilinearDiscriminator(nn.Module):
    """``score(h_i, s) = h_i^T W s + b`` (DGI's and MVGRL's critic), Xavier-initialised like
    ``nn.Bilinear(dim, dim, 1)`` but computed as ``h @ (W s)``: ``O(N D)`` after one
    ``D x D`` product, where ``nn.Bilinear``'s backward is far slower on CPU.

    Args:
        dim: width of the node embeddings and of the summary.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(1, dim, dim))
        self.bias = nn.Parameter(torch.empty(1))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.weight)
        nn.init.zeros_(self.bias)

    def forward(self, h: Tensor, summary: Tensor, index: Optional[Tensor] = None) -> Tensor:
        """``[N]`` scores of nodes ``h [N, D]`` against ``summary`` (``[1, D]``, or ``[B, D]``
        with ``index [N]`` naming each node's row of it)."""
        ws = summary @ self.weight[0].t()  # [B, D]: W s for every summary
        if index is None:
            if ws.size(0) != 1:
                raise ValueError(f"a summary of {ws.size(0)} rows needs an index naming each node's row")
            return h @ ws[0] + self.bias
        return (h * ws.index_select(0, index)).sum(1) + self.bias


@register_method("dgi")
class DGI(SSLMethod):
    """Deep Graph Infomax.

    Args:
        in_dim: input feature width.
        hidden_dim: embedding width (512 in the paper; 256 on PubMed for memory).
        num_layers: encoder depth (the paper: one GCN layer).
        encoder: layer name for :func:`graphssl.nn.build_encoder` (``"gcn"``).
        activation: encoder activation (``"prelu"``).
        dropout: feature dropout on every layer's input (the paper: 0).
        seed: seeds the method's generator for the corruption (else the global RNG).

    On a :class:`~graphssl.sparse.GraphBatch` every graph has its own summary and nodes are
    shuffled within their graph.

    Raises:
        ValueError: bad widths, an unknown layer or activation name, dropout outside [0, 1).
    """

    levels = ("node",)

    def __init__(self, in_dim: int, hidden_dim: int = 512, num_layers: int = 1, encoder: str = "gcn",
                 activation: str = "prelu", dropout: float = 0.0, seed: Optional[int] = None) -> None:
        super().__init__()
        check_fraction("dropout", dropout)
        self.encoder = build_encoder(encoder, in_dim=in_dim, hidden_dim=hidden_dim, out_dim=hidden_dim,
                                     num_layers=num_layers, activation=resolve_activation(activation),
                                     dropout=dropout, encoding=True)
        self.discriminator = BilinearDiscriminator(hidden_dim)
        self.corruption = NodeShuffle()
        self.generator = make_generator(seed)

    def loss(self, data: GraphInput) -> Tensor:
        graph, x = data.graph, data.x
        if isinstance(data, GraphBatch):
            x_neg = self.corruption.augment_batch(data, self.generator).x
            ptr, index = data.ptr, data.batch
        else:
            x_neg = self.corruption.augment(graph, x, self.generator)[1]
            ptr = index = None
        h_pos = self.encoder(graph, x)
        h_neg = self.encoder(graph, x_neg)
        summary = sigmoid_mean_summary(h_pos, ptr)
        pos = self.discriminator(h_pos, summary, index)
        neg = self.discriminator(h_neg, summary, index)
        # Half the JSD loss is the mean binary cross-entropy over the 2N scores (DGI's value).
        return 0.5 * jsd_loss_from_scores(pos, neg)
