"""Fast LightGCN propagation over the interaction graph.

Four things make a training step cheaper than composing :func:`graphssl.sparse.spmm` calls,
none of which changes what is computed:

- :func:`adj_spmm`: the product ``A x`` with the core's backend kernel (numba on CPU) whose
  backward multiplies by ``A^T`` from a transpose cached once per graph. The interaction
  graph is symmetric (``A^T = A``, marked so by :func:`graphssl.rec.interaction_graph`), so
  the backward reuses ``A`` itself: no per-call re-gather of the edge weights.
- ``rows=``: only some output rows of the *last* layer. A contrastive view is read only at
  the batch's users and items (about 13% of yelp2018's edges touch them), so its last
  propagation is computed on those rows alone, forward and backward.
- :func:`mean_at_rows` (and :func:`propagate` with ``rows=`` and no perturbation): a training
  step reads its final embeddings only at the batch's rows, so the last layer is propagated
  for them alone, and the backward walks down the layers adding the batch gradient in place
  at those rows, without full-size sums (yelp2018: a LightGCN step 1.4x faster).
- :func:`propagate`: running sums instead of ``stack().mean()``, and perturbations whose
  gradient is the identity (SimGCL's noise: ``d sign(h) / dh = 0``) applied outside autograd.
- :func:`perturbation_offset`: since propagation is linear and such a perturbation is a
  constant for autograd, a perturbed propagation equals the clean one plus a constant offset
  (``E'_k = E_k + c_k``, ``c_k = A c_{k-1} + noise_k``). A view is then the host's clean
  embeddings plus an offset computed without gradient: one forward product per extra layer
  instead of a whole propagation forward and backward, with the same values and gradients.
"""
from __future__ import annotations

from typing import Callable, List, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor
from torch.autograd import Function
from torch.autograd.function import once_differentiable

from ..sparse import Graph
from ..sparse.backend import get_backend
from .row_kernels import rows_product, rows_transpose_product

__all__ = ["adj_spmm", "is_symmetric", "mark_symmetric", "propagate", "mean_at_rows", "perturbation_offset",
           "Perturb", "OffsetStep"]

#: ``f(layer_output, layer_index) -> perturbed layer`` applied to a detached tensor; the
#: perturbation must have an identity Jacobian (an added offset that is constant almost
#: everywhere, like SimGCL's ``eps * sign(h) * u``), since the backward passes grads through.
Perturb = Callable[[Tensor, int], Tensor]

#: ``f(clean_k, shift, k) -> c_k``: the offset of perturbed layer ``k`` (0-based) from the clean
#: layer ``clean_k``, given ``shift = A c_{k-1}`` (None for the first layer); e.g. SimGCL's
#: ``shift + eps * sign(clean_k + shift) * normalize(u)``. Called without gradient.
OffsetStep = Callable[[Tensor, Optional[Tensor], int], Tensor]

_SYMMETRIC = "rec.symmetric"
_CSR = "rec.csr"


def mark_symmetric(adj: Graph) -> Graph:
    """Record that ``adj`` equals its transpose (values included); returns ``adj``.

    :func:`graphssl.rec.interaction_graph` does this for the graphs it builds. Marking a
    graph that is not symmetric makes gradients of :func:`adj_spmm` wrong.
    """
    adj._cache[_SYMMETRIC] = True
    return adj


def is_symmetric(adj: Graph) -> bool:
    """Whether ``A^T = A`` (structure and weights); checked once and cached on the graph."""
    if _SYMMETRIC not in adj._cache:
        sym = not adj.is_bipartite
        if sym:
            t = adj.transpose()
            sym = torch.equal(t.rowptr, adj.rowptr) and torch.equal(t.col, adj.col)
            if sym and adj.value is not None:
                sym = torch.equal(t.value, adj.value)
        adj._cache[_SYMMETRIC] = bool(sym)
    return adj._cache[_SYMMETRIC]


def _csr(adj: Graph, dtype: torch.dtype, transpose: bool = False) -> Tuple[Tensor, Tensor, Optional[Tensor]]:
    """``(rowptr, col, value [E, 1] in dtype or None)`` of ``adj`` (or its transpose), cached."""
    if transpose and not is_symmetric(adj):
        adj = adj.transpose()
    key = (_CSR, dtype)
    if key not in adj._cache:
        v = adj.value
        v = v.to(dtype).reshape(-1, 1).contiguous() if v is not None else None
        adj._cache[key] = (adj.rowptr, adj.col, v)
    return adj._cache[key]


