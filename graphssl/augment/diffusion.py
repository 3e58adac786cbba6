"""Graph diffusion (MVGRL's second view): personalised PageRank and heat kernels.

With ``T`` a normalised adjacency (``"sym"``: ``D^-1/2 (A + I) D^-1/2`` as MVGRL and GCN;
``"row"``: ``D^-1 (A + I)``; ``"col"``: ``(A + I) D_out^-1``), the diffusion matrices are

* PPR:  ``S = alpha (I - (1 - alpha) T)^-1``
* heat: ``S = expm(-t (I - T))`` (the heat kernel; MVGRL's code exponentiates entrywise
  instead, which is not a diffusion, so it is not reproduced)

computed exactly in dense form for small graphs (and per graph, as a padded batch of
blocks, for a batch of small graphs), or for PPR approximately on the sparse graph by
local push with top-k sparsification (:func:`approximate_ppr`) for large ones. The result
is a weighted :class:`Graph` with ``S[t, s]`` as the weight of edge ``s -> t``.
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np
import torch
from torch import Tensor

from ..sparse.graph import Graph
from ._csr import csr_from_edges, rowptr_from_rows
from ..checks import check_choice, check_fraction, check_int, check_positive
from ._validation import check_graph, check_square
from .base import Augmenter, register_augmenter
from .view import GraphView

__all__ = ["NORMALIZATIONS", "ppr_matrix", "heat_matrix", "ppr_diffusion", "heat_diffusion", "approximate_ppr",
           "PPRDiffusion", "HeatDiffusion"]

NORMALIZATIONS = ("sym", "row", "col")
_METHODS = ("auto", "exact", "approx")
# Above this many nodes in one graph (or batch block) the dense O(n^3) solve is refused.
DEFAULT_MAX_DENSE_NODES = 5000
DEFAULT_APPROX_TOPK = 32


# ---------------------------------------------------------------------------- checks
def _check_alpha(alpha: float) -> float:
    a = check_fraction("alpha", alpha)
    if a == 0.0:
        raise ValueError("alpha must lie in (0, 1), got 0 (the PPR series would not converge)")
    return a


def _check_sparsify(topk: Optional[int], eps: Optional[float]) -> Tuple[Optional[int], Optional[float]]:
    if topk is not None:
        topk = check_int("topk", topk)
    if eps is not None:
        eps = check_positive("eps", eps, allow_zero=True)
    return topk, eps


def _block_ptr(graph: Graph, ptr: Optional[Tensor]) -> Tensor:
    if ptr is None:
        return torch.tensor([0, graph.num_nodes], dtype=torch.long, device=graph.device)
    if not isinstance(ptr, Tensor) or ptr.dim() != 1 or ptr.numel() < 1 or ptr.is_floating_point():
        raise ValueError("ptr must be a [B + 1] integer tensor of node offsets")
    ptr = ptr.to(graph.device).long()
    if int(ptr[0]) != 0 or int(ptr[-1]) != graph.num_nodes or bool((ptr[1:] < ptr[:-1]).any()):
        raise ValueError(f"ptr must rise from 0 to num_nodes={graph.num_nodes}")
    return ptr


# ---------------------------------------------------------------------------- dense
def _dense_blocks(graph: Graph, ptr: Tensor, add_self_loops: bool, max_dense_nodes: int) -> Tuple[Tensor, Tensor]:
    """``[B, n, n]`` float64 adjacency of every graph (zero padded to the largest) and
    ``[B]`` node counts."""
    if add_self_loops:
        graph = graph.add_self_loops()
    sizes = ptr[1:] - ptr[:-1]
    b = sizes.numel()
    n = int(sizes.max()) if b else 0
    if n > max_dense_nodes:
        raise ValueError(f"exact diffusion of a graph with {n} nodes needs a dense {n} x {n} solve; above "
                         f"max_dense_nodes={max_dense_nodes} use the approximate PPR (method='approx') or "
                         "raise max_dense_nodes")
    gid = torch.repeat_interleave(torch.arange(b, device=graph.device), sizes, output_size=graph.num_nodes)
    row, col = graph.row(), graph.col
    g_row = gid[row]
    if bool((gid[col] != g_row).any()):
        raise ValueError("the graph has edges between different graphs of the batch (ptr)")
    w = graph.value.double() if graph.value is not None else torch.ones(graph.num_edges, dtype=torch.float64,
                                                                        device=graph.device)
    a = torch.zeros(b, n, n, dtype=torch.float64, device=graph.device)
    a.index_put_((g_row, row - ptr[g_row], col - ptr[g_row]), w, accumulate=True)
    return a, sizes


def _inv_or_zero(d: Tensor, power: float) -> Tensor:
    out = d.pow(power)
    return torch.where(d > 0, out, torch.zeros_like(out))


def _transition(a: Tensor, normalization: str) -> Tensor:
    """Normalise batched adjacencies ``a [B, n, n]`` (``a[t, s]``: edge ``s -> t``)."""
    d_in = a.sum(2)
    if normalization == "sym":
        dinv = _inv_or_zero(d_in, -0.5)
        return dinv.unsqueeze(2) * a * dinv.unsqueeze(1)
    if normalization == "row":
        return a * _inv_or_zero(d_in, -1.0).unsqueeze(2)
    return a * _inv_or_zero(a.sum(1), -1.0).unsqueeze(1)


def _ppr_blocks(a: Tensor, alpha: float, normalization: str) -> Tensor:
    t = _transition(a, normalization)
    eye = torch.eye(a.size(1), dtype=a.dtype, device=a.device).expand_as(a)
    return torch.linalg.solve(eye - (1.0 - alpha) * t, alpha * eye)


def _heat_blocks(a: Tensor, t: float, normalization: str) -> Tensor:
    tr = _transition(a, normalization)
    eye = torch.eye(a.size(1), dtype=a.dtype, device=a.device).expand_as(a)
    return torch.linalg.matrix_exp(-t * (eye - tr))


def _sparsify_blocks(s: Tensor, sizes: Tensor, ptr: Tensor, topk: Optional[int], eps: Optional[float],
                     dtype: torch.dtype) -> Graph:
    """The union graph of dense blocks ``s [B, n, n]``: top-k per row and/or entries
    ``>= eps`` (all non-zero entries if neither)."""
    b, n = s.size(0), s.size(1)
    idx = torch.arange(n, device=s.device)
    valid = (idx.view(1, n, 1) < sizes.view(b, 1, 1)) & (idx.view(1, 1, n) < sizes.view(b, 1, 1))
    keep = valid & (s != 0)
    if topk is not None and n > 0:
        k = min(topk, n)
        masked = torch.where(valid, s, torch.full_like(s, float("-inf")))
        top = masked.topk(k, dim=2).indices
        in_top = torch.zeros_like(keep).scatter_(2, top, True)
        keep &= in_top
    if eps is not None:
        keep &= s >= eps
    g_id, i, j = keep.nonzero(as_tuple=True)  # row-major: sorted by (graph, target, source)
    dst, src = ptr[g_id] + i, ptr[g_id] + j
    num_nodes = int(ptr[-1])
    return Graph(rowptr_from_rows(dst, num_nodes), src, s[g_id, i, j].to(dtype), validate=False)


def _weight_dtype(graph: Graph) -> torch.dtype:
    return graph.value.dtype if graph.value is not None else torch.float32


def ppr_matrix(graph: Graph, alpha: float = 0.2, *, add_self_loops: bool = True, normalization: str = "sym",
               max_dense_nodes: int = DEFAULT_MAX_DENSE_NODES) -> Tensor:
    """Dense PPR matrix ``alpha (I - (1 - alpha) T)^-1`` (``[N, N]`` float64, ``S[t, s]``).

    Args:
        graph: a square graph (weights used).
        alpha: teleport probability in ``(0, 1)``.
        add_self_loops: use ``A + I`` (missing self-loops only), as MVGRL.
        normalization: ``"sym"``, ``"row"`` or ``"col"`` (see the module docstring).
        max_dense_nodes: refuse graphs larger than this.

    Raises:
        ValueError: bad parameters, a bipartite graph, too many nodes.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1], [1, 0]]), 2)
        >>> ppr_matrix(g, 0.5, add_self_loops=False).tolist()
        [[0.6666666666666666, 0.3333333333333333], [0.3333333333333333, 0.6666666666666666]]
    """
    check_graph(graph, "ppr_matrix")
    check_square(graph, "ppr_matrix")
    alpha = _check_alpha(alpha)
    normalization = check_choice("normalization", normalization, NORMALIZATIONS)
    a, _ = _dense_blocks(graph, _block_ptr(graph, None), add_self_loops, max_dense_nodes)
    return _ppr_blocks(a, alpha, normalization)[0]


def heat_matrix(graph: Graph, t: float = 5.0, *, add_self_loops: bool = True, normalization: str = "sym",
                max_dense_nodes: int = DEFAULT_MAX_DENSE_NODES) -> Tensor:
    """Dense heat kernel ``expm(-t (I - T))`` (``[N, N]`` float64, ``S[t, s]``).

    Raises:
        ValueError: negative ``t``, bad normalization, a bipartite graph, too many nodes.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1], [1, 0]]), 2)
        >>> [round(v, 4) for v in heat_matrix(g, 1.0, add_self_loops=False)[0].tolist()]
        [0.5677, 0.4323]
    """
    check_graph(graph, "heat_matrix")
    check_square(graph, "heat_matrix")
    t = check_positive("t", t, allow_zero=True)
    normalization = check_choice("normalization", normalization, NORMALIZATIONS)
    a, _ = _dense_blocks(graph, _block_ptr(graph, None), add_self_loops, max_dense_nodes)
    return _heat_blocks(a, t, normalization)[0]


# ---------------------------------------------------------------------------- approximate
def approximate_ppr(graph: Graph, alpha: float = 0.2, topk: int = DEFAULT_APPROX_TOPK, *, push_eps: float = 1e-4,
                    eps: Optional[float] = None, add_self_loops: bool = True,
                    normalization: str = "sym") -> Graph:
    """Top-k sparsified PPR diffusion of a large graph by local push (a numba kernel run
    on ``torch.get_num_threads()`` threads).

    For every node ``s`` the push algorithm approximates row ``s`` of the random-walk PPR
    ``alpha (I - (1 - alpha) D^-1 A)^-1`` from below with per-node residual tolerance
    ``push_eps * deg``; ``"sym"`` rescales it exactly to ``D^-1/2`` normalisation
    (``S_sym = D^1/2 S_row D^-1/2``). Each node keeps its ``topk`` largest sources.

    Args:
        graph: a square graph (weights used; moved to CPU for the kernel).
        alpha: teleport probability in ``(0, 1)``.
        topk: sources kept per node.
        push_eps: push tolerance (smaller: more accurate and slower; cost per node up to
            ``1 / (push_eps * alpha)`` edge visits). On Cora the default finds 97% of the
            exact top-32 sources with weights within about 6% on average; ``1e-3`` finds 80%.
        eps: also drop weights below this.
        add_self_loops: use ``A + I`` (missing self-loops only).
        normalization: ``"sym"`` or ``"row"``.

    Returns:
        A weighted Graph on the same nodes with at most ``topk`` incoming edges per node.

    Raises:
        ValueError: bad parameters, a bipartite graph, ``normalization="col"``.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), 3)
        >>> approximate_ppr(g, 0.2, topk=2, push_eps=1e-6).in_degree().tolist()
        [2, 2, 2]
    """
    check_graph(graph, "approximate_ppr")
    check_square(graph, "approximate_ppr")
    alpha = _check_alpha(alpha)
    topk = check_int("topk", topk)
    push_eps = check_positive("push_eps", push_eps, allow_zero=True)
    if push_eps == 0:
        raise ValueError("push_eps must be > 0 (the push would never stop)")
    _, eps = _check_sparsify(None, eps)
    normalization = check_choice("normalization", normalization, NORMALIZATIONS)
    if normalization == "col":
        raise ValueError("approximate_ppr supports normalization 'sym' or 'row'; use the exact "
                         "ppr_diffusion for 'col'")
    from ..sampling._numba_kernels import push_topk  # compiled on first use

    dtype, device = _weight_dtype(graph), graph.device
    g = graph.add_self_loops() if add_self_loops else graph
    g = g.to("cpu")
    n = g.num_nodes
    w = g.value.double() if g.value is not None else torch.ones(g.num_edges, dtype=torch.float64)
    deg = torch.zeros(n, dtype=torch.float64).index_add_(0, g.row(), w)
    # Every node is a source; weighted rows, scores rescaled by degrees for 'sym'.
    out_idx, out_val = push_topk(g.rowptr.numpy(), g.col.numpy(), np.arange(n, dtype=np.int64), alpha, push_eps,
                                 topk, torch.get_num_threads(), w=w.numpy(), deg=deg.numpy(),
                                 beta=0.5 if normalization == "sym" else 0.0, keep_dead_mass=False,
                                 source_first=False)
    idx, val = torch.from_numpy(out_idx), torch.from_numpy(out_val)
    keep = idx >= 0
    if eps is not None:
        keep &= val >= eps
    dst = torch.arange(n).view(-1, 1).expand(n, topk)[keep]
    out, _ = csr_from_edges(idx[keep], dst, n, None, val[keep].to(dtype))
    return out.to(device)


# ---------------------------------------------------------------------------- public diffusions
def ppr_diffusion(graph: Graph, alpha: float = 0.2, *, topk: Optional[int] = None, eps: Optional[float] = None,
                  method: str = "auto", ptr: Optional[Tensor] = None, add_self_loops: bool = True,
                  normalization: str = "sym", push_eps: float = 1e-4,
                  max_dense_nodes: int = DEFAULT_MAX_DENSE_NODES) -> Graph:
    """PPR diffusion as a weighted graph: exact (dense) or approximate (push, top-k).

    Args:
        graph: a square graph (a single graph, or a union of small graphs with ``ptr``).
        alpha: teleport probability in ``(0, 1)`` (MVGRL uses 0.2).
        topk: keep the ``topk`` largest sources of every node (default for the
            approximate method: 32; exact keeps all non-zero entries unless ``topk`` or
            ``eps`` is given).
        eps: drop weights below ``eps``.
        method: ``"exact"``, ``"approx"`` or ``"auto"`` (exact when every graph has at most
            ``max_dense_nodes`` nodes).
        ptr: ``[B + 1]`` node offsets of a batch: each graph is diffused on its own (the
            exact path solves all blocks as one padded batched system).
        add_self_loops: use ``A + I`` (missing self-loops only), as MVGRL.
        normalization: ``"sym"`` (MVGRL), ``"row"`` or ``"col"`` (exact only).
        push_eps: push tolerance of the approximate method.
        max_dense_nodes: largest graph the exact method accepts.

    Returns:
        A weighted Graph on the same nodes (weight of ``s -> t`` is ``S[t, s]``).

    Raises:
        ValueError: bad parameters, a bipartite graph, a too-large graph for ``"exact"``,
            a ``ptr`` that does not split the graph into disconnected blocks.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), 3)
        >>> d = ppr_diffusion(g, 0.2)
        >>> d.num_edges, torch.allclose(d.to_dense(torch.float64), ppr_matrix(g, 0.2))
        (9, True)
    """
    check_graph(graph, "ppr_diffusion")
    check_square(graph, "ppr_diffusion")
    alpha = _check_alpha(alpha)
    topk, eps = _check_sparsify(topk, eps)
    method = check_choice("diffusion method", method, _METHODS)
    normalization = check_choice("normalization", normalization, NORMALIZATIONS)
    max_dense_nodes = check_int("max_dense_nodes", max_dense_nodes)
    bptr = _block_ptr(graph, ptr)
    if method == "auto":
        largest = int((bptr[1:] - bptr[:-1]).max()) if bptr.numel() > 1 else 0
        method = "exact" if largest <= max_dense_nodes or normalization == "col" else "approx"
    if method == "approx":
        return approximate_ppr(graph, alpha, topk if topk is not None else DEFAULT_APPROX_TOPK, push_eps=push_eps,
                               eps=eps, add_self_loops=add_self_loops, normalization=normalization)
    a, sizes = _dense_blocks(graph, bptr, add_self_loops, max_dense_nodes)
    s = _ppr_blocks(a, alpha, normalization)
    return _sparsify_blocks(s, sizes, bptr, topk, eps, _weight_dtype(graph))


def heat_diffusion(graph: Graph, t: float = 5.0, *, topk: Optional[int] = None, eps: Optional[float] = None,
                   ptr: Optional[Tensor] = None, add_self_loops: bool = True, normalization: str = "sym",
                   max_dense_nodes: int = DEFAULT_MAX_DENSE_NODES) -> Graph:
    """Heat-kernel diffusion ``expm(-t (I - T))`` as a weighted graph (exact, dense, per
    graph of a batch with ``ptr``); ``topk``/``eps`` sparsify as in :func:`ppr_diffusion`.

    Raises:
        ValueError: negative ``t``, bad parameters, a bipartite or too-large graph.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), 3)
        >>> heat_diffusion(g, 1.0, topk=2).in_degree().tolist()
        [2, 2, 2]
    """
    check_graph(graph, "heat_diffusion")
    check_square(graph, "heat_diffusion")
    t = check_positive("t", t, allow_zero=True)
    topk, eps = _check_sparsify(topk, eps)
    normalization = check_choice("normalization", normalization, NORMALIZATIONS)
    max_dense_nodes = check_int("max_dense_nodes", max_dense_nodes)
    bptr = _block_ptr(graph, ptr)
    a, sizes = _dense_blocks(graph, bptr, add_self_loops, max_dense_nodes)
    return _sparsify_blocks(_heat_blocks(a, t, normalization), sizes, bptr, topk, eps, _weight_dtype(graph))


# ---------------------------------------------------------------------------- augmenters
class _Diffusion(Augmenter):
    """Shared part of the diffusion augmenters: deterministic, cached per graph."""

    def _diffuse(self, graph: Graph, ptr: Optional[Tensor]) -> Graph:
        raise NotImplementedError

    def _key(self) -> tuple:
        raise NotImplementedError

    def _apply(self, view: GraphView, generator: Optional[torch.Generator]) -> GraphView:
        check_square(view.graph, type(self).__name__)
        if view.batch is None:
            # A fixed full graph is diffused once and reused every epoch.
            key = ("augment.diffusion",) + self._key()
            if key not in view.graph._cache:
                view.graph._cache[key] = self._diffuse(view.graph, None)
            return view.replace_edges(view.graph._cache[key])
        return view.replace_edges(self._diffuse(view.graph, view.ptr()))


@register_augmenter("ppr_diffusion")
class PPRDiffusion(_Diffusion):
    """Replace the graph by its PPR diffusion (MVGRL): a weighted graph, exact for small
    graphs and approximate (push, top-k) for large ones; features are unchanged.

    Deterministic (the generator is unused); the result for a fixed graph is cached on it.
    Edge attributes cannot follow the new edges, so they are dropped (``edge_attr=None``).
    Each graph of a batch is diffused on its own.

    Args: as :func:`ppr_diffusion`.

    Raises:
        ValueError: bad parameters.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), 3)
        >>> g2, _ = PPRDiffusion(alpha=0.2, topk=2)(g, None)
        >>> g2.num_edges, g2.value is not None
        (6, True)
    """

    def __init__(self, alpha: float = 0.2, topk: Optional[int] = None, eps: Optional[float] = None,
                 method: str = "auto", add_self_loops: bool = True, normalization: str = "sym",
                 push_eps: float = 1e-4, max_dense_nodes: int = DEFAULT_MAX_DENSE_NODES) -> None:
        self.alpha = _check_alpha(alpha)
        self.topk, self.eps = _check_sparsify(topk, eps)
        self.method = check_choice("diffusion method", method, _METHODS)
        self.add_self_loops = bool(add_self_loops)
        self.normalization = check_choice("normalization", normalization, NORMALIZATIONS)
        self.push_eps = check_positive("push_eps", push_eps, allow_zero=True)
        self.max_dense_nodes = check_int("max_dense_nodes", max_dense_nodes)
        if self.method == "approx" and self.normalization == "col":
            raise ValueError("the approximate PPR supports normalization 'sym' or 'row'")

    def _key(self) -> tuple:
        return ("ppr", self.alpha, self.topk, self.eps, self.method, self.add_self_loops, self.normalization,
                self.push_eps, self.max_dense_nodes)

    def _diffuse(self, graph: Graph, ptr: Optional[Tensor]) -> Graph:
        return ppr_diffusion(graph, self.alpha, topk=self.topk, eps=self.eps, method=self.method, ptr=ptr,
                             add_self_loops=self.add_self_loops, normalization=self.normalization,
                             push_eps=self.push_eps, max_dense_nodes=self.max_dense_nodes)

    def extra_repr(self) -> str:
        s = f"alpha={self.alpha}"
        for k in ("topk", "eps"):
            if getattr(self, k) is not None:
                s += f", {k}={getattr(self, k)}"
        if self.method != "auto":
            s += f", method={self.method!r}"
        return s


@register_augmenter("heat_diffusion")
class HeatDiffusion(_Diffusion):
    """Replace the graph by its heat-kernel diffusion ``expm(-t (I - T))`` (exact, dense;
    for small graphs and batches of small graphs); features are unchanged.

    Deterministic and cached like :class:`PPRDiffusion`; edge attributes are dropped.

    Args: as :func:`heat_diffusion`.

    Raises:
        ValueError: bad parameters.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), 3)
        >>> g2, _ = HeatDiffusion(t=1.0, eps=0.1)(g, None)
        >>> bool((g2.value >= 0.1).all())
        True
    """

    def __init__(self, t: float = 5.0, topk: Optional[int] = None, eps: Optional[float] = None,
                 add_self_loops: bool = True, normalization: str = "sym",
                 max_dense_nodes: int = DEFAULT_MAX_DENSE_NODES) -> None:
        self.t = check_positive("t", t, allow_zero=True)
        self.topk, self.eps = _check_sparsify(topk, eps)
        self.add_self_loops = bool(add_self_loops)
        self.normalization = check_choice("normalization", normalization, NORMALIZATIONS)
        self.max_dense_nodes = check_int("max_dense_nodes", max_dense_nodes)

    def _key(self) -> tuple:
        return ("heat", self.t, self.topk, self.eps, self.add_self_loops, self.normalization, self.max_dense_nodes)

    def _diffuse(self, graph: Graph, ptr: Optional[Tensor]) -> Graph:
        return heat_diffusion(graph, self.t, topk=self.topk, eps=self.eps, ptr=ptr, add_self_loops=self.add_self_loops,
                              normalization=self.normalization, max_dense_nodes=self.max_dense_nodes)

    def extra_repr(self) -> str:
        s = f"t={self.t}"
        for k in ("topk", "eps"):
            if getattr(self, k) is not None:
                s += f", {k}={getattr(self, k)}"
        return s
