"""Numba kernels of the samplers: one-hop neighbour sampling with relabelling, induced
subgraphs of node groups, personalised-PageRank push from seeds.

Randomness: every destination node (or walk, or seed) draws from its own SplitMix64
stream started from ``(call seed, its index)``, so results depend only on the seed, never
on the number of threads or on how work is split among them.

Relabelling: the caller keeps one ``int32 [N]`` scratch array and reuses it across
calls, so a call's cost is proportional to the sample, not to ``N``. The induced-subgraph
kernel resets the entries it marked (to ``UNSEEN``) before it returns; the neighbour
sampler's :class:`Workspace` skips the reset by numbering each call's nodes above the
last call's (entries below the call's base are stale). Sampling runs in parallel over
rows; relabelling is one serial pass in edge order (new nodes numbered by first
occurrence, deterministic), made fast by prefetching the scratch entries of the edges
ahead. On large layers the relabelling of the rows already sampled runs beside the
sampling of the rest (:class:`_Pipeline`), in the same order.

Parallelism: the kernels are serial, release the GIL, and work on a range of rows
(walks, seeds); :func:`run_chunks` runs the ranges on a small thread pool. Waiting on a
pool sleeps instead of spinning (numba's OpenMP layer spins, which costs a shared,
oversubscribed machine dearly), and unlike OpenMP the pool is safe in forked
``DataLoader`` workers (a process gets its own pool).
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Dict, Optional

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = ["UNSEEN", "new_scratch", "Workspace", "sample_layer", "induced_groups", "push_topk", "random_walks"]

#: Value of a scratch entry that no sampled node occupies. The scratch is int32 (half
#: the cache footprint of int64: its random accesses dominate relabelling), which bounds
#: graphs and sampled layers to 2**31 - 1 nodes.
UNSEEN = np.iinfo(np.int32).max

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S27, _S30, _S31, _S32 = np.uint64(27), np.uint64(30), np.uint64(31), np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
# Without replacement, Floyd's algorithm (with a linear duplicate check) up to this
# fan-out; selection sampling (one pass over the row) above it.
_FLOYD_MAX = 48
# Software prefetch distances: rows ahead for rowptr and for col, edges ahead for scratch.
_AHEAD_ROWS = 16
_AHEAD_COLS = 4
_AHEAD_EDGES = 32
# Layers with at least this many sampled edges overlap sampling and relabelling (on more
# than one thread), in at most _PIPELINE_CHUNKS chunks of about this many edges or more.
_PIPELINE_EDGES = 1 << 14
_PIPELINE_EDGES_PER_CHUNK = 1 << 14
_PIPELINE_CHUNKS = 64


# ---------------------------------------------------------------------------- primitives
@intrinsic
def _prefetch(typingctx, arr, byte_offset):  # pragma: no cover - compiled
    """Hint the CPU to fetch the cache line at ``arr``'s data + ``byte_offset`` (a hint:
    no fault when out of range)."""
    if not isinstance(arr, types.Array) or not isinstance(byte_offset, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        off = context.cast(builder, args[1], signature.args[1], types.int64)
        ptr = builder.gep(builder.bitcast(data, i8p), [off])
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = builder.module.declare_intrinsic("llvm.prefetch", [i8p], fnty)
        builder.call(fn, [ptr, i32(0), i32(3), i32(1)])  # read, keep in cache, data
        return context.get_dummy_value()
    return types.void(arr, byte_offset), codegen


@intrinsic
def _ctz(typingctx, x):  # pragma: no cover - compiled
    """Number of trailing zero bits of the unsigned integer ``x`` (its bit width for 0)."""
    if not isinstance(x, types.Integer) or x.signed:
        return None

    def codegen(context, builder, signature, args):
        return builder.cttz(args[0], ir.Constant(ir.IntType(1), 0))  # 0 is defined
    return x(x), codegen


@numba.njit(inline="always")
def _mix(z):  # pragma: no cover - compiled
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@numba.njit(inline="always")
def _stream(seed, i):  # pragma: no cover - compiled
    """Start state of stream ``i`` of the call seeded ``seed``."""
    return _mix(np.uint64(seed) ^ (np.uint64(i) * _GOLDEN + _M2))


@numba.njit(inline="always")
def _below(state, n):  # pragma: no cover - compiled
    """Advance ``state``; return ``(new state, uniform integer in [0, n))`` for ``n < 2**32``."""
    state = state + _GOLDEN
    r = _mix(state) >> _S32
    return state, np.int64((r * np.uint64(n)) >> _S32)


@numba.njit(inline="always")
def _unit(state):  # pragma: no cover - compiled
    """Advance ``state``; return ``(new state, uniform float in [0, 1))``."""
    state = state + _GOLDEN
    return state, (_mix(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


_POOLS: Dict[int, ThreadPoolExecutor] = {}
_POOL_LOCK = threading.Lock()


def _pool(num_threads: int) -> ThreadPoolExecutor:
    """This process's pool of ``num_threads`` threads (a forked child makes its own)."""
    key = (os.getpid(), num_threads)
    with _POOL_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            pool = _POOLS[key] = ThreadPoolExecutor(max_workers=num_threads, thread_name_prefix="graphssl-sampling")
        return pool


