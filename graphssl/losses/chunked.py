"""Row and column reductions of a similarity matrix ``S = a @ b.T / tau`` that never hold
all of ``S``: it is computed a block of rows at a time, forward and again in backward, so
memory is ``O(N x chunk)`` instead of ``O(N^2)``.

This is what lets contrastive losses take every non-positive pair as a negative on graphs
of tens of thousands of nodes (GRACE on PubMed, 19,717 nodes, needs four 19,717 x 19,717
similarity blocks: 6 GB in float32 if kept for backward, well under 1 GB here).
"""
from __future__ import annotations

import math
from typing import List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable

from ..sparse import Graph
from ..checks import check_positive
from .checks import check_chunk_size, check_embeddings
from .pairs import PairIndex, positive_pairs

__all__ = ["chunked_similarity", "default_chunk_size", "REDUCTIONS"]

#: Supported reductions: ``logsumexp`` gives ``log sum_j exp(S_ij)``; ``softplus`` gives
#: ``sum_j softplus(S_ij)``.
REDUCTIONS = ("logsumexp", "softplus")

# About 32 MB of float32 per block buffer: large enough for an efficient matmul, small
# enough that the few buffers alive at once stay far below the memory of the embeddings'
# training graph on big inputs.
_BLOCK_ELEMENTS = 1 << 23


