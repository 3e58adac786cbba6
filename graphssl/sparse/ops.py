"""Differentiable sparse ops of the message-passing core.

Every op dispatches its primitives to the backend chosen by
:func:`graphssl.sparse.backend.get_backend` and has a backward that uses the graph's
cached transpose (no atomics). Shapes: node features are ``[N, F]`` or, for multi-head
layers, ``[N, H, D]``; edge weights/scores are ``[E]`` or ``[E, H]``.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor
from torch.autograd import Function
from torch.autograd.function import once_differentiable

from .backend import get_backend
from .graph import Graph

__all__ = ["spmm", "gather_scatter", "edge_softmax", "segment_softmax", "sddmm", "segment_reduce",
           "edge_cosine", "gat_aggregate"]

_REDUCES = ("sum", "add", "mean", "max", "min")


# ---------------------------------------------------------------------------- checks
def _check_graph(graph: Graph) -> None:
    if not isinstance(graph, Graph):
        raise ValueError(f"expected a graphssl.sparse.Graph, got {type(graph).__name__}")


def _as_heads(x: Tensor, name: str, num_rows: int, what: str) -> Tuple[Tensor, bool]:
    """View ``x`` as ``[N, H, D]``; return it and whether it was 2-D."""
    if not isinstance(x, Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise ValueError(f"{name} must be floating point, got {x.dtype}")
    if x.dim() not in (2, 3):
        raise ValueError(f"{name} must be [N, F] or [N, H, D], got shape {tuple(x.shape)}")
    if x.size(0) != num_rows:
        raise ValueError(f"{name} has {x.size(0)} rows but the graph has {num_rows} {what}")
    return (x.unsqueeze(1) if x.dim() == 2 else x).contiguous(), x.dim() == 2


def _edge_values(w: Optional[Tensor], graph: Graph, heads: int, name: str = "edge_weight") -> Optional[Tensor]:
    """View per-edge weights as ``[E, 1]`` or ``[E, H]``."""
    if w is None:
        return None
    if not isinstance(w, Tensor) or not w.is_floating_point():
        raise ValueError(f"{name} must be a floating point tensor")
    if w.size(0) != graph.num_edges or w.dim() not in (1, 2):
        raise ValueError(f"{name} must have shape [E] or [E, H] with E={graph.num_edges}, got {tuple(w.shape)}")
    if w.dim() == 2 and w.size(1) not in (1, heads):
        raise ValueError(f"{name} has {w.size(1)} heads but the features have {heads}")
    return (w.unsqueeze(1) if w.dim() == 1 else w).contiguous()


def _device_match(graph: Graph, *ts: Optional[Tensor]) -> None:
    for t in ts:
        if t is not None and t.device != graph.device:
            raise ValueError(f"tensor on {t.device} but graph on {graph.device}; move one with .to()")


# ---------------------------------------------------------------------------- autograd
def _transposed_values(g: Graph, value: Tensor) -> Tensor:
    """``value`` (``[E, H]``) in the edge order of ``g.transpose()``: the cached transpose's
    own weights when ``value`` is ``g.value`` (no gather per backward), else a gather."""
    own = g.value
    if (own is not None and own.dtype == value.dtype and own.numel() == value.numel()
            and own.data_ptr() == value.data_ptr() and own.is_contiguous() and value.is_contiguous()):
        return g.transpose().value.view(value.shape)
    return value.index_select(0, g.transpose_perm())


class _SpMMSum(Function):
    @staticmethod
    def forward(ctx, graph: Graph, value: Optional[Tensor], x: Tensor) -> Tensor:
        ctx.graph = graph
        ctx.value_grad = value is not None and value.requires_grad
        ctx.save_for_backward(value, x if ctx.value_grad else None)
        return get_backend(x).spmm_sum(graph.rowptr, graph.col, value, x, cache=graph._cache)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        value, x = ctx.saved_tensors
        g: Graph = ctx.graph
        grad = grad.contiguous()
        b = get_backend(grad)
        grad_value = grad_x = None
        if ctx.needs_input_grad[2]:
            t = g.transpose()
            tv = _transposed_values(g, value) if value is not None else None
            grad_x = b.spmm_sum(t.rowptr, t.col, tv, grad, cache=t._cache)
        if ctx.value_grad and ctx.needs_input_grad[1]:
            grad_value = b.sddmm(g.rowptr, g.col, grad, x)
            if value.size(1) == 1 and grad_value.size(1) != 1:
                grad_value = grad_value.sum(1, keepdim=True)
        return None, grad_value, grad_x


class _SpMMMax(Function):
    @staticmethod
    def forward(ctx, graph: Graph, value: Optional[Tensor], x: Tensor, minimum: bool) -> Tensor:
        out, arg = get_backend(x).spmm_max(graph.rowptr, graph.col, value, x, minimum)
        ctx.graph = graph
        ctx.x_shape = x.shape
        ctx.save_for_backward(value, x, arg)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        value, x, arg = ctx.saved_tensors
        g: Graph = ctx.graph
        if g.num_edges == 0:  # no edge won anything (and g.col[...] below would be out of range)
            grad_x = torch.zeros_like(x) if ctx.needs_input_grad[2] else None
            grad_value = torch.zeros_like(value) if value is not None and ctx.needs_input_grad[1] else None
            return None, grad_value, grad_x, None
        valid = arg >= 0
        a = arg.clamp(min=0)
        src = g.col[a]  # [R, H, D] source node of the winning edge
        H = x.size(1)
        grad = grad.masked_fill(~valid, 0.0)
        grad_value = grad_x = None
        if ctx.needs_input_grad[2]:
            contrib = grad
            if value is not None:
                h = torch.arange(H, device=x.device).view(1, H, 1).expand_as(a) if value.size(1) > 1 else 0
                contrib = grad * value[a, h]
            grad_x = torch.zeros_like(x).scatter_add_(0, src, contrib)
        if value is not None and ctx.needs_input_grad[1]:
            Hv = value.size(1)
            contrib = grad * torch.gather(x, 0, src)
            if Hv == 1:
                flat_idx = a
            else:
                flat_idx = a * H + torch.arange(H, device=x.device).view(1, H, 1)
            gv = torch.zeros(value.numel(), dtype=x.dtype, device=x.device)
            gv.index_add_(0, flat_idx.reshape(-1), contrib.reshape(-1))
            grad_value = gv.view_as(value)
        return None, grad_value, grad_x, None


class _SegmentSoftmax(Function):
    @staticmethod
    def forward(ctx, rowptr: Tensor, scores: Tensor) -> Tensor:
        out = get_backend(scores).segment_softmax(rowptr, scores)
        ctx.save_for_backward(rowptr, out)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        rowptr, out = ctx.saved_tensors
        return None, get_backend(grad).segment_softmax_backward(rowptr, out, grad.contiguous())


class _SDDMM(Function):
    @staticmethod
    def forward(ctx, graph: Graph, a: Tensor, b: Tensor) -> Tensor:
        ctx.graph = graph
        ctx.save_for_backward(a, b)
        return get_backend(a).sddmm(graph.rowptr, graph.col, a, b)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        a, b = ctx.saved_tensors
        g: Graph = ctx.graph
        grad = grad.contiguous()
        be = get_backend(grad)
        grad_a = grad_b = None
        if ctx.needs_input_grad[1]:
            grad_a = be.spmm_sum(g.rowptr, g.col, grad, b)
        if ctx.needs_input_grad[2]:
            t = g.transpose()
            grad_b = be.spmm_sum(t.rowptr, t.col, grad.index_select(0, g.transpose_perm()), a)
        return None, grad_a, grad_b


class _GATAggregate(Function):
    """Fused attention aggregation; the backward recomputes the attention weights from
    the saved per-row log-sum-exp and runs the unfused primitives (transpose, no atomics)."""

    @staticmethod
    def forward(ctx, graph: Graph, x: Tensor, a_src: Tensor, a_dst: Tensor, negative_slope: float) -> Tensor:
        out, lse = get_backend(x).gat_aggregate(graph.rowptr, graph.col, x, a_src, a_dst, negative_slope)
        ctx.graph = graph
        ctx.negative_slope = negative_slope
        ctx.save_for_backward(x, a_src, a_dst, lse)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        x, a_src, a_dst, lse = ctx.saved_tensors
        g: Graph = ctx.graph
        grad = grad.contiguous()
        b = get_backend(grad)
        grad_x = grad_src = grad_dst = None
        if g.num_edges == 0:
            return (None, torch.zeros_like(x), torch.zeros_like(a_src), torch.zeros_like(a_dst), None)
        row, t, perm = g.row(), g.transpose(), g.transpose_perm()
        # Edge-level quantities in the forward's accumulation dtype (lse's: float32, or float64).
        acc = lse.dtype
        z = a_src.to(acc).index_select(0, g.col) + a_dst.to(acc).index_select(0, row)  # [E, H]
        slope = torch.full_like(z, ctx.negative_slope).masked_fill_(z > 0, 1.0)  # LeakyReLU'(z)
        alpha = torch.exp(z * slope - lse.index_select(0, row))
        if ctx.needs_input_grad[1]:
            grad_x = b.spmm_sum(t.rowptr, t.col, alpha.index_select(0, perm).to(grad.dtype), grad).to(x.dtype)
        if ctx.needs_input_grad[2] or ctx.needs_input_grad[3]:
            g_alpha = b.sddmm(g.rowptr, g.col, grad, x.to(grad.dtype)).to(acc)
            g_z = (b.segment_softmax_backward(g.rowptr, alpha, g_alpha) * slope).unsqueeze(-1)  # [E, H, 1]
            # Segment sums of the edge gradients by target (rows) and by source (transpose).
            if ctx.needs_input_grad[3]:
                eids = torch.arange(g.num_edges, device=g_z.device)
                grad_dst = b.spmm_sum(g.rowptr, eids, None, g_z).squeeze(-1).to(a_dst.dtype)
            if ctx.needs_input_grad[2]:
                grad_src = b.spmm_sum(t.rowptr, perm, None, g_z).squeeze(-1).to(a_src.dtype)
        return None, grad_x, grad_src, grad_dst, None


# ---------------------------------------------------------------------------- public ops
def _mean_scale(graph: Graph, dtype: torch.dtype) -> Tensor:
    """Per-edge ``1 / in_degree(target)`` as ``[E, 1]`` in ``dtype``, cached on the graph.

    Computed in ``dtype`` itself: a float32 scale cast up would cap float64 means at
    float32 accuracy.
    """
    key = ("mean_scale", dtype)
    if key not in graph._cache:
        inv = 1.0 / graph.in_degree().clamp(min=1).to(dtype)
        graph._cache[key] = inv.index_select(0, graph.row()).unsqueeze(1)
    return graph._cache[key]


def spmm(graph: Graph, x: Tensor, reduce: str = "sum", edge_weight: Optional[Tensor] = None) -> Tensor:
    """Aggregate source features at each target: ``out[t] = reduce_{(s,t)} w_st * x[s]``.

    Args:
        graph: the graph (``graph.value`` are the weights unless ``edge_weight`` is given).
        x: ``[num_src_nodes, F]`` or ``[num_src_nodes, H, D]`` float features.
        reduce: ``"sum"`` (or ``"add"``), ``"mean"``, ``"max"`` or ``"min"``.
        edge_weight: ``[E]`` or ``[E, H]`` weights in the graph's CSR edge order; may
            require grad (attention).

    Returns:
        ``[num_dst_nodes, ...]`` like ``x``; nodes without incoming edges get 0.

    Raises:
        ValueError: unknown ``reduce``, wrong shapes, dtypes or devices.
    """
    _check_graph(graph)
    if reduce not in _REDUCES:
        raise ValueError(f"unknown reduce {reduce!r}; expected one of {_REDUCES}")
    x3, flat = _as_heads(x, "x", graph.num_src_nodes, "source nodes")
    w = _edge_values(edge_weight if edge_weight is not None else graph.value, graph, x3.size(1))
    _device_match(graph, x3, w)
    if w is not None and w.dtype != x3.dtype:
        w = w.to(x3.dtype)
    if reduce in ("sum", "add"):
        out = _SpMMSum.apply(graph, w, x3)
    elif reduce == "mean":
        scale = _mean_scale(graph, x3.dtype)
        out = _SpMMSum.apply(graph, scale if w is None else w * scale, x3)
    else:
        out = _SpMMMax.apply(graph, w, x3, reduce == "min")
    return out.squeeze(1) if flat else out


def gather_scatter(src_index: Tensor, dst_index: Tensor, x: Tensor, edge_weight: Optional[Tensor] = None,
                   reduce: str = "sum", dim_size: Optional[int] = None) -> Tensor:
    """COO message passing: ``out[dst_index[e]] = reduce_e w_e * x[src_index[e]]``.

    Args:
        src_index, dst_index: ``[E]`` integer indices into ``x`` and ``out``.
        x: ``[N, F]`` or ``[N, H, D]``.
        edge_weight: optional ``[E]`` / ``[E, H]`` (differentiable).
        reduce: as in :func:`spmm`.
        dim_size: number of output rows (default ``max(dst_index) + 1``).

    Raises:
        ValueError: mismatched lengths or out-of-range indices.
    """
    if src_index.shape != dst_index.shape or src_index.dim() != 1:
        raise ValueError(f"src_index and dst_index must be 1-D of equal length, got "
                         f"{tuple(src_index.shape)} and {tuple(dst_index.shape)}")
    if dim_size is None:
        dim_size = int(dst_index.max()) + 1 if dst_index.numel() else 0
    ei = torch.stack([src_index, dst_index])
    graph = Graph.from_edge_index(ei, num_nodes=dim_size, num_src_nodes=x.size(0))
    if edge_weight is not None:
        if edge_weight.size(0) != src_index.numel():
            raise ValueError(f"edge_weight has {edge_weight.size(0)} entries for {src_index.numel()} edges")
        key = dst_index.long() * max(x.size(0), 1) + src_index.long()
        edge_weight = edge_weight[torch.argsort(key, stable=True)]
    return spmm(graph, x, reduce, edge_weight)


def segment_softmax(scores: Tensor, rowptr: Tensor) -> Tensor:
    """Softmax of ``scores [E]`` / ``[E, H]`` within the segments ``rowptr`` delimits."""
    if not scores.is_floating_point() or scores.dim() not in (1, 2):
        raise ValueError(f"scores must be a float [E] or [E, H] tensor, got {scores.dtype} {tuple(scores.shape)}")
    if rowptr.dim() != 1 or rowptr.numel() == 0 or int(rowptr[-1]) != scores.size(0):
        raise ValueError(f"rowptr must be 1-D and end at the number of scores ({scores.size(0)})")
    flat = scores.dim() == 1
    s = scores.unsqueeze(1) if flat else scores
    out = _SegmentSoftmax.apply(rowptr.long(), s.contiguous())
    return out.squeeze(1) if flat else out


def edge_softmax(graph: Graph, scores: Tensor) -> Tensor:
    """Softmax of per-edge ``scores`` over each target's incoming edges (attention)."""
    _check_graph(graph)
    if scores.size(0) != graph.num_edges:
        raise ValueError(f"scores has {scores.size(0)} entries but the graph has {graph.num_edges} edges")
    return segment_softmax(scores, graph.rowptr)