def run_chunks(fn: Callable[[int, int], None], bounds: np.ndarray, num_threads: int) -> None:
    """Call ``fn(bounds[k], bounds[k+1])`` for every chunk ``k``, on ``num_threads``
    threads (in this thread for one). ``fn`` must release the GIL to run in parallel."""
    chunks = [(int(bounds[k]), int(bounds[k + 1])) for k in range(len(bounds) - 1) if bounds[k + 1] > bounds[k]]
    if num_threads <= 1 or len(chunks) <= 1:
        for lo, hi in chunks:
            fn(lo, hi)
        return
    for f in [_pool(num_threads).submit(fn, lo, hi) for lo, hi in chunks]:
        f.result()


def even_bounds(n: int, chunks: int) -> np.ndarray:
    """``[chunks + 1]`` bounds splitting ``0..n`` into about equal ranges."""
    chunks = max(1, min(chunks, n))
    return (n * np.arange(chunks + 1)) // chunks


# ---------------------------------------------------------------------------- neighbour sampling
@numba.njit(inline="always")
def _floyd_add(mask, t, j):  # pragma: no cover - compiled
    """One step of Floyd's algorithm on a bit set: add ``t``, or ``j`` if ``t`` is taken."""
    bit = np.uint64(1) << np.uint64(t)
    if mask & bit:
        bit = np.uint64(1) << np.uint64(j)
    return mask | bit


@numba.njit(inline="always")
def _subset_mask(st, d, c):  # pragma: no cover - compiled
    """Floyd's algorithm with a bit set: a uniform ``c``-subset of ``0..d-1`` (``d <= 64``).
    Each generator step serves two draws (its high and its low 32 bits)."""
    mask = np.uint64(0)
    for j in range(d - c, d - 1, 2):
        st = st + _GOLDEN
        r = _mix(st)
        mask = _floyd_add(mask, np.int64(((r >> _S32) * np.uint64(j + 1)) >> _S32), j)
        mask = _floyd_add(mask, np.int64(((r & _LOW32) * np.uint64(j + 2)) >> _S32), j + 1)
    if c % 2:
        st, t = _below(st, d)
        mask = _floyd_add(mask, t, d - 1)
    return st, mask


@numba.njit(cache=True)
def _layer_sizes(rowptr, frontier, fanout, replace, start, deg):  # pragma: no cover - compiled
    """Fill ``start[i]``/``deg[i]`` (row offset and in-degree of frontier node ``i``) and
    return ``ptr [F + 1]``, the output offsets. Serial (a parallel region costs more than
    it saves here): independent random reads of ``rowptr``, prefetched rows ahead."""
    F = frontier.shape[0]
    ptr = np.empty(F + 1, np.int64)
    ptr[0] = 0
    for i in range(F):
        if i + _AHEAD_ROWS < F:
            _prefetch(rowptr, frontier[i + _AHEAD_ROWS] * 8)
        v = frontier[i]
        s0 = rowptr[v]
        d = rowptr[v + 1] - s0
        start[i] = s0
        deg[i] = d
        if fanout < 0:
            c = d
        elif replace:
            c = fanout if d > 0 else 0
        else:
            c = min(d, fanout)
        ptr[i + 1] = ptr[i] + c
    return ptr


