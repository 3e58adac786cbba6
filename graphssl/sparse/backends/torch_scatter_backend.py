"""An optional backend on torch-scatter's CSR segment reductions, for comparison.

Registered as ``"torch_scatter"`` but never chosen automatically: force it with
``graphssl.sparse.use_backend("torch_scatter")`` to time graphssl's ops on the kernels
PyG uses when torch-scatter is installed. Messages are materialised per edge
(``x[col] * w``) and reduced with ``segment_csr``, as a PyG layer does.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor

from ..backend import Backend

__all__ = ["TorchScatterBackend"]

_HINT = ("pip install torch-scatter (a source build: pip install --no-build-isolation torch-scatter, "
         "or a wheel from https://data.pyg.org/whl/ matching your torch)")


def _messages(col: Tensor, value: Optional[Tensor], x: Tensor) -> Tensor:
    msg = x.index_select(0, col)
    if value is not None:
        msg = msg * value.to(x.dtype).unsqueeze(-1)
    return msg


class TorchScatterBackend(Backend):
    """The core's primitives on ``torch_scatter.segment_csr`` / ``gather_csr``.

    Supports float32 / float64 tensors on any device torch-scatter was built for.

    Raises:
        ImportError: torch-scatter is not installed (with the install hint).
    """

    name = "torch_scatter"

    def __init__(self) -> None:
        try:
            import torch_scatter
        except ImportError as e:
            raise ImportError(f"the torch_scatter backend needs torch-scatter ({_HINT}): {e}") from e
        self._segment_csr = torch_scatter.segment_csr
        self._gather_csr = torch_scatter.gather_csr

    def supports(self, device: torch.device, dtype: torch.dtype) -> bool:
        return dtype in (torch.float32, torch.float64)

    def spmm_sum(self, rowptr: Tensor, col: Tensor, value: Optional[Tensor], x: Tensor,
                 cache: Optional[dict] = None) -> Tensor:
        if col.numel() == 0:  # segment_csr leaves the output uninitialised without edges
            return x.new_zeros((rowptr.numel() - 1,) + tuple(x.shape[1:]))
        return self._segment_csr(_messages(col, value, x), rowptr, reduce="sum")

    def spmm_max(self, rowptr: Tensor, col: Tensor, value: Optional[Tensor], x: Tensor,
                 minimum: bool = False) -> Tuple[Tensor, Tensor]:
        if col.numel() == 0:
            shape = (rowptr.numel() - 1,) + tuple(x.shape[1:])
            return x.new_zeros(shape), torch.full(shape, -1, dtype=torch.long, device=x.device)
        out, arg = self._segment_csr(_messages(col, value, x), rowptr, reduce="min" if minimum else "max")
        # torch-scatter marks empty segments with the number of edges; the core uses -1.
        return out, arg.masked_fill(arg == col.numel(), -1)

    def sddmm(self, rowptr: Tensor, col: Tensor, a: Tensor, b: Tensor) -> Tensor:
        return (self._gather_csr(a, rowptr) * b.to(a.dtype).index_select(0, col)).sum(-1)

    def segment_softmax(self, rowptr: Tensor, scores: Tensor) -> Tensor:
        if scores.numel() == 0:
            return scores.clone()
        mx, _ = self._segment_csr(scores, rowptr, reduce="max")
        e = torch.exp(scores - self._gather_csr(mx, rowptr))
        return e / self._gather_csr(self._segment_csr(e, rowptr, reduce="sum"), rowptr)

    def segment_softmax_backward(self, rowptr: Tensor, out: Tensor, grad: Tensor) -> Tensor:
        if out.numel() == 0:
            return out.clone()
        dot = self._segment_csr(out * grad, rowptr, reduce="sum")
        return out * (grad - self._gather_csr(dot, rowptr))