def default_chunk_size(num_cols: int) -> int:
    """Rows per block so that one ``[chunk, num_cols]`` block holds about 8M entries."""
    return max(1, _BLOCK_ELEMENTS // max(num_cols, 1))


#: Scores bounded by this in absolute value are exponentiated as they are, with no max
#: subtracted: e^40 times millions of entries stays far inside float32, e^-40 far above its
#: smallest normal. Cosine similarities at temperatures >= 1/40 qualify.
UNSHIFTED_BOUND = 40.0


def _block(a: Tensor, b: Tensor, start: int, stop: int,
           ex_anchor: Optional[Tensor], ex_sample: Optional[Tensor], ex_lo: int, ex_hi: int,
           diag: bool) -> Tensor:
    """Rows ``start:stop`` of ``a @ b.T`` (``a`` already scaled by ``1 / tau``) with the
    excluded entries set to ``-inf``."""
    s = torch.mm(a[start:stop], b.t())
    if diag:
        s.diagonal(start).fill_(-math.inf)
    if ex_anchor is not None and ex_hi > ex_lo:
        s.index_put_((ex_anchor[ex_lo:ex_hi] - start, ex_sample[ex_lo:ex_hi]),
                     torch.tensor(-math.inf, dtype=s.dtype, device=s.device))
    return s


def _finite_or_zero(x: Tensor) -> Tensor:
    return torch.where(torch.isfinite(x), x, torch.zeros((), dtype=x.dtype, device=x.device))


def scores_bounded(a: Tensor, b: Tensor, inv_tau: float) -> bool:
    """Whether every score ``a_i . b_j * inv_tau`` lies within ``UNSHIFTED_BOUND`` (Cauchy-Schwarz
    on the largest row norms) in float32/64, so its log-sum-exps need no max subtracted."""
    if a.dtype not in (torch.float32, torch.float64) or not a.numel() or not b.numel():
        return False
    bound = float(torch.linalg.vector_norm(a, dim=1).amax()) * float(torch.linalg.vector_norm(b, dim=1).amax())
    return bound * inv_tau <= UNSHIFTED_BOUND  # False for nan


class _ChunkedReduce(torch.autograd.Function):
    """Forward: reductions over rows and/or columns of ``S``; backward: recompute each
    block and push ``dL/dS`` (a softmax or sigmoid weighting, never stored whole) into
    ``dL/da`` and ``dL/db``. Bounded scores (see :func:`scores_bounded`) take one ``exp`` per
    block and no max, forward and backward."""

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor, inv_tau: float, mode: str, chunk: int,
                ex_anchor: Optional[Tensor], ex_sample: Optional[Tensor], ex_bounds: Optional[List[int]],
                diag: bool, want_rows: bool, want_cols: bool) -> Tuple[Tensor, Tensor]:
        n_a, n_b = a.size(0), b.size(0)
        plain = mode == "logsumexp" and scores_bounded(a, b, inv_tau)
        a_s = a * inv_tau if inv_tau != 1.0 else a
        rows = a.new_empty(n_a if want_rows else 0)
        col_acc = a.new_zeros(n_b if want_cols else 0)
        col_max = a.new_full((n_b if want_cols and mode == "logsumexp" and not plain else 0,), -math.inf)
        for k, start in enumerate(range(0, n_a, chunk)):
            stop = min(start + chunk, n_a)
            lo, hi = (ex_bounds[k], ex_bounds[k + 1]) if ex_bounds is not None else (0, 0)
            s = _block(a_s, b, start, stop, ex_anchor, ex_sample, lo, hi, diag)
            if plain:  # sums of exp(S): logs taken at the end
                e = s.exp_()
                if want_rows:
                    torch.sum(e, 1, out=rows[start:stop])
                if want_cols:
                    col_acc.add_(e.sum(0))
            elif mode == "logsumexp":
                if want_rows:
                    rows[start:stop] = torch.logsumexp(s, 1)
                if want_cols:
                    # Running log-sum-exp down the columns, rescaled when the max grows.
                    new_max = torch.maximum(col_max, s.amax(0))
                    shift = _finite_or_zero(new_max)
                    col_acc.mul_(torch.exp(col_max - shift))
                    col_acc.add_(s.sub_(shift).exp_().sum(0))
                    col_max = new_max
            else:
                sp = F.softplus(s)
                if want_rows:
                    rows[start:stop] = sp.sum(1)
                if want_cols:
                    col_acc.add_(sp.sum(0))
        if plain:
            rows.log_()
            cols = col_acc.log_()
        elif want_cols and mode == "logsumexp":
            cols = col_acc.log_().add_(_finite_or_zero(col_max))
        else:
            cols = col_acc
        ctx.setup = (inv_tau, mode, chunk, ex_bounds, diag, plain)
        ctx.save_for_backward(a, b, rows, cols, ex_anchor, ex_sample)
        ctx.set_materialize_grads(False)
        return rows, cols

    @staticmethod
    @once_differentiable
    def backward(ctx, g_rows: Optional[Tensor], g_cols: Optional[Tensor]):
        a, b, rows, cols, ex_anchor, ex_sample = ctx.saved_tensors
        inv_tau, mode, chunk, ex_bounds, diag, plain = ctx.setup
        need_a, need_b = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        if g_rows is not None and g_rows.numel() == 0:
            g_rows = None
        if g_cols is not None and g_cols.numel() == 0:
            g_cols = None
        grad_a = torch.zeros_like(a) if need_a else None
        grad_b = torch.zeros_like(b) if need_b else None
        if (g_rows is None and g_cols is None) or not (need_a or need_b):
            return (grad_a, grad_b) + (None,) * 9
        a_s = a * inv_tau if inv_tau != 1.0 else a
        if mode == "logsumexp":
            r_safe = _finite_or_zero(rows) if g_rows is not None else None
            c_safe = _finite_or_zero(cols)[None, :] if g_cols is not None else None
            g_cols_row = g_cols[None, :] if g_cols is not None else None
            if plain:  # softmax = exp(S) / exp(lse): the 1 / exp(lse) goes with the gradient
                r_fac = g_rows * torch.exp(-r_safe) if g_rows is not None else None
                c_fac = g_cols_row * torch.exp(-c_safe) if g_cols is not None else None
        for k, start in enumerate(range(0, a.size(0), chunk)):
            stop = min(start + chunk, a.size(0))
            lo, hi = (ex_bounds[k], ex_bounds[k + 1]) if ex_bounds is not None else (0, 0)
            s = _block(a_s, b, start, stop, ex_anchor, ex_sample, lo, hi, diag)
            if plain:
                e = s.exp_()
                if r_fac is None:
                    w = e.mul_(c_fac)
                elif c_fac is None:
                    w = e.mul_(r_fac[start:stop, None])
                else:
                    w = torch.mul(e, r_fac[start:stop, None]).addcmul_(e, c_fac)
            elif mode == "logsumexp":
                # d logsumexp_i / d S_ij = softmax_j(S_i.) = exp(S_ij - lse_i); masked
                # entries are -inf, so their weight is exactly 0.
                w = None
                if g_rows is not None:
                    w = torch.sub(s, r_safe[start:stop, None]).exp_().mul_(g_rows[start:stop, None])
                if g_cols is not None:
                    wc = s.sub_(c_safe).exp_().mul_(g_cols_row)
                    w = wc if w is None else w.add_(wc)
            else:
                g = g_rows[start:stop, None] if g_rows is not None else 0.0
                if g_cols is not None:
                    g = g + g_cols[None, :]
                w = torch.sigmoid_(s).mul_(g)
            # dS/da = b / tau, dS/db = a / tau
            if need_a:
                out = torch.mm(w, b, out=grad_a[start:stop])
                if inv_tau != 1.0:
                    out.mul_(inv_tau)
            if need_b:
                grad_b.addmm_(w.t(), a[start:stop], alpha=inv_tau)
        return (grad_a, grad_b) + (None,) * 9