def sddmm(graph: Graph, x_dst: Tensor, x_src: Tensor) -> Tensor:
    """Per-edge dot products ``out[e] = <x_dst[t_e], x_src[s_e]>`` in CSR edge order.

    Args:
        x_dst: ``[num_dst_nodes, F]`` or ``[num_dst_nodes, H, D]``.
        x_src: ``[num_src_nodes, ...]`` of the same trailing shape.

    Returns:
        ``[E]`` (or ``[E, H]`` for 3-D inputs).
    """
    _check_graph(graph)
    a, flat = _as_heads(x_dst, "x_dst", graph.num_dst_nodes, "target nodes")
    b, _ = _as_heads(x_src, "x_src", graph.num_src_nodes, "source nodes")
    if a.shape[1:] != b.shape[1:]:
        raise ValueError(f"x_dst and x_src trailing shapes differ: {tuple(a.shape[1:])} vs {tuple(b.shape[1:])}")
    _device_match(graph, a, b)
    out = _SDDMM.apply(graph, a, b.to(a.dtype))
    return out.squeeze(1) if flat else out


def edge_cosine(graph: Graph, x_dst: Tensor, x_src: Tensor, eps: float = 1e-8) -> Tensor:
    """Per-edge cosine similarity between target and source features (``[E]``)."""
    return sddmm(graph, torch.nn.functional.normalize(x_dst, dim=-1, eps=eps),
                 torch.nn.functional.normalize(x_src, dim=-1, eps=eps))