@numba.njit(nogil=True, cache=True)
def _sample_range(col, start, deg, ptr, fanout, replace, seed, keep_pos, pos, gid, lo, hi):  # pragma: no cover - compiled
    """Write the sources of the sampled edges of rows ``lo..hi-1`` to ``gid[ptr[i]:ptr[i+1]]``
    and, when ``keep_pos``, their CSR positions to ``pos`` (which the rows of more than 64
    neighbours use as scratch either way). Row ``i``'s draws come from its own stream."""
    for i in range(lo, hi):
        if i + _AHEAD_COLS < hi:
            a = start[i + _AHEAD_COLS] * 8
            for q in range(min(deg[i + _AHEAD_COLS] // 8 + 1, 4)):
                _prefetch(col, a + 64 * q)
        s0 = start[i]
        d = deg[i]
        o = ptr[i]
        c = ptr[i + 1] - o
        if c == 0:
            continue
        if replace and fanout >= 0:
            st = _stream(seed, i)
            for j in range(c):
                st, t = _below(st, d)
                gid[o + j] = col[s0 + t]
                if keep_pos:
                    pos[o + j] = s0 + t
            continue
        if c == d:
            for j in range(c):
                gid[o + j] = col[s0 + j]
                if keep_pos:
                    pos[o + j] = s0 + j
            continue
        st = _stream(seed, i)
        if d <= 64:
            # Draw the smaller of the kept and the dropped sets as a bit set; emit the kept
            # positions in row order, lowest bit first. The complement's bits above d - 1
            # are never reached: its c lowest set bits are the kept ones.
            if 2 * c <= d:
                st, mask = _subset_mask(st, d, c)
            else:
                st, mask = _subset_mask(st, d, d - c)
                mask = ~mask
            for m in range(c):
                j = np.int64(_ctz(mask))
                mask &= mask - np.uint64(1)
                gid[o + m] = col[s0 + j]
                if keep_pos:
                    pos[o + m] = s0 + j
            continue
        if c <= _FLOYD_MAX:
            # Floyd with a linear duplicate check (c is small).
            m = 0
            for j in range(d - c, d):
                st, t = _below(st, j + 1)
                p = s0 + t
                for q in range(m):
                    if pos[o + q] == p:
                        p = s0 + j
                        break
                pos[o + m] = p
                m += 1
        else:
            # Selection sampling (Knuth's algorithm S): one pass, row order.
            m = 0
            for j in range(d):
                st, u = _unit(st)
                if u * (d - j) < c - m:
                    pos[o + m] = s0 + j
                    m += 1
                    if m == c:
                        break
        for j in range(o, o + c):
            gid[j] = col[pos[j]]


@numba.njit(nogil=True, cache=True)
def _mark_frontier(frontier, scratch, base):  # pragma: no cover - compiled
    """Give frontier node ``i`` the id ``base + i``; False when the frontier has duplicates."""
    ok = True
    for i in range(frontier.shape[0]):
        if scratch[frontier[i]] >= base:
            ok = False
        scratch[frontier[i]] = base + i
    return ok


@numba.njit(nogil=True, cache=True)
def _relabel_range(gid, scratch, base, local, new_buf, F, U, lo, hi):  # pragma: no cover - compiled
    """Local ids of the sources ``gid[lo:hi]`` given ``U`` new nodes numbered so far
    (``F, F+1, ...`` in order of first occurrence, written to ``new_buf``); returns the new
    ``U``. A scratch entry below ``base`` is stale (an earlier call's); local id ``k`` is
    stored as ``base + k``. The scratch entries of edges ahead are prefetched."""
    for j in range(lo, hi):
        if j + _AHEAD_EDGES < hi:
            _prefetch(scratch, gid[j + _AHEAD_EDGES] * 4)
        g = gid[j]
        s1 = scratch[g]
        # branch-free (whether a source is new is unpredictable): always write, advance
        # the count of new nodes by 0 or 1; 1.6x faster than branching
        new = s1 < base
        s1 = np.int32(base + F + U) if new else s1
        scratch[g] = s1
        new_buf[U] = g
        U += np.int64(new)
        local[j] = s1 - base
    return U


class _Pipeline:
    """Sampling of row chunks overlapped with the serial relabelling of the chunks already
    sampled, in order: every worker relabels the next chunk when it is ready and no one
    else is relabelling, and otherwise samples the next chunk. The relabelling (a third of
    a layer's work, and serial) then runs beside the sampling instead of after it; the
    numbering is the serial pass's, chunk after chunk."""

    def __init__(self, sample: Callable[[int, int], None], relabel: Callable[[int, int], None],
                 bounds: np.ndarray) -> None:
        self.sample, self.relabel, self.bounds = sample, relabel, bounds
        self.n = len(bounds) - 1
        self.sampled = [False] * self.n
        self.next_sample = self.next_relabel = 0
        self.relabelling = False
        self.error: Optional[BaseException] = None
        self.cond = threading.Condition()

    def _task(self):
        """``(kind, chunk)`` to run next, or None when this worker is done (under the lock)."""
        while True:
            if self.error is not None or self.next_relabel >= self.n:
                return None
            if not self.relabelling and self.sampled[self.next_relabel]:
                self.relabelling = True
                return "relabel", self.next_relabel
            if self.next_sample < self.n:
                self.next_sample += 1
                return "sample", self.next_sample - 1
            if self.relabelling:  # the relabelling worker finishes the chain alone
                return None
            self.cond.wait()

    def worker(self) -> None:
        while True:
            with self.cond:
                task = self._task()
            if task is None:
                return
            kind, c = task
            lo, hi = int(self.bounds[c]), int(self.bounds[c + 1])
            try:
                (self.sample if kind == "sample" else self.relabel)(lo, hi)
            except BaseException as e:  # surfaced by run(); stop the other workers
                with self.cond:
                    self.error = e
                    self.cond.notify_all()
                return
            with self.cond:
                if kind == "sample":
                    self.sampled[c] = True
                else:
                    self.next_relabel += 1
                    self.relabelling = False
                self.cond.notify_all()

    def run(self, num_threads: int) -> None:
        futures = [_pool(num_threads).submit(self.worker) for _ in range(num_threads)]
        for f in futures:
            f.result()
        if self.error is not None:
            raise self.error


def new_scratch(num_nodes: int, fill: int = UNSEEN) -> np.ndarray:
    """An ``int32 [num_nodes]`` scratch of ``fill`` (``UNSEEN`` by default).

    Raises:
        ValueError: a graph too large for int32 ids.
    """
    if num_nodes >= UNSEEN:
        raise ValueError(f"the samplers handle graphs of up to {UNSEEN - 1} nodes, got {num_nodes}")
    return np.full(num_nodes, fill, np.int32)


class Workspace:
    """Per-sampler state reused across calls: the ``[N]`` relabel scratch and the
    intermediate per-edge arrays (fresh large arrays would cost a page fault per 4 KiB
    on every call).

    The scratch is never reset entry by entry: each call numbers its nodes from its own
    ``base`` (:meth:`claim`), above every earlier call's ids, so entries below the base
    are stale. Only when the ids would pass int32 is the whole scratch refilled.
    """

    def __init__(self, num_nodes: int) -> None:
        self.scratch = new_scratch(num_nodes, -1)
        self.base = 0
        self._bufs = {}

    def claim(self, count: int) -> int:
        """The base of a call that numbers up to ``count`` nodes (``count < 2**31 - 1``)."""
        if self.base + count >= UNSEEN:
            self.scratch.fill(-1)
            self.base = 0
        base = self.base
        self.base += count
        return base

    def get(self, name: str, size: int) -> np.ndarray:
        """An int64 buffer of at least ``size`` entries (grown by half when too small)."""
        buf = self._bufs.get(name)
        if buf is None or buf.shape[0] < size:
            buf = np.empty(max(size, int(1.5 * (buf.shape[0] if buf is not None else 0)), 1), np.int64)
            self._bufs[name] = buf
        return buf


def _output_chunks(ptr: np.ndarray, chunks: int) -> np.ndarray:
    """``[chunks + 1]`` bounds splitting the rows of the output offsets ``ptr`` into chunks of
    about equal output."""
    bounds = np.searchsorted(ptr, (int(ptr[-1]) * np.arange(chunks + 1)) // chunks)
    bounds[-1] = ptr.shape[0] - 1
    return bounds


def sample_layer(rowptr: np.ndarray, col: np.ndarray, frontier: np.ndarray, fanout: int, replace: bool,
                 seed: int, work: Workspace, num_threads: int, keep_pos: bool):
    """Sample up to ``fanout`` in-neighbours of every frontier node and relabel them.

    Args:
        rowptr, col: CSR of the graph (row ``t`` lists the sources of edges into ``t``).
        frontier: ``[F]`` unique global ids: the layer's destination nodes.
        fanout: neighbours per node; ``-1`` takes all of them.
        replace: with replacement (``fanout`` draws for every node with a neighbour).
        seed: non-negative int seeding the call.
        work: the sampler's :class:`Workspace`.
        num_threads: threads for the sampling pass.
        keep_pos: return the edges' CSR positions (else None).

    Returns:
        ``(ptr [F + 1], local_col [E], edge_pos [E] or None, src_nodes [F + U], ok)``:
        the block's CSR with sources as local ids (frontier first, then new nodes in
        order of first occurrence), and ``ok`` False when ``frontier`` has duplicates
        (nothing else is then meaningful).

    Raises:
        ValueError: a layer with ``2**31 - 1`` nodes or more.
    """
    F = frontier.shape[0]
    start, deg = work.get("start", F)[:F], work.get("deg", F)[:F]
    ptr = _layer_sizes(rowptr, frontier, fanout, replace, start, deg)
    E = int(ptr[F])
    if F + E >= UNSEEN:
        raise ValueError(f"a sampled layer of {E} edges from {F} nodes exceeds 2**31 - 1 nodes; use smaller "
                         "batches or fan-outs")
    pos = np.empty(E, np.int64) if keep_pos else work.get("pos", E)[:E]
    gid = work.get("gid", E)[:E]
    local = np.empty(E, np.int64)
    # the new nodes are numbered straight into the output, after the frontier; it is
    # returned as a view (its unused tail, 8 bytes per edge at most, is not worth a copy)
    src = np.empty(F + E, np.int64)
    src[:F] = frontier
    new_buf = src[F:]
    base = work.claim(F + E)

    def sample(lo: int, hi: int) -> None:
        _sample_range(col, start, deg, ptr, fanout, replace, seed, keep_pos, pos, gid, lo, hi)

    U = 0
    if num_threads > 1 and E >= _PIPELINE_EDGES:
        # chunks small enough for the relabelling to follow the sampling closely
        bounds = _output_chunks(ptr, int(min(_PIPELINE_CHUNKS, max(2 * num_threads, E // _PIPELINE_EDGES_PER_CHUNK))))
        ok, marked = True, False

        def relabel(lo: int, hi: int) -> None:
            nonlocal U, ok, marked
            if not marked:  # the frontier's ids first, beside the sampling of the next chunks
                ok, marked = _mark_frontier(frontier, work.scratch, base), True
            if ok:
                U = _relabel_range(gid, work.scratch, base, local, new_buf, F, U, int(ptr[lo]), int(ptr[hi]))

        _Pipeline(sample, relabel, bounds).run(num_threads)
    else:
        ok = _mark_frontier(frontier, work.scratch, base)
        if ok:
            run_chunks(sample, _output_chunks(ptr, 2 * num_threads), num_threads)  # a few per thread
            U = _relabel_range(gid, work.scratch, base, local, new_buf, F, 0, 0, E)
    return ptr, local, (pos if keep_pos else None), src[:F + U], ok


# ---------------------------------------------------------------------------- induced subgraphs
def _induced_groups(rowptr, col, nodes, node_ptr, scratch):  # pragma: no cover - compiled
    """Induced subgraph of every group ``nodes[node_ptr[b]:node_ptr[b+1]]`` (unique ids),
    as one disjoint union: returns ``(ptr [K + 1], local_col [E'], edge_pos [E'])`` with
    group ``b``'s nodes numbered ``node_ptr[b]..`` in the given order. Serial: groups may
    share nodes, and each needs the scratch to itself."""
    K = nodes.shape[0]
    B = node_ptr.shape[0] - 1
    ptr = np.zeros(K + 1, np.int64)
    for b in range(B):
        for k in range(node_ptr[b], node_ptr[b + 1]):
            scratch[nodes[k]] = k
        for k in range(node_ptr[b], node_ptr[b + 1]):
            v = nodes[k]
            n = 0
            for e in range(rowptr[v], rowptr[v + 1]):
                s = scratch[col[e]]
                if s != UNSEEN:
                    n += 1
            ptr[k + 1] = n
        for k in range(node_ptr[b], node_ptr[b + 1]):
            scratch[nodes[k]] = UNSEEN
    for k in range(K):
        ptr[k + 1] += ptr[k]
    local = np.empty(ptr[K], np.int64)
    pos = np.empty(ptr[K], np.int64)
    for b in range(B):
        for k in range(node_ptr[b], node_ptr[b + 1]):
            scratch[nodes[k]] = k
        for k in range(node_ptr[b], node_ptr[b + 1]):
            v = nodes[k]
            o = ptr[k]
            for e in range(rowptr[v], rowptr[v + 1]):
                s = scratch[col[e]]
                if s != UNSEEN:
                    local[o] = s
                    pos[o] = e
                    o += 1
        for k in range(node_ptr[b], node_ptr[b + 1]):
            scratch[nodes[k]] = UNSEEN
    return ptr, local, pos


induced_groups = numba.njit(cache=True)(_induced_groups)
# ---------------------------------------------------------------------------- PPR push
@numba.njit(nogil=True, cache=True)
def _push_range(rowptr, col, w, deg, sources, alpha, eps, beta, keep_dead_mass, source_first,
                out_idx, out_val, lo, hi):  # pragma: no cover - compiled
    """Approximate personalised PageRank from ``sources[lo:hi]`` by local push (Andersen,
    Chung and Lang), moving mass from a row ``u`` of the CSR to its columns, and the top-k of
    each source's scores.

    ``w`` holds the edge weights (empty: all 1) and ``deg`` the row sums (empty: the row
    lengths, at least 1). A row is pushed while ``r[v] >= eps * deg[v]``. A row without
    edges keeps its whole residual when ``keep_dead_mass`` (else only the ``alpha`` share).
    Scores are ``p[i] * (deg[s] / deg[i]) ** beta``; row ``si`` of ``out_idx``/``out_val``
    gets the largest, descending (``-1`` / ``0`` padded), with the source itself first when
    ``source_first``. Dense scratch arrays of size ``N`` serve the whole range; only the
    entries a source touched are reset, so the cost per source is that of its push.
    """
    n = rowptr.shape[0] - 1
    topk = out_idx.shape[1]
    weighted = w.shape[0] > 0
    given_deg = deg.shape[0] > 0
    start = 1 if source_first else 0
    p = np.zeros(n)
    r = np.zeros(n)
    seen = np.zeros(n, np.bool_)
    inq = np.zeros(n, np.bool_)
    queue = np.empty(n, np.int64)
    touched = np.empty(n, np.int64)
    best_val = np.empty(topk)
    best_idx = np.empty(topk, np.int64)
    for si in range(lo, hi):
        s = sources[si]
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
            du = deg[u] if given_deg else max(rowptr[u + 1] - rowptr[u], 1)
            if rowptr[u + 1] == rowptr[u] or du <= 0.0:
                p[u] += ru if keep_dead_mass else alpha * ru
                continue
            p[u] += alpha * ru
            share = (1.0 - alpha) * ru / du
            for e in range(rowptr[u], rowptr[u + 1]):
                v = col[e]
                r[v] += share * w[e] if weighted else share
                if not seen[v]:
                    seen[v] = True
                    touched[nt] = v
                    nt += 1
                dv = deg[v] if given_deg else max(rowptr[v + 1] - rowptr[v], 1)
                if not inq[v] and r[v] >= eps * dv:
                    tail = head + size
                    if tail >= n:
                        tail -= n
                    queue[tail] = v
                    size += 1
                    inq[v] = True
        # Top-k by insertion into a sorted buffer (k is small), after the source if it leads.
        m = 0
        if source_first:
            best_idx[0] = s
            best_val[0] = p[s]
            m = 1
        for j in range(nt):
            i = touched[j]
            if (source_first and i == s) or start >= topk:
                continue
            di = deg[i] if given_deg else 1.0
            sc = p[i] * di ** (-beta) if di > 0.0 else p[i]
            if sc <= 0.0 or (m == topk and sc <= best_val[m - 1]):
                continue
            q = m if m < topk else topk - 1
            while q > start and best_val[q - 1] < sc:
                if q < topk:
                    best_val[q] = best_val[q - 1]
                    best_idx[q] = best_idx[q - 1]
                q -= 1
            best_val[q] = sc
            best_idx[q] = i
            if m < topk:
                m += 1
        ds = 1.0
        if given_deg and deg[s] > 0.0:
            ds = deg[s] ** beta
        for j in range(m):
            out_idx[si, j] = best_idx[j]
            out_val[si, j] = best_val[j] * ds
        for j in range(nt):
            i = touched[j]
            p[i] = 0.0
            r[i] = 0.0
            seen[i] = False


def push_topk(rowptr: np.ndarray, col: np.ndarray, sources: np.ndarray, alpha: float, eps: float, topk: int,
              num_threads: int, w: Optional[np.ndarray] = None, deg: Optional[np.ndarray] = None,
              beta: float = 0.0, keep_dead_mass: bool = True, source_first: bool = True):
    """``(idx [S, topk], score [S, topk])``: the approximate-PPR top-k of every source (see
    :func:`_push_range`), on ``num_threads`` threads (one range of sources each).

    Defaults are the local-cluster sampler's (unweighted, the seed first, a dead end keeps
    its mass); the diffusion augmenter passes weights, weighted degrees and ``beta``.
    """
    S = sources.shape[0]
    out_idx = np.full((S, topk), -1, np.int64)
    out_val = np.zeros((S, topk), np.float64)
    w = np.empty(0, np.float64) if w is None else np.ascontiguousarray(w, np.float64)
    deg = np.empty(0, np.float64) if deg is None else np.ascontiguousarray(deg, np.float64)
    args = (rowptr, col, w, deg, np.ascontiguousarray(sources, np.int64), float(alpha), float(eps), float(beta),
            bool(keep_dead_mass), bool(source_first), out_idx, out_val)
    run_chunks(lambda lo, hi: _push_range(*args, lo, hi), even_bounds(S, num_threads), num_threads)
    return out_idx, out_val


# ---------------------------------------------------------------------------- random walks
@numba.njit(nogil=True, cache=True)
def _walk_range(rowptr, col, start, seed, out, lo, hi):  # pragma: no cover - compiled
    """Rows ``lo..hi-1`` of ``out [W, length + 1]``: uniform walks over incoming edges
    (a node without any stays), walk ``w`` drawing from its own stream."""
    length = out.shape[1] - 1
    for w in range(lo, hi):
        st = _stream(seed, w)
        v = start[w]
        out[w, 0] = v
        for j in range(length):
            d = rowptr[v + 1] - rowptr[v]
            if d > 0:
                st, t = _below(st, d)
                v = col[rowptr[v] + t]
            out[w, j + 1] = v


def random_walks(rowptr: np.ndarray, col: np.ndarray, start: np.ndarray, length: int, seed: int,
                 num_threads: int) -> np.ndarray:
    """``[W, length + 1]`` walks of :func:`_walk_range` on ``num_threads`` threads."""
    out = np.empty((start.shape[0], int(length) + 1), np.int64)
    run_chunks(lambda lo, hi: _walk_range(rowptr, col, start, seed, out, lo, hi),
               even_bounds(start.shape[0], 4 * num_threads), num_threads)
    return out