def _product(csr: Tuple[Tensor, Tensor, Optional[Tensor]], x: Tensor) -> Tensor:
    rowptr, col, value = csr
    x = x.contiguous()
    return get_backend(x).spmm_sum(rowptr, col, value, x.unsqueeze(1)).squeeze(1)


class _AdjProduct(Function):
    """``A x`` with backward ``A^T grad`` from the cached (or shared, when symmetric) CSR."""

    @staticmethod
    def forward(ctx, adj: Graph, x: Tensor) -> Tensor:
        ctx.adj = adj
        return _product(_csr(adj, x.dtype), x)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        return None, _product(_csr(ctx.adj, grad.dtype, transpose=True), grad)


class _AdjRowProduct(Function):
    """``(A x)[rows]`` for unique ``rows``; the backward scatters along those rows' edges only."""

    @staticmethod
    def forward(ctx, adj: Graph, rows: Tensor, x: Tensor) -> Tensor:
        ctx.adj, ctx.rows = adj, rows
        return rows_product(_csr(adj, x.dtype), rows, x)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        adj = ctx.adj
        return None, None, rows_transpose_product(_csr(adj, grad.dtype), ctx.rows, adj.num_src_nodes, grad)


def adj_spmm(adj: Graph, x: Tensor, rows: Optional[Tensor] = None) -> Tensor:
    """``A x`` (``out[t] = sum_s A[t, s] x[s]``), or only its rows ``rows``; differentiable in ``x``.

    Same result as ``graphssl.sparse.spmm(adj, x)`` (and ``spmm(adj, x)[rows]``); faster
    training because the backward reuses a cached transpose (``A`` itself when symmetric)
    and a row subset touches only those rows' edges.

    Args:
        adj: a graph with ``num_src_nodes`` rows of ``x``; its ``value`` are the weights.
        x: ``[num_src_nodes, d]`` float features.
        rows: optional ``[R]`` int64 target rows (repeats allowed); then returns ``[R, d]``.

    Returns:
        ``[num_dst_nodes, d]`` or ``[R, d]``.

    Raises:
        ValueError: ``adj`` not a Graph, ``x`` not 2-D float with ``num_src_nodes`` rows, on
            another device, or ``rows`` out of range.
    """
    if not isinstance(adj, Graph):
        raise ValueError(f"adj must be a graphssl.sparse.Graph, got {type(adj).__name__}")
    if not isinstance(x, Tensor) or x.dim() != 2 or not x.is_floating_point():
        raise ValueError("x must be a floating point [num_nodes, d] tensor")
    if x.size(0) != adj.num_src_nodes:
        raise ValueError(f"x has {x.size(0)} rows but the graph has {adj.num_src_nodes} source nodes")
    if x.device != adj.device:
        raise ValueError(f"x is on {x.device} but the graph is on {adj.device}; move one with .to()")
    if rows is None:
        return _AdjProduct.apply(adj, x)
    rows = torch.as_tensor(rows, device=x.device).reshape(-1).long()
    if rows.numel() and (int(rows.min()) < 0 or int(rows.max()) >= adj.num_dst_nodes):
        raise ValueError(f"rows must lie in [0, {adj.num_dst_nodes})")
    uniq, inverse = torch.unique(rows, return_inverse=True)
    out = _AdjRowProduct.apply(adj, uniq, x)
    return out if uniq.numel() == rows.numel() and torch.equal(uniq, rows) else out.index_select(0, inverse)


