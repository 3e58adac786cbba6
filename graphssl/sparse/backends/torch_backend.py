"""The pure-torch reference backend: ground truth in tests, fallback on any device."""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor

from ..backend import Backend


def _rows(rowptr: Tensor, num_edges: int) -> Tensor:
    counts = rowptr[1:] - rowptr[:-1]
    return torch.repeat_interleave(torch.arange(counts.numel(), device=rowptr.device), counts,
                                   output_size=num_edges)


def _messages(col: Tensor, value: Optional[Tensor], x: Tensor) -> Tensor:
    msg = x.index_select(0, col)
    if value is not None:
        msg = msg * value.unsqueeze(-1)
    return msg


class TorchBackend(Backend):
    """Reference implementations with ``index_select`` / ``index_add_`` / ``scatter_reduce``."""

    name = "torch"

    def supports(self, device: torch.device, dtype: torch.dtype) -> bool:
        return True

    def spmm_sum(self, rowptr, col, value, x, cache=None):
        row = _rows(rowptr, col.numel())
        out = x.new_zeros((rowptr.numel() - 1,) + tuple(x.shape[1:]))
        return out.index_add_(0, row, _messages(col, value, x))

    def spmm_max(self, rowptr, col, value, x, minimum: bool = False) -> Tuple[Tensor, Tensor]:
        R, E = rowptr.numel() - 1, col.numel()
        row = _rows(rowptr, E)
        msg = _messages(col, value, x)
        shape = (R,) + tuple(x.shape[1:])
        idx = row.view(-1, *([1] * (x.dim() - 1))).expand_as(msg)
        fill = float("inf") if minimum else float("-inf")
        best = torch.full(shape, fill, dtype=x.dtype, device=x.device)
        best = best.scatter_reduce(0, idx, msg, "amin" if minimum else "amax", include_self=True)
        eid = torch.arange(E, device=x.device).view(-1, *([1] * (x.dim() - 1))).expand_as(msg)
        hit = msg == best.index_select(0, row)
        cand = torch.where(hit, eid, torch.full_like(eid, E))
        arg = torch.full(shape, E, dtype=torch.long, device=x.device)
        arg = arg.scatter_reduce(0, idx, cand, "amin", include_self=True)
        empty = arg == E
        arg = arg.masked_fill(empty, -1)
        out = best.masked_fill(empty, 0.0)
        return out, arg

    def sddmm(self, rowptr, col, a, b):
        row = _rows(rowptr, col.numel())
        return (a.index_select(0, row) * b.index_select(0, col)).sum(-1)

    def segment_softmax(self, rowptr, scores):
        R = rowptr.numel() - 1
        row = _rows(rowptr, scores.size(0))
        idx = row.view(-1, *([1] * (scores.dim() - 1))).expand_as(scores)
        mx = torch.full((R,) + tuple(scores.shape[1:]), float("-inf"), dtype=scores.dtype, device=scores.device)
        mx = mx.scatter_reduce(0, idx, scores, "amax", include_self=True)
        e = torch.exp(scores - mx.index_select(0, row))
        s = torch.zeros_like(mx).index_add_(0, row, e)
        return e / s.index_select(0, row)

    def segment_softmax_backward(self, rowptr, out, grad):
        row = _rows(rowptr, out.size(0))
        R = rowptr.numel() - 1
        s = out.new_zeros((R,) + tuple(out.shape[1:])).index_add_(0, row, out * grad)
        return out * (grad - s.index_select(0, row))
