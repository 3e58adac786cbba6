"""InfoNCE as the recommender heads use it: index-aligned positives, in-batch or all-node
candidates, cosine or raw dot-product scores, mean or sum over the anchors.

The score matrix is never built by autograd: rows of anchors are scored in chunks small
enough to stay in cache, and the backward forms each chunk's softmax from the row's
log-sum-exp. Against many candidates (``[B, N]`` would be 240 MB for a batch against all
yelp2018 users) only the log-sum-exps are kept and the backward recomputes the scores; an
in-batch matrix is small, so its exponentials are kept. On a 2-core CPU this halves the cost
of the autograd form for in-batch negatives. Scores that Cauchy-Schwarz bounds (cosines at
temperatures >= 1/40; :func:`graphssl.losses.chunked.scores_bounded`) skip the per-row max,
and no pass over the matrix normalises it: each row's ``1 / sum`` scales the ``[B, d]``
operands of the backward's products instead.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable

from ...losses.chunked import scores_bounded

__all__ = ["info_nce", "score_logsumexp", "REDUCTIONS"]

REDUCTIONS = ("mean", "sum", "none")

# Score-matrix elements per chunk (4 MB of float32: in cache, and rows enough for the
# matrix products to run near full speed against tens of thousands of candidates).
_CHUNK_ELEMENTS = 1 << 20


# Up to this many scores (16 MB of float32; an in-batch matrix of 2,000 ids is 4M) the
# forward keeps the exponentials for the backward instead of recomputing the scores.
_KEEP_ELEMENTS = 1 << 22


def _chunk_rows(num_candidates: int) -> int:
    return max(32, _CHUNK_ELEMENTS // max(num_candidates, 1))


class _ScoreLogSumExp(torch.autograd.Function):
    """``logsumexp_j(a_b . c_j / t)`` per anchor, scored chunk by chunk.

    Bounded scores (:func:`~graphssl.losses.chunked.scores_bounded`) need no per-row max. Kept
    exponentials are left unnormalised: the backward applies each row's ``1 / sum`` to the
    ``[B, d]`` operands instead of the ``[B, N]`` matrix.
    """

    @staticmethod
    def forward(ctx, anchor: Tensor, candidates: Tensor, temperature: float) -> Tensor:
        inv = 1.0 / temperature
        scaled = candidates * inv
        rows = _chunk_rows(candidates.size(0))
        lse = torch.empty(anchor.size(0), dtype=anchor.dtype, device=anchor.device)
        keep = anchor.size(0) * candidates.size(0) <= _KEEP_ELEMENTS and \
            (anchor.requires_grad or candidates.requires_grad)
        unshifted = scores_bounded(anchor, candidates, inv)
        exps = torch.empty(anchor.size(0), candidates.size(0), dtype=anchor.dtype, device=anchor.device) \
            if keep else None
        row_scale = torch.empty_like(lse) if keep else None
        buf = None if keep or not unshifted else \
            torch.empty(min(rows, anchor.size(0)), candidates.size(0), dtype=anchor.dtype, device=anchor.device)
        for s in range(0, anchor.size(0), rows):
            a = anchor[s:s + rows]
            if not keep:
                lse[s:s + rows] = torch.logsumexp(a @ scaled.t(), dim=1) if buf is None else \
                    torch.mm(a, scaled.t(), out=buf[:a.size(0)]).exp_().sum(dim=1).log_()
                continue
            # one exp serves the log-sum-exp and the kept (unnormalised) softmax
            e = exps[s:s + rows]
            if unshifted:
                torch.mm(a, scaled.t(), out=e).exp_()
                top = None
            else:
                scores = a @ scaled.t()
                top = scores.amax(dim=1).nan_to_num_(0.0, 0.0, 0.0)
                torch.sub(scores, top[:, None], out=e).exp_()
            total = e.sum(dim=1)
            torch.reciprocal(total, out=row_scale[s:s + rows])
            out = total.log_()
            lse[s:s + rows] = out if top is None else out.add_(top)
        ctx.save_for_backward(anchor, candidates, lse, exps, row_scale)
        ctx.inv = inv
        return lse

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        anchor, candidates, lse, exps, row_scale = ctx.saved_tensors
        inv = ctx.inv
        scaled = candidates * inv
        w = grad.reshape(-1).to(anchor.dtype)
        # softmax row b = exps[b] * row_scale[b] (kept) or exp(scores[b] - lse[b]); the
        # gradient's weight and the row scale go onto the [rows, d] operands
        factor = w * row_scale if exps is not None else w
        need_a, need_c = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        grad_a = torch.empty_like(anchor) if need_a else None
        grad_c = torch.zeros_like(candidates) if need_c else None
        rows = _chunk_rows(candidates.size(0))
        for s in range(0, anchor.size(0), rows):
            a, f = anchor[s:s + rows], factor[s:s + rows, None]
            e = exps[s:s + rows] if exps is not None else \
                (a @ scaled.t()).sub_(lse[s:s + rows, None]).exp_()
            if need_a:
                torch.mm(e, scaled, out=grad_a[s:s + rows]).mul_(f)
            if need_c:
                grad_c.addmm_(e.t(), a * f, alpha=inv)
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
        candidates, pos_index = positive, None
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
    # in-batch positives are the candidates themselves, row for row: no gather (and no scatter back)
    aligned = candidates if pos_index is None else candidates.index_select(0, pos_index.reshape(-1).long())
    pos = (anchor * aligned).sum(1) / temperature
    loss = _ScoreLogSumExp.apply(anchor, candidates, float(temperature)) - pos
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss
