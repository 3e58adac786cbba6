"""Context prediction (Hu et al., ICLR 2020): does this K-hop neighbourhood belong with this
context ring?

For a random centre atom of each molecule, the *substructure* is the atoms within ``k`` hops
and the *context* the atoms at distance ``r1 < d <= r2``; the context anchors are the atoms
in both (``r1 < d <= k``). The main encoder embeds the substructure (the centre atom's
embedding represents it), a separate, shallower context encoder embeds the context graph
(the mean over the anchors represents it), and a binary classifier on their dot product
tells a molecule's own context from another molecule's.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...methods.base import GraphInput
from ...multitask.task import PretextTask, register_task
from ...nn.pool import global_pool
from ...sparse.batch import GraphBatch
from ..gin import MoleculeGIN
from .common import check_molecules, encode, hop_distances, induced_batch, sample_per_group

__all__ = ["ContextPair", "context_pairs", "ContextPrediction"]


@dataclass
class ContextPair:
    """Substructures and context rings of the molecules that have a context.

    Attributes:
        substruct: the ``k``-hop substructures (graph ``i`` from molecule ``graphs[i]``).
        center: ``[B']`` the centre atoms' rows in ``substruct``.
        context: the context graphs (atoms at ``r1 < d <= r2``), same graph order.
        anchor: ``[A]`` rows of the anchor atoms in ``context``.
        anchor_graph: ``[A]`` graph of every anchor (``0..B'-1``).
        graphs: ``[B']`` the molecules kept (those with at least one anchor atom).
        distance: ``[N]`` hop distance of every atom of the input batch to its centre
            (``-1`` beyond ``r2``).
    """

    substruct: GraphBatch
    center: Tensor
    context: GraphBatch
    anchor: Tensor
    anchor_graph: Tensor
    graphs: Tensor
    distance: Tensor


def context_pairs(batch: GraphBatch, k: int, r1: int, r2: int, generator: Optional[torch.Generator]) -> ContextPair:
    """Pick one centre atom per molecule and cut its substructure and context ring.

    Raises:
        ValueError: not ``0 <= r1 < k`` and ``r1 < r2``, or not a molecule batch.
    """
    if not (0 <= r1 < k and r1 < r2):
        raise ValueError(f"context prediction needs 0 <= r1 < k and r1 < r2, got k={k}, r1={r1}, r2={r2}")
    check_molecules(batch, "context prediction")
    dev = batch.x.device
    sizes = batch.num_nodes_per_graph()
    centers = sample_per_group(batch.batch, torch.ones_like(sizes), generator)
    dist = hop_distances(batch.graph, centers, max(k, r2))
    in_ctx = (dist > r1) & (dist <= r2)
    is_anchor = in_ctx & (dist <= k)
    has = torch.bincount(batch.batch[is_anchor], minlength=batch.num_graphs) > 0
    keep_graph = has[batch.batch]
    graphs = has.nonzero().view(-1)
    new_id = torch.cumsum(has.long(), 0) - 1
    sub, sub_nodes = induced_batch(batch, keep_graph & (dist >= 0) & (dist <= k))
    ctx, ctx_nodes = induced_batch(batch, keep_graph & in_ctx)
    # Re-number graphs 0..B'-1 (molecules without context drop out).
    for b, nodes in ((sub, sub_nodes), (ctx, ctx_nodes)):
        b.batch = new_id[batch.batch[nodes]]
        b.ptr = torch.cat([b.ptr[:1], b.ptr[1:][has]])
        b.edge_ptr = torch.cat([b.edge_ptr[:1], b.edge_ptr[1:][has]])
        b.num_graphs = int(graphs.numel())
    center_row = torch.full((batch.num_nodes,), -1, dtype=torch.long, device=dev)
    center_row[sub_nodes] = torch.arange(sub_nodes.numel(), device=dev)
    anchor = is_anchor[ctx_nodes].nonzero().view(-1)
    return ContextPair(sub, center_row[centers[has[batch.batch[centers]]]], ctx, anchor, ctx.batch[anchor],
                       graphs, dist)


@register_task("mol_context_prediction")
class ContextPrediction(PretextTask):
    """Hu et al.'s context prediction (CBOW variant, one negative per molecule).

    Args:
        in_dim: atom feature columns (unused; registry signature).
        emb_dim: encoder output width (also the context encoder's).
        k: substructure radius (Hu et al.: the number of encoder layers, 5).
        r1, r2: the context ring ``r1 < d <= r2`` (Hu et al.: ``k - 1`` and ``k - 1 + 3``).
        context_encoder: the context GNN; default a :class:`MoleculeGIN` with ``r2 - r1``
            layers and no dropout.
        neg_samples: negatives per molecule (contexts of the next molecules, cyclically).

    Raises:
        ValueError: bad radii or ``neg_samples < 1``.
    """

    def __init__(self, in_dim: int = 9, emb_dim: int = 300, k: int = 5, r1: int = 4, r2: int = 7,
                 context_encoder: Optional[nn.Module] = None, neg_samples: int = 1) -> None:
        super().__init__()
        if not (0 <= r1 < k and r1 < r2):
            raise ValueError(f"context prediction needs 0 <= r1 < k and r1 < r2, got k={k}, r1={r1}, r2={r2}")
        if neg_samples < 1:
            raise ValueError(f"neg_samples must be >= 1, got {neg_samples}")
        self.k, self.r1, self.r2, self.neg_samples = int(k), int(r1), int(r2), int(neg_samples)
        self.context_encoder = (context_encoder if context_encoder is not None
                                else MoleculeGIN(num_layers=r2 - r1, hidden=emb_dim, dropout=0.0))
        self.last_accuracy: float = float("nan")

    def loss(self, encoder: nn.Module, data: GraphInput, generator: Optional[torch.Generator] = None) -> Tensor:
        batch = check_molecules(data, "context prediction")
        pair = context_pairs(batch, self.k, self.r1, self.r2, generator)
        b = pair.graphs.numel()
        if b < 2:  # no negative to contrast with: a zero that keeps the graph connected
            return sum(p.sum() for p in encoder.parameters()) * 0.0
        sub_rep = encode(encoder, pair.substruct)[pair.center]
        ctx_h = encode(self.context_encoder, pair.context)
        counts = torch.bincount(pair.anchor_graph, minlength=b)
        ptr = torch.zeros(b + 1, dtype=torch.long, device=ctx_h.device)
        torch.cumsum(counts, 0, out=ptr[1:])
        ctx_rep = global_pool(ctx_h[pair.anchor], ptr, "mean")
        pos = (sub_rep * ctx_rep).sum(1)
        negs = [(sub_rep * ctx_rep.roll(1 + i % (b - 1), 0)).sum(1) for i in range(self.neg_samples)]
        neg = torch.cat(negs)
        loss = (F.binary_cross_entropy_with_logits(pos, torch.ones_like(pos))
                + F.binary_cross_entropy_with_logits(neg, torch.zeros_like(neg)))
        self.last_accuracy = float(torch.cat([pos > 0, neg < 0]).float().mean())
        return loss
