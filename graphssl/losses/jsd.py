"""Jensen-Shannon mutual-information estimator (DGI, InfoGraph, MVGRL).

With critic scores ``T`` of positive pairs (drawn from the joint) and negative pairs
(from the product of marginals), the estimate to *maximise* is

    I_JSD = E_pos[-softplus(-T)] - E_neg[softplus(T)]

so the loss to minimise is its negative, ``E_pos[softplus(-T)] + E_neg[softplus(T)]``.
"""
from __future__ import annotations

from typing import Optional

import torch.nn.functional as F
from torch import Tensor

from .checks import check_chunk_size, check_embeddings
from .chunked import _reduce
from .pairs import PositiveSpec, positive_pairs
from .registry import register_loss

__all__ = ["jsd_mutual_information", "jsd_loss_from_scores", "jsd_loss"]


def _check_scores(pos_scores: Tensor, neg_scores: Tensor) -> None:
    for name, t in (("pos_scores", pos_scores), ("neg_scores", neg_scores)):
        if not isinstance(t, Tensor) or not t.is_floating_point():
            raise ValueError(f"{name} must be a floating-point tensor, got "
                             f"{t.dtype if isinstance(t, Tensor) else type(t).__name__}")
        if t.numel() == 0:
            raise ValueError(f"{name} is empty")


def jsd_mutual_information(pos_scores: Tensor, neg_scores: Tensor) -> Tensor:
    """The JSD estimate ``E_pos[-softplus(-T)] - E_neg[softplus(T)]`` (higher is better).

    Args:
        pos_scores: critic scores of positive pairs, any shape (averaged).
        neg_scores: critic scores of negative pairs, any shape (averaged).

    Raises:
        ValueError: an empty or non-float tensor.
    """
    _check_scores(pos_scores, neg_scores)
    return -F.softplus(-pos_scores).mean() - F.softplus(neg_scores).mean()


def jsd_loss_from_scores(pos_scores: Tensor, neg_scores: Tensor) -> Tensor:
    """``-jsd_mutual_information(pos_scores, neg_scores)``: the loss for methods with their
    own critic (DGI's bilinear discriminator), ``E_pos[softplus(-T)] + E_neg[softplus(T)]``.

    Raises:
        ValueError: an empty or non-float tensor.
    """
    _check_scores(pos_scores, neg_scores)
    return F.softplus(-pos_scores).mean() + F.softplus(neg_scores).mean()


@register_loss("jsd")
def jsd_loss(
    anchor: Tensor,
    sample: Tensor,
    pos: PositiveSpec = None,
    chunk_size: Optional[int] = None,
) -> Tensor:
    """JSD loss with the dot-product critic ``T_ij = anchor_i . sample_j``; positives as
    given, negatives all other ``N_a * N_s - P`` pairs (as InfoGraph's node-graph pairs:
    ``anchor`` = node embeddings, ``sample`` = graph embeddings, ``pos`` = ``[2, N]``
    membership pairs). The negative term is summed in chunks, never as an ``N_a x N_s`` matrix.

    Args:
        anchor: ``[N_a, D]``; sample: ``[N_s, D]``.
        pos: ``None`` (index-aligned), ``[2, P]`` pairs or a ``Graph``.
        chunk_size: rows per score block.

    Returns:
        ``E_pos[softplus(-T)] + E_neg[softplus(T)]``, a scalar to minimise.

    Raises:
        ValueError: bad shapes or dtypes, bad ``pos``, or no negative pair left.
    """
    check_embeddings(anchor, sample)
    check_chunk_size(chunk_size)
    n_a, n_s = anchor.size(0), sample.size(0)
    pairs = positive_pairs(pos, n_a, n_s, device=anchor.device)
    num_neg = n_a * n_s - pairs.num_pairs
    if num_neg == 0:
        raise ValueError("every pair is a positive: the JSD loss needs at least one negative pair")
    t_pos = (anchor.index_select(0, pairs.anchor) * sample.index_select(0, pairs.sample)).sum(1)
    neg_sum = _reduce(anchor, sample, 1.0, "softplus", pairs, False, True, False, chunk_size)[0].sum()
    return F.softplus(-t_pos).mean() + neg_sum / num_neg
