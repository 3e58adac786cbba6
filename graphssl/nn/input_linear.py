"""The input projection of a layer, ``x W^T + b``, through a sparse product when ``x`` is a
wide, mostly-zero feature matrix on the CPU.

Bag-of-words node features are about 1% non-zero (Cora, CiteSeer, Coauthor-CS), and the
first layer's dense product over them is most of a contrastive method's epoch on the CPU.
Multiplying their CSR form instead is several times cheaper, forward and backward (the
weight's gradient is then ``x^T G``, a sparse product too). Masking and dropout keep zeros
zero, so augmented views qualify as well; features that need a gradient do not (the sparse
path gives none to ``x``).

A dense input of which most rows are entirely zero (GraphMAE's re-masked decoder input: three
quarters of the rows) is multiplied at its other rows only; the gradient of ``x`` is still
computed for every row.

A large dense product on the CPU writes its output (and, backward, the gradient of ``x``)
into fresh huge-page memory (:func:`graphssl.sparse.host_memory.empty_cpu`): a fresh
multi-megabyte tensor from torch's allocator costs a page fault per 4 KiB as the product
first writes it, about a fifth of an ogbn-arxiv-sized 128-wide product on two cores.
"""
from __future__ import annotations

import warnings
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable

from ..sparse.host_memory import empty_cpu

__all__ = ["dense_linear", "input_linear", "mostly_zero", "nonzero_rows"]

#: At most this share of non-zeros takes the sparse path (measured crossover on 2 cores:
#: about 4% for a 512-wide output; PubMed's TF-IDF features, 10%, stay dense).
MAX_DENSITY = 0.025
#: Narrower inputs stay dense: the product is cheap and the CSR conversion would dominate.
MIN_WIDTH = 256
#: The density is estimated on about this many evenly spaced rows (cheap on any size).
SAMPLE_ROWS = 64
#: A dense input whose sampled rows are at least this share all-zero is multiplied at its
#: non-zero rows only.
MIN_ZERO_ROWS = 0.5
#: Dense CPU products with at least this many output entries write to huge-page memory.
MIN_HUGE_OUTPUT = 1 << 20


def mostly_zero(x: Tensor) -> bool:
    """True when ``x`` is a CPU float matrix without gradient, at least ``MIN_WIDTH`` wide,
    whose non-zeros (estimated on evenly spaced rows) are at most ``MAX_DENSITY`` of it."""
    if (x.layout != torch.strided or x.device.type != "cpu" or x.dim() != 2 or x.requires_grad
            or x.dtype not in (torch.float32, torch.float64) or x.size(1) < MIN_WIDTH or x.size(0) == 0):
        return False
    sample = x[:: max(1, x.size(0) // SAMPLE_ROWS)]
    return int(torch.count_nonzero(sample)) <= MAX_DENSITY * sample.numel()


def nonzero_rows(x: Tensor) -> Optional[Tensor]:
    """Ids of the rows of ``x`` that are not entirely zero, when the others are at least
    ``MIN_ZERO_ROWS`` of the rows of a CPU float matrix at least ``MIN_WIDTH`` wide (estimated
    on evenly spaced rows first); None otherwise."""
    if (x.layout != torch.strided or x.device.type != "cpu" or x.dim() != 2 or x.size(1) < MIN_WIDTH
            or x.dtype not in (torch.float32, torch.float64) or x.size(0) == 0):
        return None
    with torch.no_grad():
        sample = x[:: max(1, x.size(0) // SAMPLE_ROWS)]
        if float((sample == 0).all(1).float().mean()) < MIN_ZERO_ROWS:
            return None
        nz = (x != 0).any(1)  # NaN rows count as non-zero
        if x.size(0) - int(nz.sum()) < MIN_ZERO_ROWS * x.size(0):
            return None
        return nz.nonzero().view(-1)


class _RowsLinear(torch.autograd.Function):
    """``x W^T`` where only the rows ``rows`` of ``x`` can be non-zero: the forward and the
    weight's gradient use those rows alone; ``x`` gets its gradient at every row."""

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, rows: Tensor) -> Tensor:
        ctx.save_for_backward(x, weight, rows)
        out = x.new_zeros(x.size(0), weight.size(0))
        out.index_copy_(0, rows, F.linear(x.index_select(0, rows), weight))
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):
        x, weight, rows = ctx.saved_tensors
        grad_x = grad @ weight if ctx.needs_input_grad[0] else None
        grad_w = grad.index_select(0, rows).t() @ x.index_select(0, rows) if ctx.needs_input_grad[1] else None
        return grad_x, grad_w, None


class _HugePageLinear(torch.autograd.Function):
    """``x W^T + b`` with the output and the gradient of ``x`` in huge-page memory."""

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Optional[Tensor]) -> Tensor:
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        out = empty_cpu((x.size(0), weight.size(0)), x.dtype)
        return torch.mm(x, weight.t(), out=out) if bias is None else torch.addmm(bias, x, weight.t(), out=out)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        x, weight = ctx.saved_tensors
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = torch.mm(grad, weight, out=empty_cpu((grad.size(0), weight.size(1)), grad.dtype))
        if ctx.needs_input_grad[1]:
            grad_w = grad.t().mm(x)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = grad.sum(0)
        return grad_x, grad_w, grad_b


def dense_linear(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """``F.linear(x, weight, bias)`` for a 2-d ``x``; on the CPU, a product with at least
    ``MIN_HUGE_OUTPUT`` output entries writes to huge-page memory (same values)."""
    if (x.device.type != "cpu" or x.dim() != 2 or x.layout != torch.strided or weight.dtype != x.dtype
            or x.dtype not in (torch.float32, torch.float64) or x.size(0) * weight.size(0) < MIN_HUGE_OUTPUT
            or (bias is not None and bias.dtype != x.dtype) or torch.is_autocast_enabled("cpu")):
        return F.linear(x, weight, bias)
    return _HugePageLinear.apply(x, weight, bias)


def input_linear(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """``F.linear(x, weight, bias)``, computed as a CSR product when :func:`mostly_zero`, and
    at the non-zero rows only when most rows are zero (:func:`nonzero_rows`).

    Same result up to float rounding; gradients reach ``weight`` and ``bias`` either way (and
    ``x`` on the dense paths).
    """
    if not mostly_zero(x):
        rows = nonzero_rows(x)
        if rows is None:
            return dense_linear(x, weight, bias)
        out = _RowsLinear.apply(x, weight, rows)
        return out if bias is None else out + bias
    with warnings.catch_warnings():  # torch's beta note on sparse CSR tensors
        warnings.simplefilter("ignore", UserWarning)
        xs = x.to_sparse_csr()
        return torch.sparse.mm(xs, weight.t()) if bias is None else torch.addmm(bias, xs, weight.t())
