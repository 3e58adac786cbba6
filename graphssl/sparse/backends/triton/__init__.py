"""Triton kernels of the sparse core (CUDA; CPU through ``TRITON_INTERPRET=1`` for tests).

One module per kernel family: :mod:`.spmm` (sum, max/min), :mod:`.sddmm`, :mod:`.softmax`
(segment softmax and its backward), :mod:`.gat` (fused attention aggregation); block
sizes in :mod:`.tiling`; :class:`TritonBackend` in :mod:`.backend`. Importing this package
does not import triton: the backend does, when it is first constructed.
"""
from .backend import TritonBackend

__all__ = ["TritonBackend"]
