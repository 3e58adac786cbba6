"""InfoNCE as the recommender heads use it: index-aligned positives, in-batch or all-node
candidates, cosine or raw dot-product scores, mean or sum over the anchors."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["info_nce", "REDUCTIONS"]

REDUCTIONS = ("mean", "sum", "none")


def info_nce(anchor: Tensor, positive: Optional[Tensor], temperature: float,
             candidates: Optional[Tensor] = None, pos_index: Optional[Tensor] = None,
             normalize: bool = True, reduction: str = "mean") -> Tensor:
    """``-log softmax`` of each anchor's positive among its candidates.

    ``loss_b = logsumexp_j(s(a_b, c_j) / t) - s(a_b, c_{p_b}) / t`` with ``s`` the cosine
    (``normalize=True``) or dot product.

    Args:
        anchor: ``[B, d]``.
        positive: ``[B, d]`` row-aligned positives. With ``candidates=None`` they are also
            the candidates (in-batch negatives: the other rows), positive ``b`` at index ``b``.
        temperature: ``t > 0``.
        candidates: ``[N, d]`` candidate set (e.g. all users); then ``pos_index`` ``[B]``
            gives each anchor's positive row in it and ``positive`` is ignored (pass None).
        pos_index: see ``candidates``.
        normalize: L2-normalise anchors and candidates first (cosine scores).
        reduction: ``"mean"`` (over anchors), ``"sum"`` or ``"none"`` (``[B]``).

    Returns:
        A scalar (or ``[B]`` for ``"none"``).

    Raises:
        ValueError: bad temperature or reduction, mismatched shapes, ``pos_index`` out of range.

    Memory is ``O(B * N)`` for the score matrix.
    """
    if not float(temperature) > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if not isinstance(anchor, Tensor) or anchor.dim() != 2:
        raise ValueError("anchor must be a [B, d] tensor")
    if candidates is None:
        if not isinstance(positive, Tensor) or positive.shape != anchor.shape:
            raise ValueError(f"positive must have the anchor's shape {tuple(anchor.shape)}, got "
                             f"{tuple(positive.shape) if isinstance(positive, Tensor) else type(positive).__name__}")
        candidates = positive
        pos_index = torch.arange(anchor.size(0), device=anchor.device)
    else:
        if candidates.dim() != 2 or candidates.size(1) != anchor.size(1):
            raise ValueError(f"candidates must be [N, {anchor.size(1)}], got {tuple(candidates.shape)}")
        if pos_index is None or pos_index.shape != (anchor.size(0),):
            raise ValueError(f"pos_index must be a [{anchor.size(0)}] index tensor when candidates are given")
        if anchor.size(0) and (int(pos_index.min()) < 0 or int(pos_index.max()) >= candidates.size(0)):
            raise ValueError(f"pos_index must lie in [0, {candidates.size(0)})")
    if normalize:
        anchor, candidates = F.normalize(anchor, dim=-1), F.normalize(candidates, dim=-1)
    logits = anchor @ candidates.t() / temperature
    pos = logits.gather(1, pos_index.view(-1, 1).long()).squeeze(1)
    loss = torch.logsumexp(logits, dim=1) - pos
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss
