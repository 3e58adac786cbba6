"""The input projection of a layer, ``x W^T + b``, through a sparse product when ``x`` is a
wide, mostly-zero feature matrix on the CPU.

Bag-of-words node features are about 1% non-zero (Cora, CiteSeer, Coauthor-CS), and the
first layer's dense product over them is most of a contrastive method's epoch on the CPU.
Multiplying their CSR form instead is several times cheaper, forward and backward (the
weight's gradient is then ``x^T G``, a sparse product too). Masking and dropout keep zeros
zero, so augmented views qualify as well; features that need a gradient do not (the sparse
path gives none to ``x``).
"""
from __future__ import annotations

import warnings
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["input_linear", "mostly_zero"]

#: At most this share of non-zeros takes the sparse path (measured crossover on 2 cores:
#: about 4% for a 512-wide output; PubMed's TF-IDF features, 10%, stay dense).
MAX_DENSITY = 0.025
#: Narrower inputs stay dense: the product is cheap and the CSR conversion would dominate.
MIN_WIDTH = 256
#: The density is estimated on about this many evenly spaced rows (cheap on any size).
SAMPLE_ROWS = 64


def mostly_zero(x: Tensor) -> bool:
    """True when ``x`` is a CPU float matrix without gradient, at least ``MIN_WIDTH`` wide,
    whose non-zeros (estimated on evenly spaced rows) are at most ``MAX_DENSITY`` of it."""
    if (x.layout != torch.strided or x.device.type != "cpu" or x.dim() != 2 or x.requires_grad
            or x.dtype not in (torch.float32, torch.float64) or x.size(1) < MIN_WIDTH or x.size(0) == 0):
        return False
    sample = x[:: max(1, x.size(0) // SAMPLE_ROWS)]
    return int(torch.count_nonzero(sample)) <= MAX_DENSITY * sample.numel()


def input_linear(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """``F.linear(x, weight, bias)``, computed as a CSR product when :func:`mostly_zero`.

    Same result up to float rounding; gradients reach ``weight`` and ``bias`` either way.
    """
    if not mostly_zero(x):
        return F.linear(x, weight, bias)
    with warnings.catch_warnings():  # torch's beta note on sparse CSR tensors
        warnings.simplefilter("ignore", UserWarning)
        xs = x.to_sparse_csr()
        return torch.sparse.mm(xs, weight.t()) if bias is None else torch.addmm(bias, xs, weight.t())
