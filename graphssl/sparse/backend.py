"""Backend registry: which kernels run the core's primitives.

A backend implements the few primitives of :class:`Backend` on raw CSR tensors; the
autograd functions in :mod:`graphssl.sparse.ops` call them, so callers never see which
backend ran. Selection is automatic per tensor (CUDA -> ``triton`` when registered and
importable, CPU -> ``numba``; ``torch`` always works) and can be forced with
:func:`use_backend`, globally or as a context manager.
"""
from __future__ import annotations

import contextlib
import importlib
from typing import Callable, Dict, List, Optional, Tuple, Union

import torch
from torch import Tensor

__all__ = ["Backend", "register_backend", "use_backend", "get_backend", "available_backends",
           "current_backend_name", "row_edge_ids"]


def row_edge_ids(rowptr: Tensor, rows: Tensor) -> Tuple[Tensor, Tensor]:
    """``(ptr [R' + 1], eid [E'])``: the edges of the CSR rows ``rows`` (``[R']`` int64,
    repeats allowed), row after row, as a smaller CSR's row pointer and the edges' ids in the
    full one."""
    start = rowptr.index_select(0, rows)
    deg = rowptr.index_select(0, rows + 1) - start
    ptr = torch.zeros(rows.numel() + 1, dtype=rowptr.dtype, device=rowptr.device)
    torch.cumsum(deg, 0, out=ptr[1:])
    total = int(ptr[-1])
    # edge k of the smaller CSR is edge start[i] + (k - ptr[i]) of the full one, i its row
    eid = torch.arange(total, device=rowptr.device) + torch.repeat_interleave(start - ptr[:-1], deg,
                                                                              output_size=total)
    return ptr, eid


class Backend:
    """Primitives a backend provides. Shapes use ``H`` heads of width ``D``.

    All take a CSR ``rowptr [R+1]`` / ``col [E]`` (int64) indexed by target row.
    """

    name: str = "base"

    def supports(self, device: torch.device, dtype: torch.dtype) -> bool:
        """Whether this backend can run on tensors of this device and dtype."""
        raise NotImplementedError

    def spmm_sum(self, rowptr: Tensor, col: Tensor, value: Optional[Tensor], x: Tensor,
                 cache: Optional[dict] = None) -> Tensor:
        """``out[r, h] = sum_e value[e, h] * x[col[e], h]`` over row ``r``'s edges.

        ``value``: ``[E, Hv]`` with ``Hv`` 1 or ``H``, or None (all ones);
        ``x``: ``[N, H, D]``. Returns ``[R, H, D]``; empty rows are 0. ``cache``: a dict
        that lives as long as ``(rowptr, col)`` (the graph's), where a backend may keep
        layouts derived from them for later calls.
        """
        raise NotImplementedError

    def spmm_sum_rows(self, rowptr: Tensor, col: Tensor, value: Optional[Tensor], rows: Tensor,
                      x: Tensor) -> Tensor:
        """Rows ``rows`` (``[R']`` int64, repeats allowed) of :meth:`spmm_sum`, touching only
        their edges: returns ``[R', H, D]``.

        The default gathers those rows' edges into a smaller CSR and calls :meth:`spmm_sum`.
        """
        sub, eid = row_edge_ids(rowptr, rows)
        return self.spmm_sum(sub, col.index_select(0, eid),
                             value.index_select(0, eid) if value is not None else None, x)

    def spmm_max(self, rowptr: Tensor, col: Tensor, value: Optional[Tensor], x: Tensor,
                 minimum: bool = False) -> Tuple[Tensor, Tensor]:
        """Row-wise max (or min) of ``value * x[col]``; returns ``(out [R,H,D], arg [R,H,D])``.

        ``arg`` holds the winning edge position (the first on ties), ``-1`` for empty rows,
        whose ``out`` is 0.
        """
        raise NotImplementedError

    def sddmm(self, rowptr: Tensor, col: Tensor, a: Tensor, b: Tensor) -> Tensor:
        """Per-edge dot products ``out[e, h] = <a[row[e], h], b[col[e], h]>``.

        ``a``: ``[R, H, D]``, ``b``: ``[N, H, D]``; returns ``[E, H]``.
        """
        raise NotImplementedError

    def segment_softmax(self, rowptr: Tensor, scores: Tensor) -> Tensor:
        """Softmax of ``scores [E, H]`` within each row's segment of edges."""
        raise NotImplementedError

    def segment_softmax_backward(self, rowptr: Tensor, out: Tensor, grad: Tensor) -> Tensor:
        """Gradient of :meth:`segment_softmax`: ``out * (grad - segsum(out * grad))``."""
        raise NotImplementedError

    #: Whether :meth:`gat_aggregate` is implemented; without it
    #: :func:`graphssl.sparse.ops.gat_aggregate` composes the unfused primitives.
    has_fused_gat: bool = False

    def gat_aggregate(self, rowptr: Tensor, col: Tensor, x: Tensor, a_src: Tensor, a_dst: Tensor,
                      negative_slope: float) -> Tuple[Tensor, Tensor]:
        """Fused GAT aggregation: ``out[r, h] = sum_e softmax_e(LeakyReLU(a_src[col[e], h] +
        a_dst[r, h])) * x[col[e], h]`` over row ``r``'s edges.

        ``x``: ``[N, H, D]``, ``a_src``: ``[N, H]``, ``a_dst``: ``[R, H]``. Returns
        ``(out [R, H, D], lse [R, H])``, ``lse`` the float32 log-sum-exp of each row's
        logits (``-inf`` for empty rows, whose ``out`` is 0).
        """
        raise NotImplementedError


