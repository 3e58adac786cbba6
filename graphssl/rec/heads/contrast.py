"""InfoNCE as the recommender heads use it: index-aligned positives, in-batch or all-node
candidates, cosine or raw dot-product scores, mean or sum over the anchors.

The score matrix is never built by autograd: rows of anchors are scored in chunks small
enough to stay in cache, and the backward forms each chunk's softmax from the row's
log-sum-exp. Against many candidates (``[B, N]`` would be 240 MB for a batch against all
yelp2018 users) only the log-sum-exps are kept and the backward recomputes the scores; an
in-batch matrix is small, so its softmax is kept. On a 2-core CPU this halves the cost of the
autograd form for in-batch negatives.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable

__all__ = ["info_nce", "score_logsumexp", "REDUCTIONS"]

REDUCTIONS = ("mean", "sum", "none")

# Score-matrix elements per chunk (4 MB of float32: in cache, and rows enough for the
# matrix products to run near full speed against tens of thousands of candidates).
_CHUNK_ELEMENTS = 1 << 20


# Up to this many scores (16 MB of float32; an in-batch matrix of 2,000 ids is 4M) the
# forward keeps the softmax for the backward instead of recomputing the scores.
_KEEP_ELEMENTS = 1 << 22


def _chunk_rows(num_candidates: int) -> int:
    return max(32, _CHUNK_ELEMENTS // max(num_candidates, 1))


class _ScoreLogSumExp(torch.autograd.Function):
    """``logsumexp_j(a_b . c_j / t)`` per anchor, scored chunk by chunk."""

    @staticmethod
    def forward(ctx, anchor: Tensor, candidates: Tensor, temperature: float) -> Tensor:
        inv = 1.0 / temperature
        scaled = candidates * inv
        rows = _chunk_rows(candidates.size(0))
        lse = torch.empty(anchor.size(0), dtype=anchor.dtype, device=anchor.device)
        keep = anchor.size(0) * candidates.size(0) <= _KEEP_ELEMENTS and \
            (anchor.requires_grad or candidates.requires_grad)
        soft = torch.empty(anchor.size(0), candidates.size(0), dtype=anchor.dtype, device=anchor.device) \
            if keep else None
        for s in range(0, anchor.size(0), rows):
            scores = anchor[s:s + rows] @ scaled.t()
            if keep:  # one exp serves the log-sum-exp and the kept softmax
                top = scores.amax(dim=1, keepdim=True).nan_to_num_(0.0, 0.0, 0.0)
                e = torch.sub(scores, top, out=soft[s:s + rows]).exp_()
                total = e.sum(dim=1, keepdim=True)
                e.div_(total)
                lse[s:s + rows] = total.log_().add_(top).squeeze(1)
            else:
                lse[s:s + rows] = torch.logsumexp(scores, dim=1)
        ctx.save_for_backward(anchor, candidates, lse, soft)
        ctx.inv = inv
        return lse

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        anchor, candidates, lse, soft = ctx.saved_tensors
        inv = ctx.inv
        scaled = candidates * inv
        w = grad.reshape(-1).to(anchor.dtype)
        need_a, need_c = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        grad_a = torch.empty_like(anchor) if need_a else None
        grad_c = torch.zeros_like(candidates) if need_c else None
        rows = _chunk_rows(candidates.size(0))
        # a mean or sum reduction gives every anchor the same weight: scale the products
        # instead of the kept softmax
        same = soft is not None and w.numel() > 0 and bool((w == w[0]).all())
        w0 = float(w[0]) if same else 1.0
        right = scaled.mul_(w0) if same else scaled
        for s in range(0, anchor.size(0), rows):
            a = anchor[s:s + rows]
            # the chunk's softmax over candidates (kept, or recomputed), weighted by the gradient
            if same:
                p = soft[s:s + rows]
            elif soft is not None:
                p = soft[s:s + rows] * w[s:s + rows, None]
            else:
                p = (a @ scaled.t()).sub_(lse[s:s + rows, None]).exp_().mul_(w[s:s + rows, None])
            if need_a:
                torch.mm(p, right, out=grad_a[s:s + rows])
            if need_c:
                grad_c.addmm_(p.t(), a, alpha=inv * w0)
        return grad_a, grad_c, None


def score_logsumexp(anchor: Tensor, candidates: Tensor, temperature: float) -> Tensor:
    """``[B]`` ``logsumexp_j(anchor_b . candidates_j / t)`` without holding the ``[B, N]`` scores.

    Differentiable in both inputs (the backward recomputes each chunk's scores).

    Args:
        anchor: ``[B, d]``; candidates: ``[N, d]``; temperature: ``t > 0``.

    Raises:
        ValueError: shapes that do not match or a non-positive temperature.
    """
    if not float(temperature) > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    if anchor.dim() != 2 or candidates.dim() != 2 or anchor.size(1) != candidates.size(1):
        raise ValueError(f"anchor [B, d] and candidates [N, d] must share d, got {tuple(anchor.shape)} "
                         f"and {tuple(candidates.shape)}")
    if candidates.dtype != anchor.dtype:
        candidates = candidates.to(anchor.dtype)
    return _ScoreLogSumExp.apply(anchor, candidates, float(temperature))


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

    Memory is ``O(B + N)`` beyond the inputs (scores are formed in cache-sized chunks).
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
    if candidates.dtype != anchor.dtype:
        candidates = candidates.to(anchor.dtype)
    pos_index = pos_index.reshape(-1).long()
    pos = (anchor * candidates.index_select(0, pos_index)).sum(1) / temperature
    loss = score_logsumexp(anchor, candidates, temperature) - pos
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss
