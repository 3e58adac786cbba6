"""Numba kernel: approximate personalised PageRank by local push, top-k per source.

For every source ``s`` the push algorithm of Andersen, Chung and Lang computes
``p_s ~= row s of alpha (I - (1 - alpha) D^-1 A)^-1`` touching only nodes near ``s``; the
kernel then keeps the ``k`` largest entries. The kernel is serial and releases the GIL,
so :func:`push_topk` runs ranges of sources on a thread pool (cheaper to compile than a
numba ``prange`` loop); each range keeps dense scratch arrays and resets only the entries
it touched, so the cost per source is proportional to the work done, not to ``N``.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

__all__ = ["push_topk"]


@numba.njit(nogil=True, cache=True)
def _push_sources(lo, hi, rowptr, col, w, deg, alpha, eps, topk, beta, out_idx, out_val):  # pragma: no cover
    """Push for sources ``lo..hi-1``, writing rows ``lo..hi-1`` of the outputs."""
    n = rowptr.shape[0] - 1
    p = np.zeros(n)
    r = np.zeros(n)
    seen = np.zeros(n, np.bool_)
    inq = np.zeros(n, np.bool_)
    queue = np.empty(n, np.int64)
    touched = np.empty(n, np.int64)
    best_val = np.empty(topk)
    best_idx = np.empty(topk, np.int64)
    for s in range(lo, hi):
        r[s] = 1.0
        seen[s] = True
        touched[0] = s
        nt = 1
        queue[0] = s
        inq[s] = True
        head = 0
        size = 1
        while size > 0:
            u = queue[head]
            head += 1
            if head == n:
                head = 0
            size -= 1
            inq[u] = False
            ru = r[u]
            r[u] = 0.0
            p[u] += alpha * ru
            du = deg[u]
            if du <= 0.0:
                continue
            share = (1.0 - alpha) * ru / du
            for e in range(rowptr[u], rowptr[u + 1]):
                v = col[e]
                r[v] += share * w[e]
                if not seen[v]:
                    seen[v] = True
                    touched[nt] = v
                    nt += 1
                if not inq[v] and r[v] >= eps * deg[v]:
                    tail = head + size
                    if tail >= n:
                        tail -= n
                    queue[tail] = v
                    size += 1
                    inq[v] = True
        # Top-k by insertion into a sorted buffer (k is small).
        m = 0
        for j in range(nt):
            i = touched[j]
            sc = p[i] * deg[i] ** (-beta) if deg[i] > 0.0 else p[i]
            if sc <= 0.0 or (m == topk and sc <= best_val[m - 1]):
                continue
            pos = m if m < topk else topk - 1
            while pos > 0 and best_val[pos - 1] < sc:
                if pos < topk:
                    best_val[pos] = best_val[pos - 1]
                    best_idx[pos] = best_idx[pos - 1]
                pos -= 1
            best_val[pos] = sc
            best_idx[pos] = i
            if m < topk:
                m += 1
        ds = deg[s] ** beta if deg[s] > 0.0 else 1.0
        for j in range(m):
            out_idx[s, j] = best_idx[j]
            out_val[s, j] = best_val[j] * ds
        for j in range(nt):
            i = touched[j]
            p[i] = 0.0
            r[i] = 0.0
            seen[i] = False


def push_topk(rowptr: np.ndarray, col: np.ndarray, w: np.ndarray, deg: np.ndarray, alpha: float, eps: float,
              topk: int, beta: float, out_idx: np.ndarray, out_val: np.ndarray, num_threads: int = 1) -> None:
    """Fill ``out_idx [N, topk]`` (-1 padded) and ``out_val [N, topk]`` with the top-k of
    ``p_s[i] * (deg[s] / deg[i]) ** beta`` for every source ``s``, descending.

    ``rowptr``/``col``/``w`` are the CSR (``A[u, v] = w`` for ``v`` in row ``u``), ``deg``
    the row sums, ``eps`` the push tolerance (push while ``r[v] >= eps * deg[v]``).
    """
    n = rowptr.shape[0] - 1
    chunks = min(n, max(1, num_threads) * 4)
    bounds = [(c * n // chunks, (c + 1) * n // chunks) for c in range(chunks)]
    args = (rowptr, col, w, deg, float(alpha), float(eps), int(topk), float(beta), out_idx, out_val)
    if num_threads <= 1 or chunks <= 1:
        for lo, hi in bounds:
            _push_sources(lo, hi, *args)
        return
    with ThreadPoolExecutor(max_workers=num_threads) as pool:
        for f in [pool.submit(_push_sources, lo, hi, *args) for lo, hi in bounds]:
            f.result()
