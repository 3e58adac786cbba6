"""InfoNCE and NT-Xent (GRACE, GCA, GraphCL, SimCLR): contrast each anchor's positives
against every other pair, with similarities computed in chunks (``O(N x chunk)`` memory).

For anchor ``i`` with positives ``P(i)`` among the samples, with ``s_ij = sim(a_i, b_j) / tau``:

    loss_i = log( sum_j exp(s_ij) + [intra] sum_{k != i, k not in P(i)} exp(sim(a_i, a_k) / tau) )
             - mean_{p in P(i)} s_ip

The first sum runs over all samples (the positives are part of the denominator, as in
GRACE and PyGCL); the optional second one adds the other anchors of the same view as
negatives. The loss is the mean over the anchors that have a positive. With
index-aligned positives and both options on, this is GRACE's loss exactly.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from .chunked import _reduce
from ..checks import check_positive
from .checks import check_chunk_size, check_embeddings
from .pairs import PairIndex, PositiveSpec, positive_pairs
from .registry import register_loss

__all__ = ["infonce_loss", "nt_xent_loss"]


def _one_direction(denominator: Tensor, pos_sim: Tensor, owner: Tensor, counts: Tensor) -> Tensor:
    """Mean over anchors with a positive of ``denominator_i - mean_{p in P(i)} s_ip``."""
    pos_mean = torch.zeros_like(denominator).index_add_(0, owner, pos_sim) / counts.clamp_min(1)
    has_pos = counts > 0
    return (denominator - pos_mean)[has_pos].mean()


@register_loss("infonce")
def infonce_loss(
    anchor: Tensor,
    sample: Tensor,
    pos: PositiveSpec = None,
    tau: float = 0.5,
    intra_view_negatives: bool = False,
    symmetric: bool = False,
    normalize: bool = True,
    chunk_size: Optional[int] = None,
) -> Tensor:
    """InfoNCE between ``anchor`` and ``sample`` rows; negatives are all non-positive pairs.

    Args:
        anchor: ``[N_a, D]`` embeddings (any projection head is applied by the caller).
        sample: ``[N_s, D]`` embeddings.
        pos: positives: ``None`` (row ``i`` matches row ``i``), ``[2, P]`` ``(anchor,
            sample)`` index pairs, or a ``Graph`` (edge ``i -> j`` pairs ``anchor[i]`` with
            ``sample[j]``); see :mod:`graphssl.losses.pairs`.
        tau: temperature ``> 0``.
        intra_view_negatives: add ``sim(anchor_i, anchor_k)`` for ``k != i`` (and ``k``
            not a positive of ``i``) to the denominator; needs ``N_a == N_s``.
        symmetric: average with the same loss seen from the sample side (samples as
            anchors, with their own intra-view negatives if enabled), as GRACE does.
        normalize: cosine similarity (``True``) or raw dot product.
        chunk_size: rows per similarity block (default: about 8M entries per block).

    Returns:
        A scalar to minimise.

    Raises:
        ValueError: bad shapes or dtypes, ``tau <= 0``, bad ``pos``, or
            ``intra_view_negatives`` with ``N_a != N_s``.
    """
    check_embeddings(anchor, sample)
    tau = check_positive("tau", tau)
    check_chunk_size(chunk_size)
    n_a, n_s = anchor.size(0), sample.size(0)
    if intra_view_negatives and n_a != n_s:
        raise ValueError(f"intra_view_negatives needs as many anchors as samples, got {n_a} and {n_s}")
    pairs = positive_pairs(pos, n_a, n_s, device=anchor.device)
    u = F.normalize(anchor, dim=1) if normalize else anchor
    v = F.normalize(sample, dim=1) if normalize else sample
    inv_tau = 1.0 / tau
    if pos is None:  # pairs are (i, i) in order: skip two [N, D] gathers
        pos_sim = (u * v).sum(1) * inv_tau
    else:
        pos_sim = (u.index_select(0, pairs.anchor) * v.index_select(0, pairs.sample)).sum(1) * inv_tau

    # One pass over u @ v.T gives both directions' inter-view denominators.
    inter_rows, inter_cols = _reduce(u, v, inv_tau, "logsumexp", None, False, True, symmetric, chunk_size)
    denom = inter_rows
    if intra_view_negatives:
        denom = torch.logaddexp(denom, _reduce(u, u, inv_tau, "logsumexp", pairs, True, True, False,
                                               chunk_size)[0])
    loss = _one_direction(denom, pos_sim, pairs.anchor, pairs.counts())
    if not symmetric:
        return loss
    back: PairIndex = pairs.transpose()
    denom = inter_cols
    if intra_view_negatives:
        denom = torch.logaddexp(denom, _reduce(v, v, inv_tau, "logsumexp", back, True, True, False,
                                               chunk_size)[0])
    loss_back = _one_direction(denom, pos_sim, pairs.sample, back.counts())
    return 0.5 * (loss + loss_back)


@register_loss("nt_xent")
def nt_xent_loss(
    z1: Tensor,
    z2: Tensor,
    pos: PositiveSpec = None,
    tau: float = 0.5,
    chunk_size: Optional[int] = None,
) -> Tensor:
    """NT-Xent as in GRACE and SimCLR: cosine InfoNCE between two views ``[N, D]`` with
    inter- and intra-view negatives, averaged over both directions.

    Same as ``infonce_loss(z1, z2, pos, tau, intra_view_negatives=True, symmetric=True)``.

    Raises:
        ValueError: as :func:`infonce_loss`.
    """
    return infonce_loss(z1, z2, pos, tau=tau, intra_view_negatives=True, symmetric=True,
                        normalize=True, chunk_size=chunk_size)