_REGISTRY: Dict[str, Callable[[], Backend]] = {}
_INSTANCES: Dict[str, Optional[Backend]] = {}
_FAILED: Dict[str, str] = {}
_forced: List[str] = []
# Preference order when nothing is forced.
_PREFERENCE = {"cuda": ["triton", "torch"], "cpu": ["numba", "torch"]}


def register_backend(name: str, factory: Callable[[], Backend]) -> None:
    """Register a backend under ``name``. ``factory`` is called lazily on first use and
    may raise ``ImportError`` when its dependency is missing."""
    _REGISTRY[name] = factory
    _INSTANCES.pop(name, None)
    _FAILED.pop(name, None)


def _lazy(module: str, attr: str) -> Callable[[], Backend]:
    def factory() -> Backend:
        return getattr(importlib.import_module(module), attr)()
    return factory


def _instance(name: str) -> Optional[Backend]:
    if name not in _INSTANCES:
        try:
            _INSTANCES[name] = _REGISTRY[name]()
        except ImportError as e:  # optional dependency missing
            _INSTANCES[name] = None
            _FAILED[name] = str(e)
    return _INSTANCES[name]


def available_backends(device: Union[str, torch.device, None] = None) -> List[str]:
    """Names of registered backends whose dependencies import; given ``device``, only
    those that run float32 tensors there (``available_backends("cpu")``)."""
    names = [n for n in _REGISTRY if _instance(n) is not None]
    if device is None:
        return names
    dev = torch.device(device)
    return [n for n in names if _instance(n).supports(dev, torch.float32)]


class use_backend(contextlib.ContextDecorator):
    """Force a backend by name, globally (``use_backend("torch")``) or in a ``with`` block.

    ``use_backend(None)`` returns to automatic selection.

    Raises:
        ValueError: unknown backend name.
        ImportError: the backend's dependency is not installed (with an install hint).
    """

    def __init__(self, name: Optional[str]) -> None:
        if name is not None:
            if name not in _REGISTRY:
                raise ValueError(f"unknown backend {name!r}; registered: {sorted(_REGISTRY)}")
            if _instance(name) is None:
                raise ImportError(f"backend {name!r} is unavailable: {_FAILED.get(name)}")
        self._previous = list(_forced)
        _forced[:] = [name] if name is not None else []

    def __enter__(self) -> "use_backend":
        return self

    def __exit__(self, *exc) -> None:
        _forced[:] = self._previous


def current_backend_name() -> Optional[str]:
    """The forced backend's name, or None when selection is automatic."""
    return _forced[0] if _forced else None


def get_backend(x: Tensor) -> Backend:
    """The backend that runs primitives on tensors like ``x``.

    A forced backend that cannot handle ``x``'s device/dtype raises ``ValueError``; in
    automatic mode the first capable backend in the device's preference order is used.
    """
    if _forced:
        b = _instance(_forced[0])
        if b is None or not b.supports(x.device, x.dtype):
            raise ValueError(f"backend {_forced[0]!r} cannot run on {x.device} tensors of dtype {x.dtype}")
        return b
    for name in _PREFERENCE.get(x.device.type, ["torch"]):
        if name in _REGISTRY:
            b = _instance(name)
            if b is not None and b.supports(x.device, x.dtype):
                return b
    return _instance("torch")


register_backend("torch", _lazy("graphssl.sparse.backends.torch_backend", "TorchBackend"))
register_backend("numba", _lazy("graphssl.sparse.backends.numba_backend", "NumbaBackend"))
register_backend("triton", _lazy("graphssl.sparse.backends.triton.backend", "TritonBackend"))
# Only when forced (use_backend("torch_scatter")): for comparison, never picked automatically.
register_backend("torch_scatter", _lazy("graphssl.sparse.backends.torch_scatter_backend", "TorchScatterBackend"))
