"""Vectorised torch version of one-hop neighbour sampling (any device, no Python loop per
node): the fallback and reference of the numba kernel, with the same distribution.

Without replacement, a node with more neighbours than the fan-out keeps a uniform subset:
Floyd's algorithm run on all such rows at once for small fan-outs, else the neighbours
whose random keys are smallest (rand + one segmented argsort);
with replacement, every draw is an independent uniform position in the node's row.
New source nodes are numbered in increasing global id (found by marking a dense ``[N]``
scratch and listing the marks, an ``O(N)`` scan per layer) (the numba kernel numbers them in
order of first occurrence; neither order is part of the contract).
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor

__all__ = ["sample_layer_torch"]


def _segment_offsets(counts: Tensor, total: int) -> Tuple[Tensor, Tensor]:
    """``(seg [total], j [total])``: the segment of every slot and its offset within it."""
    seg = torch.repeat_interleave(torch.arange(counts.numel(), device=counts.device), counts, output_size=total)
    starts = torch.cumsum(counts, 0) - counts
    return seg, torch.arange(total, device=counts.device) - starts[seg]


# Floyd's algorithm (one vectorised step per draw, O(fanout^2) compares per row) up to
# this fan-out; random keys and one segmented argsort above it.
_FLOYD_MAX = 32


def _floyd_rows(deg: Tensor, c: int, generator: Optional[torch.Generator], gdev) -> Tensor:
    """``[P * c]`` offsets: a uniform ``c``-subset of ``0..deg[p]-1`` for every row ``p``
    (all ``deg > c``), row after row, by Floyd's algorithm run on all rows at once."""
    P = deg.numel()
    # Step-major [c, P] so every step reads and writes contiguous rows.
    u = torch.rand(c, P, generator=generator, dtype=torch.float64, device=gdev).to(deg.device)
    chosen = torch.empty(c, P, dtype=torch.long, device=deg.device)
    for step in range(c):
        j = deg - (c - step)  # draw from 0..j, take j itself if the draw was taken
        t = torch.minimum((u[step] * (j + 1).to(torch.float64)).long(), j)
        if step:
            t = torch.where((chosen[:step] == t).any(0), j, t)
        chosen[step] = t
    return chosen.t().reshape(-1)


def _argsort_rows(deg: Tensor, c: int, generator: Optional[torch.Generator], gdev) -> Tensor:
    """Same contract as :func:`_floyd_rows`: keep the ``c`` smallest of ``deg[p]`` random
    keys of every row (one argsort of all keys, the row id as the integer part)."""
    total = int(deg.sum())
    seg, pj = _segment_offsets(deg, total)
    key = seg.to(torch.float64).add_(torch.rand(total, generator=generator, dtype=torch.float64,
                                                device=gdev).to(deg.device))
    order = torch.argsort(key)
    keep = (pj < c).nonzero().view(-1)  # the first `c` sorted slots of every row
    return pj.index_select(0, order.index_select(0, keep))


def sample_layer_torch(rowptr: Tensor, col: Tensor, frontier: Tensor, fanout: int, replace: bool,
                       generator: Optional[torch.Generator], scratch: Tensor
                       ) -> Tuple[Tensor, Tensor, Tensor, Tensor, bool]:
    """Same contract as :func:`graphssl.sampling._numba_kernels._sample_layer`, with
    ``scratch`` an ``int64 [N]`` tensor of ``-1`` (restored on exit).

    Returns:
        ``(ptr [F + 1], local_col [E], edge_pos [E], new_nodes [U], ok)``.
    """
    dev = frontier.device
    F = frontier.numel()
    start = rowptr.index_select(0, frontier)
    deg = rowptr.index_select(0, frontier + 1) - start
    if fanout < 0:
        cnt = deg
    elif replace:
        cnt = torch.where(deg > 0, torch.full_like(deg, fanout), torch.zeros_like(deg))
    else:
        cnt = deg.clamp_max(fanout)
    ptr = torch.zeros(F + 1, dtype=torch.long, device=dev)
    torch.cumsum(cnt, 0, out=ptr[1:])
    E = int(ptr[-1])
    dst, j = _segment_offsets(cnt, E)
    gdev = generator.device if generator is not None else dev
    if replace and fanout >= 0:
        u = torch.rand(E, generator=generator, dtype=torch.float64, device=gdev).to(dev)
        d = deg.index_select(0, dst)
        off = torch.minimum((u * d.to(torch.float64)).long(), d - 1)
    else:
        off = j
        partial = cnt < deg
        rows = partial.nonzero().view(-1)
        if rows.numel():
            pdeg = deg.index_select(0, rows)
            if fanout <= _FLOYD_MAX:
                chosen = _floyd_rows(pdeg, fanout, generator, gdev)
            else:
                chosen = _argsort_rows(pdeg, fanout, generator, gdev)
            slots = partial.index_select(0, dst).nonzero().view(-1)
            off = j.index_copy(0, slots, chosen)
    pos = start.index_select(0, dst).add_(off)
    gid = col.index_select(0, pos)
    ids = torch.arange(F, device=dev)
    scratch.index_copy_(0, frontier, ids)
    ok = bool(torch.equal(scratch.index_select(0, frontier), ids))
    if not ok:
        scratch.index_fill_(0, frontier, -1)
        empty = torch.zeros(0, dtype=torch.long, device=dev)
        return ptr, empty, empty, empty, False
    # Dedupe the new sources with the dense scratch: mark, then list the marks.
    seen = scratch.index_select(0, gid)
    cand = gid.index_select(0, (seen < 0).nonzero().view(-1))
    scratch.index_fill_(0, cand, -2)
    new = (scratch == -2).nonzero().view(-1)
    scratch.index_copy_(0, new, torch.arange(F, F + new.numel(), device=dev))
    local = scratch.index_select(0, gid)
    scratch.index_fill_(0, frontier, -1)
    scratch.index_fill_(0, new, -1)
    return ptr, local, pos, new, True
