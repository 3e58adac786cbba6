"""Sparse products restricted to some rows or columns of a CSR matrix, for the last layer of
a contrastive view that is read only at a batch's nodes (see :mod:`graphssl.rec.propagation`).

- :func:`rows_product`: ``(A x)[rows]``, touching only those rows' edges.
- :func:`columns_product`: ``A[:, cols] g``, the backward of the former through ``A^T``.

On CPU (float32/64) each is one parallel numba pass that reads the CSR in place; building
the sub-matrices with torch ops first costs more than the product itself (a gather of a
third of the edges, or a mask over all of them). Elsewhere the sub-matrix is built with
torch ops and multiplied with the core backend's kernel.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor

from ..sparse.backend import get_backend

__all__ = ["rows_product", "columns_product"]

CSR = Tuple[Tensor, Tensor, Optional[Tensor]]
_KERNELS = None


def _kernels():
    """Compile (once, cached on disk) the two CPU kernels; None without numba."""
    global _KERNELS
    if _KERNELS is None:
        try:
            import numba
        except ImportError:
            _KERNELS = False
            return None
        fast = {"reassoc", "contract", "nsz"}

        @numba.njit(parallel=True, cache=True, fastmath=fast)
        def rows_kernel(rowptr, col, val, se, rows, x, out):  # pragma: no cover - compiled
            d = x.shape[1]
            for j in numba.prange(rows.shape[0]):
                r = rows[j]
                for k in range(d):
                    out[j, k] = 0.0
                for e in range(rowptr[r], rowptr[r + 1]):
                    w = val[e * se]
                    c = col[e]
                    for k in range(d):
                        out[j, k] += w * x[c, k]

        @numba.njit(parallel=True, cache=True, fastmath=fast)
        def columns_kernel(rowptr, col, val, se, pos, g, out):  # pragma: no cover - compiled
            d = g.shape[1]
            for t in numba.prange(rowptr.shape[0] - 1):
                for k in range(d):
                    out[t, k] = 0.0
                for e in range(rowptr[t], rowptr[t + 1]):
                    p = pos[col[e]]
                    if p >= 0:
                        w = val[e * se]
                        for k in range(d):
                            out[t, k] += w * g[p, k]

        _KERNELS = (rows_kernel, columns_kernel)
    return _KERNELS or None


def _cpu_kernels(x: Tensor):
    if x.device.type != "cpu" or x.dtype not in (torch.float32, torch.float64):
        return None
    kernels = _kernels()
    if kernels is not None:
        import numba
        numba.set_num_threads(max(1, min(torch.get_num_threads(), numba.config.NUMBA_NUM_THREADS)))
    return kernels


def _weights(value: Optional[Tensor], x: Tensor):
    """``(array, stride)``: the edge weights, or a one-element 1 read with stride 0."""
    if value is None:
        return torch.ones(1, dtype=x.dtype).numpy(), 0
    return value.reshape(-1).to(x.dtype).contiguous().numpy(), 1


def _spmm(rowptr: Tensor, col: Tensor, value: Optional[Tensor], x: Tensor) -> Tensor:
    return get_backend(x).spmm_sum(rowptr, col, value, x.contiguous().unsqueeze(1)).squeeze(1)


def rows_product(csr: CSR, rows: Tensor, x: Tensor) -> Tensor:
    """``(A x)[rows]`` for a CSR ``A = (rowptr, col, value [E] / [E, 1] or None)``.

    Args:
        csr: the matrix; rows: ``[R]`` int64 row ids; x: ``[num_cols, d]``.

    Returns:
        ``[R, d]``.
    """
    rowptr, col, value = csr
    kernels = _cpu_kernels(x)
    if kernels is not None:
        x = x.contiguous()
        out = torch.empty(rows.numel(), x.size(1), dtype=x.dtype)
        val, se = _weights(value, x)
        kernels[0](rowptr.numpy(), col.numpy(), val, se, rows.contiguous().numpy(), x.numpy(), out.numpy())
        return out
    start = rowptr.index_select(0, rows)
    deg = rowptr.index_select(0, rows + 1) - start
    sub = torch.zeros(rows.numel() + 1, dtype=rowptr.dtype, device=rowptr.device)
    torch.cumsum(deg, 0, out=sub[1:])
    total = int(sub[-1])
    # edge e of the block is edge start[r] + (e - sub[r]) of A, r its row
    eid = torch.arange(total, device=rowptr.device) + torch.repeat_interleave(start - sub[:-1], deg, output_size=total)
    return _spmm(sub, col.index_select(0, eid), value.index_select(0, eid) if value is not None else None, x)


def columns_product(csr: CSR, cols: Tensor, num_cols: int, g: Tensor) -> Tensor:
    """``A[:, cols] g``: the product with the columns ``cols`` (unique) of ``A`` only.

    Args:
        csr: the matrix ``A`` with ``num_cols`` columns.
        cols: ``[R]`` unique int64 column ids; g: ``[R, d]`` (row ``j`` multiplies column ``cols[j]``).

    Returns:
        ``[num_rows, d]``.
    """
    rowptr, col, value = csr
    pos = torch.full((num_cols,), -1, dtype=torch.long, device=col.device)
    pos[cols] = torch.arange(cols.numel(), device=col.device)
    kernels = _cpu_kernels(g)
    if kernels is not None:
        g = g.contiguous()
        out = torch.empty(rowptr.numel() - 1, g.size(1), dtype=g.dtype)
        val, se = _weights(value, g)
        kernels[1](rowptr.numpy(), col.numpy(), val, se, pos.numpy(), g.numpy(), out.numpy())
        return out
    mapped = pos.index_select(0, col)
    keep = mapped >= 0
    kept = torch.zeros(col.numel() + 1, dtype=torch.long, device=col.device)
    torch.cumsum(keep, 0, out=kept[1:])
    idx = keep.nonzero().view(-1)
    return _spmm(kept.index_select(0, rowptr), mapped.index_select(0, idx),
                 value.index_select(0, idx) if value is not None else None, g)