class _MeanAtRows(Function):
    """``mean_k E_k`` at the unique ``rows`` only, ``E_k = A_k E_{k-1}``: the last layer is a
    row product, the others full products read at ``rows``.

    The backward never forms a full-size sum: from ``g`` (the gradient at ``rows``) it walks
    down the layers, ``h <- A_k^T h`` with ``g`` added in place at ``rows`` for every layer
    that is averaged in; the last layer's transpose product touches only ``rows``' columns.
    """

    @staticmethod
    def forward(ctx, ego: Tensor, rows: Tensor, graphs: Tuple[Graph, ...], include_ego: bool):
        ctx.graphs, ctx.include_ego, ctx.num_nodes = graphs, include_ego, ego.size(0)
        ctx.save_for_backward(rows)
        # the layer outputs never get a gradient: without this, autograd would hand the
        # backward a zero-filled [N, d] tensor for each of them, every step
        ctx.set_materialize_grads(False)
        h, total = ego, (ego.index_select(0, rows) if include_ego else None)
        layers = [ego.detach()]
        for k, g in enumerate(graphs):
            if k == len(graphs) - 1:
                part = rows_product(_csr(g, ego.dtype), rows, h)
                layers.append(part.clone())
            else:
                h = _product(_csr(g, ego.dtype), h)
                part = h.index_select(0, rows)
                layers.append(h)
            total = part if total is None else total.add_(part)
        # the layers are extra outputs without gradient (``E_0`` is returned as a view)
        layers[0] = layers[0].view_as(layers[0])
        ctx.mark_non_differentiable(*layers)
        return (total.div_(len(graphs) + 1 if include_ego else len(graphs)), *layers)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Optional[Tensor], *unused: Optional[Tensor]):
        if grad is None:  # the mean itself was not used
            return None, None, None, None
        (rows,) = ctx.saved_tensors
        graphs, num_layers = ctx.graphs, len(ctx.graphs)
        g = grad / (num_layers + 1 if ctx.include_ego else num_layers)
        h = rows_transpose_product(_csr(graphs[-1], g.dtype), rows, ctx.num_nodes, g)
        for k in range(num_layers - 2, -1, -1):  # h is the gradient of E_{k+1}
            h.index_add_(0, rows, g)
            h = _product(_csr(graphs[k], g.dtype, transpose=True), h)
        if ctx.include_ego:
            h.index_add_(0, rows, g)
        return h, None, None, None


def mean_at_rows(adj: Union[Graph, Sequence[Graph]], ego: Tensor, num_layers: int, rows: Tensor,
                 include_ego: bool = True) -> Tuple[Tensor, List[Tensor]]:
    """LightGCN's ``mean_k E_k`` at the unique ``rows`` only, and the layers, without gradient.

    The last layer is propagated for ``rows`` alone, the others in full; the backward never
    forms a full-size sum. Same values and gradients as ``propagate(adj, ego, L)[0][rows]``.

    Args:
        adj: the graph, or one graph per layer; ego: ``[N, d]``; num_layers: ``L >= 1``.
        rows: ``[R]`` unique int64 node rows.
        include_ego: average ``E_0`` in.

    Returns:
        ``(final [R, d], layers)``: ``layers`` are ``E_0 .. E_{L-1}`` (``[N, d]``) and ``E_L``
        at ``rows`` (``[R, d]``), detached (for offsets computed without gradient, SimGCL's).

    Raises:
        ValueError: ``L < 1`` or a per-layer list of the wrong length.
    """
    if num_layers < 1:
        raise ValueError(f"num_layers must be >= 1, got {num_layers}")
    graphs = tuple(adj) if isinstance(adj, (list, tuple)) else (adj,) * num_layers
    if len(graphs) != num_layers:
        raise ValueError(f"got {len(graphs)} per-layer graphs for {num_layers} layers")
    out = _MeanAtRows.apply(ego, torch.as_tensor(rows, device=ego.device).reshape(-1).long(), graphs, include_ego)
    return out[0], list(out[1:])


class _Perturbed(Function):
    """``perturb(h)`` in the forward, the identity in the backward (see :data:`Perturb`)."""

    @staticmethod
    def forward(ctx, h: Tensor, perturb: Perturb, layer: int) -> Tensor:
        out = perturb(h, layer)
        return out.view_as(out) if out is h else out  # a Function must not hand back its input

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        return grad, None, None


