"""Triplet margin loss over all (anchor, positive, negative) triplets, in chunks.

For each positive pair ``(i, p)`` and each sample ``n`` that is not a positive of ``i``:
``max(0, d(a_i, b_p) - d(a_i, b_n) + margin)``; the loss is the mean over all such
triplets. The ``[chunk, N_s]`` distance blocks are recomputed in backward
(``torch.utils.checkpoint``), so memory stays ``O(N_s x chunk)``.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.checkpoint import checkpoint

from ..checks import check_positive
from .checks import check_chunk_size, check_embeddings
from .chunked import default_chunk_size
from .pairs import PairIndex, PositiveSpec, positive_pairs
from .registry import register_loss

__all__ = ["triplet_loss", "DISTANCES"]

DISTANCES = ("euclidean", "cosine")
# Distances are clamped here before the square root so that coinciding points give a
# zero gradient instead of NaN.
_MIN_SQUARED = 1e-12


def _distances(q: Tensor, b: Tensor, distance: str) -> Tensor:
    """``[len(q), len(b)]`` pairwise distances."""
    if distance == "cosine":
        return 1 - F.normalize(q, dim=1) @ F.normalize(b, dim=1).t()
    sq = (q * q).sum(1, keepdim=True) + (b * b).sum(1)[None, :] - 2 * (q @ b.t())
    return sq.clamp_min(_MIN_SQUARED).sqrt()


def _triplet_block(anchor: Tensor, sample: Tensor, rows: Tensor, pos_cols: Tensor,
                   ex_rows: Tensor, ex_cols: Tensor, margin: float, distance: str) -> Tensor:
    """Sum of hinge terms for a block of positive pairs (``rows[k]``, ``pos_cols[k]``)."""
    d = _distances(anchor.index_select(0, rows), sample, distance)
    d_pos = d.gather(1, pos_cols[:, None])
    hinge = (d_pos - d + margin).clamp_min(0)
    keep = torch.ones_like(hinge)
    keep[ex_rows, ex_cols] = 0  # a positive of the anchor is never its negative
    return (hinge * keep).sum()


@register_loss("triplet")
def triplet_loss(
    anchor: Tensor,
    sample: Tensor,
    pos: PositiveSpec = None,
    margin: float = 1.0,
    distance: str = "euclidean",
    chunk_size: Optional[int] = None,
) -> Tensor:
    """Mean triplet margin loss; negatives are all samples that are not positives of the anchor.

    Args:
        anchor: ``[N_a, D]``; sample: ``[N_s, D]``.
        pos: ``None`` (index-aligned), ``[2, P]`` pairs or a ``Graph``.
        margin: ``>= 0``.
        distance: ``"euclidean"`` or ``"cosine"`` (``1 - cos``).
        chunk_size: positive pairs per distance block.

    Returns:
        ``mean over (i, p, n) of max(0, d(i, p) - d(i, n) + margin)``.

    Raises:
        ValueError: bad shapes or dtypes, bad ``pos``, negative margin, unknown distance,
            or no negative sample for any anchor.
    """
    check_embeddings(anchor, sample)
    check_chunk_size(chunk_size)
    margin = check_positive("margin", margin, allow_zero=True)
    if distance not in DISTANCES:
        raise ValueError(f"unknown distance {distance!r}; known: {', '.join(DISTANCES)}")
    n_a, n_s = anchor.size(0), sample.size(0)
    pairs: PairIndex = positive_pairs(pos, n_a, n_s, device=anchor.device)
    counts = pairs.counts()
    per_pair_negs = n_s - counts.index_select(0, pairs.anchor)
    num_triplets = int(per_pair_negs.sum())
    if num_triplets == 0:
        raise ValueError("no anchor has a negative sample: the triplet loss is undefined")
    chunk = chunk_size or default_chunk_size(n_s)
    need_grad = torch.is_grad_enabled() and (anchor.requires_grad or sample.requires_grad)
    total = anchor.new_zeros(())
    for start in range(0, pairs.num_pairs, chunk):
        rows = pairs.anchor[start:start + chunk]
        cols = pairs.sample[start:start + chunk]
        # Every positive of each block row's anchor, as (block row, sample) entries.
        deg = counts.index_select(0, rows)
        ex_rows = torch.repeat_interleave(torch.arange(rows.numel(), device=rows.device), deg)
        first = torch.repeat_interleave(pairs.rowptr.index_select(0, rows) - (torch.cumsum(deg, 0) - deg), deg)
        ex_cols = pairs.sample.index_select(0, first + torch.arange(ex_rows.numel(), device=rows.device))
        args = (anchor, sample, rows, cols, ex_rows, ex_cols, margin, distance)
        part = checkpoint(_triplet_block, *args, use_reentrant=False) if need_grad else _triplet_block(*args)
        total = total + part
    return total / num_triplets