def _reduce(a: Tensor, b: Tensor, inv_tau: float, mode: str, exclude: Optional[PairIndex],
            exclude_diagonal: bool, want_rows: bool, want_cols: bool,
            chunk_size: Optional[int]) -> Tuple[Tensor, Tensor]:
    """Validated-input core shared by the losses (no argument checks)."""
    chunk = chunk_size or default_chunk_size(b.size(0))
    ex_anchor = ex_sample = ex_bounds = None
    if exclude is not None and exclude.num_pairs:
        starts = torch.arange(0, a.size(0) + chunk, chunk, device=exclude.rowptr.device).clamp_max_(a.size(0))
        ex_bounds = exclude.rowptr[starts].tolist()
        ex_anchor, ex_sample = exclude.anchor, exclude.sample
    return _ChunkedReduce.apply(a, b, float(inv_tau), mode, int(chunk), ex_anchor, ex_sample, ex_bounds,
                                bool(exclude_diagonal), want_rows, want_cols)


def chunked_similarity(
    a: Tensor,
    b: Tensor,
    tau: float = 1.0,
    reduce: str = "logsumexp",
    exclude: Union[None, Tensor, Graph, PairIndex] = None,
    exclude_diagonal: bool = False,
    return_columns: bool = False,
    chunk_size: Optional[int] = None,
) -> Union[Tensor, Tuple[Tensor, Tensor]]:
    """Reduce each row (and optionally each column) of ``S = a @ b.T / tau`` without
    ever storing ``S``: memory is ``O((N_a + N_b) x chunk_size)``, forward and backward.

    With ``reduce="logsumexp"``, row ``i`` is ``log sum_j exp(S_ij)`` (the InfoNCE
    denominator); with ``reduce="softplus"`` it is ``sum_j softplus(S_ij)`` (the JSD
    negative term). Differentiable in ``a`` and ``b`` (first order).

    Args:
        a: ``[N_a, D]`` float.
        b: ``[N_b, D]`` float (may be ``a`` itself).
        tau: temperature ``> 0``.
        reduce: ``"logsumexp"`` or ``"softplus"``.
        exclude: entries ``(i, j)`` left out of the reductions, as ``[2, P]`` index pairs
            or a ``Graph`` (edge ``i -> j``); ``None`` leaves nothing out.
        exclude_diagonal: also leave out ``S_ii`` (when ``a`` and ``b`` index the same nodes).
        return_columns: also return the reductions down the columns.
        chunk_size: rows of ``S`` per block (default: about 8M entries per block).

    Returns:
        ``[N_a]`` row reductions, or ``([N_a], [N_b])`` with ``return_columns``. A row whose
        every entry is excluded gives ``-inf`` (logsumexp) or ``0`` (softplus).

    Raises:
        ValueError: bad shapes or dtypes, ``tau <= 0``, unknown ``reduce``, bad ``exclude``,
            ``chunk_size < 1``.

    Example:
        >>> a, b = torch.randn(5, 3), torch.randn(4, 3)
        >>> torch.allclose(chunked_similarity(a, b, tau=0.5, chunk_size=2),
        ...                torch.logsumexp(a @ b.T / 0.5, dim=1), atol=1e-6)
        True
    """
    check_embeddings(a, b, names=("a", "b"))
    tau = check_positive("tau", tau)
    if reduce not in REDUCTIONS:
        raise ValueError(f"unknown reduce {reduce!r}; known: {', '.join(REDUCTIONS)}")
    check_chunk_size(chunk_size)
    pairs = None
    if isinstance(exclude, PairIndex):
        if (exclude.num_anchors, exclude.num_samples) != (a.size(0), b.size(0)):
            raise ValueError(f"exclude pairs refer to a {exclude.num_anchors} x {exclude.num_samples} matrix, "
                             f"but S is {a.size(0)} x {b.size(0)}")
        pairs = exclude
    elif exclude is not None:
        pairs = positive_pairs(exclude, a.size(0), b.size(0), device=a.device, allow_empty=True)
    rows, cols = _reduce(a, b, 1.0 / tau, reduce, pairs, exclude_diagonal, True, return_columns, chunk_size)
    return (rows, cols) if return_columns else rows