def propagate(adj: Union[Graph, Sequence[Graph]], ego: Tensor, num_layers: int, include_ego: bool = True,
              perturb: Optional[Perturb] = None, rows: Optional[Tensor] = None, keep_layer: Optional[int] = None) -> Tuple[Tensor, Optional[Tensor]]:
    """LightGCN propagation ``mean_k E_k`` with ``E_k = perturb(A E_{k-1})``.

    Args:
        adj: the normalised interaction graph, or one graph per layer (SGL's random walk).
        ego: ``[N, d]`` ego embeddings ``E_0``.
        num_layers: ``L >= 0``.
        include_ego: average ``E_0`` in (LightGCN) or only ``E_1..E_L`` (SimGCL, XSimGCL).
        perturb: see :data:`Perturb`; applied after each propagation, gradient passed through.
        rows: compute the result only at these node rows (``[R]``, unique); the last layer is
            then propagated for these rows alone.
        keep_layer: also return layer ``keep_layer`` (``0..L``; at ``rows`` if given).

    Returns:
        ``(final, kept)``: ``[N, d]`` (or ``[R, d]``) mean of the layers, and the kept layer
        or None.

    Raises:
        ValueError: ``L < 0``, ``L == 0`` without the ego layer, a per-layer list of the
            wrong length, or ``keep_layer`` out of ``0..L``.
    """
    if num_layers < 0:
        raise ValueError(f"num_layers must be >= 0, got {num_layers}")
    if num_layers == 0 and not include_ego:
        raise ValueError("include_ego=False needs num_layers >= 1 (nothing left to average)")
    graphs: List[Graph] = list(adj) if isinstance(adj, (list, tuple)) else [adj] * num_layers
    if len(graphs) != num_layers:
        raise ValueError(f"got {len(graphs)} per-layer graphs for {num_layers} layers")
    if keep_layer is not None and not 0 <= keep_layer <= num_layers:
        raise ValueError(f"keep_layer must lie in [0, {num_layers}], got {keep_layer}")
    if rows is not None:
        rows = torch.as_tensor(rows, device=ego.device).reshape(-1).long()
        if perturb is None and keep_layer is None and num_layers > 0:
            uniq, inverse = torch.unique(rows, return_inverse=True)
            out = _MeanAtRows.apply(ego, uniq, tuple(graphs), include_ego)[0]
            return (out if uniq.numel() == rows.numel() and torch.equal(uniq, rows)
                    else out.index_select(0, inverse)), None

    def at_rows(t: Tensor) -> Tensor:
        return t if rows is None else t.index_select(0, rows)

    total = at_rows(ego) if include_ego else None
    kept = at_rows(ego) if keep_layer == 0 else None
    h = ego
    for k, g in enumerate(graphs):
        last = k == num_layers - 1
        h = adj_spmm(g, h, rows=rows if last else None)
        if perturb is not None:
            h = _Perturbed.apply(h, perturb, k)
        out = h if last else at_rows(h)
        if keep_layer == k + 1:
            kept = out
        total = out if total is None else total + out
    return total / (num_layers + 1 if include_ego else num_layers), kept


@torch.no_grad()
def perturbation_offset(adj: Graph, layers: Sequence[Tensor], step: OffsetStep, rows: Optional[Tensor] = None,
                        include_ego: bool = True, last_index: Optional[Tensor] = None) -> Tensor:
    """``perturbed_final - clean_final`` of a LightGCN propagation whose layers are perturbed
    by an identity-Jacobian perturbation (see :data:`Perturb`), without gradient.

    With ``E'_0 = E_0`` and ``E'_k = A E'_{k-1} + noise_k(A E'_{k-1})``, linearity gives
    ``E'_k = E_k + c_k`` with ``c_k = step(E_k, A c_{k-1})``; the perturbed final embedding is
    ``clean_final + mean_k c_k``. Adding this (constant) offset to the clean embeddings gives
    the perturbed view with the very gradient autograd would compute through it.

    Args:
        adj: the graph of the clean propagation.
        layers: the clean layers ``[E_0, ..., E_L]`` (``[N, d]`` each; only values are read).
        step: see :data:`OffsetStep`.
        rows: only these node rows (``[R]``) of the offset; the last layer's product is then
            computed for them alone.
        include_ego: whether the final embedding averages ``E_0`` in (its offset is 0).
        last_index: when the last layer was computed at some rows only (:func:`mean_at_rows`),
            the positions of ``rows`` in ``layers[-1]``.

    Returns:
        ``[N, d]`` (or ``[R, d]``) offset.

    Raises:
        ValueError: fewer than two layers (nothing is perturbed).
    """
    num_layers = len(layers) - 1
    if num_layers < 1:
        raise ValueError("perturbation_offset needs the layers E_0..E_L with L >= 1")
    if rows is not None:
        rows = torch.as_tensor(rows, device=layers[0].device).reshape(-1).long()
    total: Optional[Tensor] = None
    c: Optional[Tensor] = None
    for k in range(1, num_layers + 1):
        last_at_rows = k == num_layers and rows is not None
        clean = layers[k].detach()
        if last_at_rows:
            clean = clean.index_select(0, rows if last_index is None else last_index)
        shift = None if c is None else adj_spmm(adj, c, rows=rows if last_at_rows else None)
        c = step(clean, shift, k - 1)
        part = c if rows is None or last_at_rows else c.index_select(0, rows)
        # a copy first: ``c`` itself is still read by the next layer's product
        total = part.clone() if total is None else total.add_(part)
    return total.div_(num_layers + 1 if include_ego else num_layers)