def segment_reduce(x: Tensor, ptr: Tensor, reduce: str = "sum") -> Tensor:
    """Reduce consecutive row segments: ``out[i] = reduce(x[ptr[i]:ptr[i+1]])``.

    Used for pooling a batch of graphs whose nodes are stored graph by graph.
    Empty segments give 0.
    """
    if ptr.dim() != 1 or ptr.numel() == 0 or int(ptr[-1]) != x.size(0):
        raise ValueError(f"ptr must be 1-D and end at x.size(0) ({x.size(0)})")
    g = Graph(ptr.long(), torch.arange(x.size(0), device=x.device), num_src_nodes=x.size(0))
    return spmm(g, x, reduce)


def gat_aggregate(graph: Graph, x: Tensor, a_src: Tensor, a_dst: Tensor, negative_slope: float = 0.2) -> Tensor:
    """Graph-attention aggregation: logits, edge softmax and weighted sum of source rows.

    For an edge ``s -> t`` and head ``h``: ``alpha = softmax over t's incoming edges of
    LeakyReLU(a_src[s, h] + a_dst[t, h])`` and ``out[t, h] = sum_s alpha * x[s, h]``. A
    backend with a fused kernel (Triton) does it in one pass over each row without
    storing the logits or weights; others compose :func:`edge_softmax` and :func:`spmm`
    (the reference). The graph's edge weights are ignored.

    Args:
        graph: the graph (square or bipartite).
        x: ``[num_src_nodes, H, D]`` (or ``[num_src_nodes, F]`` for one head).
        a_src: ``[num_src_nodes, H]`` per-source attention scores (``[num_src_nodes]`` for
            one head).
        a_dst: ``[num_dst_nodes, H]`` per-target scores (``[num_dst_nodes]`` for one head).
        negative_slope: LeakyReLU slope of the logits.

    Returns:
        ``[num_dst_nodes, H, D]`` (``[num_dst_nodes, F]`` for 2-D ``x``) in ``x``'s dtype;
        targets without incoming edges get 0.

    Raises:
        ValueError: wrong shapes, dtypes or devices.
    """
    _check_graph(graph)
    x3, flat = _as_heads(x, "x", graph.num_src_nodes, "source nodes")
    H = x3.size(1)
    scores = []
    for name, a, rows, what in (("a_src", a_src, graph.num_src_nodes, "source nodes"),
                                ("a_dst", a_dst, graph.num_dst_nodes, "target nodes")):
        if not isinstance(a, Tensor) or not a.is_floating_point():
            raise ValueError(f"{name} must be a floating point tensor")
        a2 = a.unsqueeze(1) if a.dim() == 1 else a
        if a2.dim() != 2 or a2.size(0) != rows or a2.size(1) != H:
            raise ValueError(f"{name} must have shape [{rows}, {H}] ({what} x heads), got {tuple(a.shape)}")
        scores.append(a2.to(x3.dtype).contiguous())
    _device_match(graph, x3, *scores)
    slope = float(negative_slope)
    if getattr(get_backend(x3), "has_fused_gat", False):
        out = _GATAggregate.apply(graph, x3, scores[0], scores[1], slope)
    else:
        # z_st = a_dst[t] + a_src[s] as one SDDMM, <[a_dst, 1], [1, a_src]> per head: its
        # backward runs on the backend's CSR kernels (no scatter into the nodes' scores).
        a_src3, a_dst3 = scores
        z = sddmm(graph, torch.stack([a_dst3, torch.ones_like(a_dst3)], -1),
                  torch.stack([torch.ones_like(a_src3), a_src3], -1))  # [E, H]
        alpha = edge_softmax(graph, torch.nn.functional.leaky_relu(z, slope))
        out = spmm(graph, x3, "sum", edge_weight=alpha)
    return out.squeeze(1) if flat else out
