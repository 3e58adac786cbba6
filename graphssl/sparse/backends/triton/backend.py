"""The Triton backend: the core's primitives as Triton kernels, for CUDA tensors.

Registered as ``"triton"`` in :mod:`graphssl.sparse.backend` and chosen automatically for
CUDA tensors when triton imports. With ``TRITON_INTERPRET=1`` set before triton is first
imported, the same kernels run (slowly) on CPU tensors through Triton's interpreter,
which is how CI tests them without a GPU.
"""
from __future__ import annotations

import importlib.util
import os
from typing import Optional, Tuple

import torch
from torch import Tensor

from ...backend import Backend

__all__ = ["TritonBackend"]

_DTYPES = (torch.float32, torch.float16, torch.bfloat16, torch.float64)
_HINT = "pip install graphssl[triton]"


def _interpret_requested() -> bool:
    """Whether ``TRITON_INTERPRET`` asks Triton to decorate kernels for its CPU interpreter.

    Read from the environment, not from triton: importing triton before the variable is
    set would fix its own library functions in compiled mode for the whole process.
    """
    return os.environ.get("TRITON_INTERPRET", "0").strip().lower() in ("1", "true", "on", "yes", "y")


def _index(t: Tensor) -> Tensor:
    return (t if t.dtype == torch.int64 else t.long()).contiguous()


class TritonBackend(Backend):
    """Triton kernels for float32 / float16 / bfloat16 tensors (float32 accumulation) and
    float64 ones (float64 accumulation).

    Runs on CUDA tensors; on CPU tensors only when the kernels were built for Triton's
    interpreter (``TRITON_INTERPRET=1`` when this backend was first constructed), see
    :meth:`supports`. Has a fused GAT aggregation (:meth:`gat_aggregate`).

    Raises:
        ImportError: triton is not installed (with the install hint), or there is neither
            a CUDA GPU nor ``TRITON_INTERPRET=1`` (the registry then reports the backend
            as unavailable with this message).
    """

    name = "triton"
    has_fused_gat = True

    def __init__(self) -> None:
        if importlib.util.find_spec("triton") is None:
            raise ImportError(f"the triton backend needs triton ({_HINT})")
        # Decide before importing triton or the kernel modules: triton.jit fixes compiled
        # vs interpreted when a function is decorated, i.e. at first import.
        if not _interpret_requested() and not torch.cuda.is_available():
            raise ImportError("the triton backend needs a CUDA GPU (or TRITON_INTERPRET=1, set before triton is "
                              "imported, to run its kernels on CPU tensors through Triton's interpreter)")
        try:
            import triton
            from triton.runtime.interpreter import InterpretedFunction

            from . import gat, sddmm, softmax, spmm
        except Exception as e:  # a broken install must read as "unavailable", not crash selection
            raise ImportError(f"triton is installed but failed to import ({_HINT}): {e!r}") from e
        self._spmm, self._sddmm, self._softmax, self._gat = spmm, sddmm, softmax, gat
        self.triton_version: str = triton.__version__
        #: True when the kernels run in Triton's interpreter (CPU tensors), not compiled.
        self.interpreted = isinstance(spmm._spmm_sum_kernel, InterpretedFunction)
        if self.interpreted:
            self._check_interpreter()

    def _check_interpreter(self) -> None:
        """Run one tiny kernel: it fails when triton itself was imported before
        ``TRITON_INTERPRET=1`` was set (its library functions are then compiled-only)."""
        try:
            self._spmm.spmm_sum(torch.tensor([0, 1]), torch.tensor([0]), None, torch.ones(1, 1, 1))
        except Exception as e:  # the interpreter wraps the cause in its own error type
            raise ImportError("triton was imported before TRITON_INTERPRET=1 was set, so its interpreter cannot run "
                              f"the kernels; set the variable before anything imports triton ({e})") from e

    def supports(self, device: torch.device, dtype: torch.dtype) -> bool:
        """CUDA tensors when a GPU is present; CPU tensors only in interpreter mode."""
        if dtype not in _DTYPES:
            return False
        kind = torch.device(device).type
        if kind == "cuda":
            return torch.cuda.is_available()
        return kind == "cpu" and self.interpreted

    def spmm_sum(self, rowptr: Tensor, col: Tensor, value: Optional[Tensor], x: Tensor,
                 cache: Optional[dict] = None) -> Tensor:
        return self._spmm.spmm_sum(_index(rowptr), _index(col), value, x)

    def spmm_max(self, rowptr: Tensor, col: Tensor, value: Optional[Tensor], x: Tensor,
                 minimum: bool = False) -> Tuple[Tensor, Tensor]:
        return self._spmm.spmm_max(_index(rowptr), _index(col), value, x, minimum)

    def sddmm(self, rowptr: Tensor, col: Tensor, a: Tensor, b: Tensor) -> Tensor:
        return self._sddmm.sddmm(_index(rowptr), _index(col), a, b)

    def segment_softmax(self, rowptr: Tensor, scores: Tensor) -> Tensor:
        return self._softmax.segment_softmax(_index(rowptr), scores)

    def segment_softmax_backward(self, rowptr: Tensor, out: Tensor, grad: Tensor) -> Tensor:
        return self._softmax.segment_softmax_backward(_index(rowptr), out, grad)

    def gat_aggregate(self, rowptr: Tensor, col: Tensor, x: Tensor, a_src: Tensor, a_dst: Tensor,
                      negative_slope: float) -> Tuple[Tensor, Tensor]:
        return self._gat.gat_aggregate(_index(rowptr), _index(col), x, a_src, a_dst, negative_slope)
