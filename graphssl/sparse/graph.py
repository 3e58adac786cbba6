"""The `Graph` type: a validated CSR adjacency with cached transpose and degrees.

Convention (as in PyG): an edge ``(s, t)`` goes from source ``s`` to target ``t``, and
message passing aggregates at each target over its incoming edges. The CSR is therefore
indexed by *target*: row ``t`` lists the sources of the edges that point at ``t``.
``edge_index[0]`` are sources and ``edge_index[1]`` targets, exactly as in PyG.
"""
from __future__ import annotations

import weakref
from typing import Optional, Tuple, Union

import torch
from torch import Tensor

__all__ = ["Graph"]

_INDEX_DTYPES = (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8)


def _check_index(name: str, t: Tensor, dim: int) -> Tensor:
    if not isinstance(t, Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if t.dtype not in _INDEX_DTYPES:
        raise ValueError(f"{name} must have an integer dtype, got {t.dtype}")
    if t.dim() != dim:
        raise ValueError(f"{name} must be {dim}-dimensional, got shape {tuple(t.shape)}")
    return t.long()


def _check_value(value: Optional[Tensor], num_edges: int) -> Optional[Tensor]:
    if value is None:
        return None
    if not isinstance(value, Tensor):
        raise ValueError(f"edge weights must be a torch.Tensor, got {type(value).__name__}")
    if not value.is_floating_point():
        raise ValueError(f"edge weights must be floating point, got {value.dtype}")
    if value.dim() != 1 or value.numel() != num_edges:
        raise ValueError(
            f"edge weights must have shape ({num_edges},) (one per edge), got {tuple(value.shape)}"
        )
    if value.numel() and not bool(torch.isfinite(value).all()):
        raise ValueError("edge weights contain NaN or inf")
    return value


class Graph:
    """A directed (multi-)graph in CSR form, indexed by target node.

    Args:
        rowptr: ``[num_dst_nodes + 1]`` int64, non-decreasing, ``rowptr[0] == 0``.
        col: ``[E]`` int64 source node of each edge (``from_edge_index`` sorts them within
            each row; the ops do not require it).
        value: optional ``[E]`` float edge weights.
        num_src_nodes: number of source nodes; defaults to ``num_dst_nodes`` (a square
            graph). A different value makes a bipartite graph (as the sampled ``Block``).
        validate: check the invariants (set ``False`` only for trusted internal inputs).

    Raises:
        ValueError: naming the problem, for wrong dtypes/shapes, out-of-range or negative
            indices, a decreasing ``rowptr``, non-finite weights.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1, 2], [1, 2, 0]]), num_nodes=3)
        >>> g.num_nodes, g.num_edges
        (3, 3)
    """

    def __init__(
        self,
        rowptr: Tensor,
        col: Tensor,
        value: Optional[Tensor] = None,
        num_src_nodes: Optional[int] = None,
        validate: bool = True,
    ) -> None:
        if validate:
            rowptr = _check_index("rowptr", rowptr, 1)
            col = _check_index("col", col, 1)
            if rowptr.numel() == 0:
                raise ValueError("rowptr must have at least one entry (num_dst_nodes + 1)")
            if rowptr.device != col.device:
                raise ValueError(f"rowptr is on {rowptr.device} but col is on {col.device}")
            if int(rowptr[0]) != 0:
                raise ValueError(f"rowptr[0] must be 0, got {int(rowptr[0])}")
            if int(rowptr[-1]) != col.numel():
                raise ValueError(
                    f"rowptr[-1] ({int(rowptr[-1])}) must equal the number of edges ({col.numel()})"
                )
            if rowptr.numel() > 1 and bool((rowptr[1:] < rowptr[:-1]).any()):
                raise ValueError("rowptr must be non-decreasing")
            value = _check_value(value, col.numel())
            if value is not None and value.device != col.device:
                raise ValueError(f"edge weights are on {value.device} but col is on {col.device}")
        num_dst = rowptr.numel() - 1
        if num_src_nodes is None:
            num_src_nodes = num_dst
        if validate:
            if int(num_src_nodes) < 0:
                raise ValueError(f"num_src_nodes must be >= 0, got {num_src_nodes}")
            if col.numel():
                lo, hi = int(col.min()), int(col.max())
                if lo < 0:
                    raise ValueError(f"source index {lo} is negative")
                if hi >= num_src_nodes:
                    raise ValueError(
                        f"source index {hi} is out of range for {num_src_nodes} source nodes"
                    )
        self.rowptr = rowptr
        self.col = col
        self.value = value
        self._num_src = int(num_src_nodes)
        self._cache: dict = {}

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_edge_index(
        cls,
        edge_index: Tensor,
        num_nodes: Optional[int] = None,
        edge_weight: Optional[Tensor] = None,
        coalesce: bool = False,
        num_src_nodes: Optional[int] = None,
    ) -> "Graph":
        """Build a graph from a PyG-style ``edge_index`` (``[0]`` sources, ``[1]`` targets).

        Args:
            edge_index: ``[2, E]`` integer tensor.
            num_nodes: number of (target) nodes; inferred as ``max index + 1`` if omitted.
            edge_weight: optional ``[E]`` float weights.
            coalesce: merge duplicate edges, summing their weights.
            num_src_nodes: for a bipartite graph, the number of source nodes.

        Raises:
            ValueError: bad shape or dtype, negative or out-of-range index, NaN/inf weight.
        """
        edge_index = _check_index("edge_index", edge_index, 2)
        if edge_index.size(0) != 2:
            raise ValueError(f"edge_index must have shape [2, E], got {tuple(edge_index.shape)}")
        src, dst = edge_index[0], edge_index[1]
        if edge_index.numel() and int(edge_index.min()) < 0:
            raise ValueError(f"edge_index contains a negative index ({int(edge_index.min())})")
        inferred = int(edge_index.max()) + 1 if edge_index.numel() else 0
        if num_nodes is None:
            num_nodes = inferred if num_src_nodes is None else (int(dst.max()) + 1 if dst.numel() else 0)
        if num_src_nodes is None:
            if inferred > num_nodes:
                raise ValueError(
                    f"edge_index contains node index {inferred - 1}, out of range for num_nodes={num_nodes}"
                )
        else:
            if dst.numel() and int(dst.max()) >= num_nodes:
                raise ValueError(
                    f"target index {int(dst.max())} is out of range for {num_nodes} target nodes"
                )
            if src.numel() and int(src.max()) >= num_src_nodes:
                raise ValueError(
                    f"source index {int(src.max())} is out of range for {num_src_nodes} source nodes"
                )
        edge_weight = _check_value(edge_weight, src.numel())
        num_src = num_nodes if num_src_nodes is None else int(num_src_nodes)
        # Sort by (target, source): one stable sort on a combined key.
        key = dst * max(num_src, 1) + src
        perm = torch.argsort(key, stable=True)
        src, dst = src[perm], dst[perm]
        value = edge_weight[perm] if edge_weight is not None else None
        if coalesce and src.numel():
            key = key[perm]
            keep = torch.ones_like(key, dtype=torch.bool)
            keep[1:] = key[1:] != key[:-1]
            if not bool(keep.all()):
                if value is not None:
                    group = torch.cumsum(keep.long(), 0) - 1
                    value = torch.zeros(int(keep.sum()), dtype=value.dtype, device=value.device).index_add_(0, group, value)
                src, dst = src[keep], dst[keep]
        counts = torch.bincount(dst, minlength=num_nodes) if dst.numel() else torch.zeros(num_nodes, dtype=torch.long, device=src.device)
        rowptr = torch.zeros(num_nodes + 1, dtype=torch.long, device=src.device)
        torch.cumsum(counts, 0, out=rowptr[1:])
        return cls(rowptr, src, value, num_src_nodes=num_src, validate=False)

    @classmethod
    def empty(cls, num_nodes: int, device: Union[str, torch.device, None] = None) -> "Graph":
        """A graph with ``num_nodes`` nodes and no edges."""
        if num_nodes < 0:
            raise ValueError(f"num_nodes must be >= 0, got {num_nodes}")
        return cls(torch.zeros(num_nodes + 1, dtype=torch.long, device=device),
                   torch.zeros(0, dtype=torch.long, device=device), validate=False)

    # ------------------------------------------------------------------ sizes
    @property
    def num_dst_nodes(self) -> int:
        return self.rowptr.numel() - 1

    @property
    def num_src_nodes(self) -> int:
        return self._num_src

    @property
    def is_bipartite(self) -> bool:
        return self._num_src != self.num_dst_nodes

    @property
    def num_nodes(self) -> int:
        """Number of nodes of a square graph (for a bipartite one: the target nodes)."""
        return self.num_dst_nodes

    @property
    def num_edges(self) -> int:
        return self.col.numel()

    @property
    def device(self) -> torch.device:
        return self.col.device

    @property
    def edge_weight(self) -> Optional[Tensor]:
        """Alias of ``value``."""
        return self.value

    def __repr__(self) -> str:
        size = (f"num_nodes={self.num_nodes}" if not self.is_bipartite
                else f"num_src_nodes={self.num_src_nodes}, num_dst_nodes={self.num_dst_nodes}")
        weighted = ", weighted" if self.value is not None else ""
        return f"Graph({size}, num_edges={self.num_edges}{weighted}, device={self.device})"

    # ------------------------------------------------------------------ cached views
    def row(self) -> Tensor:
        """``[E]`` target node of each edge (CSR row index), cached."""
        if "row" not in self._cache:
            counts = self.rowptr[1:] - self.rowptr[:-1]
            self._cache["row"] = torch.repeat_interleave(
                torch.arange(self.num_dst_nodes, device=self.device), counts, output_size=self.num_edges)
        return self._cache["row"]

    def transpose_perm(self) -> Tensor:
        """``[E]`` permutation: edge ``k`` of :meth:`transpose` is edge ``perm[k]`` of ``self``."""
        if "tperm" not in self._cache:
            key = self.col * max(self.num_dst_nodes, 1) + self.row()
            self._cache["tperm"] = torch.argsort(key, stable=True)
        return self._cache["tperm"]

    def transpose(self) -> "Graph":
        """The reversed graph (CSC of ``self`` as a CSR), computed once and cached.

        Its edge weights are ``self.value`` permuted by :meth:`transpose_perm`.
        """
        t = self._cache.get("t")
        if t is None and "t_of" in self._cache:  # this graph is a transpose: its origin, if alive
            t = self._cache["t_of"]()
        if t is None:
            perm = self.transpose_perm()
            counts = torch.bincount(self.col, minlength=self.num_src_nodes) if self.num_edges else \
                torch.zeros(self.num_src_nodes, dtype=torch.long, device=self.device)
            rowptr = torch.zeros(self.num_src_nodes + 1, dtype=torch.long, device=self.device)
            torch.cumsum(counts, 0, out=rowptr[1:])
            value = self.value[perm] if self.value is not None else None
            t = Graph(rowptr, self.row()[perm], value, num_src_nodes=self.num_dst_nodes, validate=False)
            # A weak way back: a strong one would make a reference cycle, and a dropped graph
            # (with its caches: transposes, layouts, normalised copies) would wait for the
            # cyclic garbage collector instead of being freed at once.
            t._cache["t_of"] = weakref.ref(self)
            self._cache["t"] = t
        return t

    def __getstate__(self) -> dict:
        """Pickled without its caches (derived data, rebuilt on demand; some hold weak references)."""
        state = self.__dict__.copy()
        state["_cache"] = {}
        return state

    def in_degree(self, weighted: bool = False) -> Tensor:
        """``[num_dst_nodes]`` number (or total weight) of incoming edges per node."""
        key = ("indeg", weighted)
        if key not in self._cache:
            if weighted and self.value is not None:
                deg = torch.zeros(self.num_dst_nodes, dtype=self.value.dtype, device=self.device)
                deg.index_add_(0, self.row(), self.value)
            else:
                deg = (self.rowptr[1:] - self.rowptr[:-1])
                if weighted:
                    deg = deg.float()
            self._cache[key] = deg
        return self._cache[key]

    def out_degree(self, weighted: bool = False) -> Tensor:
        """``[num_src_nodes]`` number (or total weight) of outgoing edges per node."""
        return self.transpose().in_degree(weighted)

    # ------------------------------------------------------------------ conversions
    def to_edge_index(self) -> Tuple[Tensor, Optional[Tensor]]:
        """Return ``(edge_index [2, E], edge_weight [E] or None)`` in CSR order."""
        return torch.stack([self.col, self.row()]), self.value

    def to_dense(self, dtype: torch.dtype = torch.float32) -> Tensor:
        """``[num_dst_nodes, num_src_nodes]`` dense matrix ``A[t, s]`` (summing duplicates)."""
        a = torch.zeros(self.num_dst_nodes, self.num_src_nodes, dtype=dtype, device=self.device)
        v = self.value.to(dtype) if self.value is not None else torch.ones(self.num_edges, dtype=dtype, device=self.device)
        a.index_put_((self.row(), self.col), v, accumulate=True)
        return a

    def to(self, device: Union[str, torch.device]) -> "Graph":
        """A copy on ``device`` (caches are recomputed there lazily)."""
        device = torch.device(device)
        if device == self.device:
            return self
        value = self.value.to(device) if self.value is not None else None
        return Graph(self.rowptr.to(device), self.col.to(device), value,
                     num_src_nodes=self._num_src, validate=False)

    def with_value(self, value: Optional[Tensor]) -> "Graph":
        """Same structure with other edge weights (shares the cached structure)."""
        g = Graph(self.rowptr, self.col, _check_value(value, self.num_edges),
                  num_src_nodes=self._num_src, validate=False)
        for k in ("row", "tperm"):
            if k in self._cache:
                g._cache[k] = self._cache[k]
        return g

    # ------------------------------------------------------------------ transforms
    def _require_square(self, what: str) -> None:
        if self.is_bipartite:
            raise ValueError(f"{what} needs a square graph, got a bipartite one ({self!r})")

    def coalesce(self) -> "Graph":
        """Merge duplicate edges, summing their weights."""
        ei, w = self.to_edge_index()
        return Graph.from_edge_index(ei, self.num_dst_nodes, w, coalesce=True,
                                     num_src_nodes=self._num_src if self.is_bipartite else None)

    def has_self_loops(self) -> bool:
        return bool((self.row() == self.col).any()) if not self.is_bipartite else False

    def remove_self_loops(self) -> "Graph":
        """Drop edges ``(i, i)``."""
        self._require_square("remove_self_loops")
        ei, w = self.to_edge_index()
        keep = ei[0] != ei[1]
        return Graph.from_edge_index(ei[:, keep], self.num_nodes, w[keep] if w is not None else None)

    def add_self_loops(self, fill_value: float = 1.0) -> "Graph":
        """Add a self-loop of weight ``fill_value`` to every node that has none.

        Existing self-loops are kept with their weights (PyG's
        ``add_remaining_self_loops``). Unweighted graphs stay unweighted when
        ``fill_value == 1``.
        """
        self._require_square("add_self_loops")
        ei, w = self.to_edge_index()
        has = torch.zeros(self.num_nodes, dtype=torch.bool, device=self.device)
        has[ei[0][ei[0] == ei[1]]] = True
        new = torch.arange(self.num_nodes, device=self.device)[~has]
        ei = torch.cat([ei, new.unsqueeze(0).repeat(2, 1)], 1)
        if w is not None or fill_value != 1.0:
            base = w if w is not None else torch.ones(self.num_edges, device=self.device)
            w = torch.cat([base, torch.full((new.numel(),), float(fill_value), dtype=base.dtype, device=self.device)])
        return Graph.from_edge_index(ei, self.num_nodes, w)

    def to_undirected(self, reduce: str = "sum") -> "Graph":
        """Add the reverse of every edge and merge duplicates.

        Args:
            reduce: how weights of merged duplicates combine (``"sum"`` as in PyG, ``"max"``,
                or ``"mean"``); irrelevant for unweighted graphs, which just de-duplicate.
        """
        self._require_square("to_undirected")
        if reduce not in ("sum", "max", "mean"):
            raise ValueError(f"reduce must be 'sum', 'max' or 'mean', got {reduce!r}")
        ei, w = self.to_edge_index()
        ei = torch.cat([ei, ei.flip(0)], 1)
        if w is None:
            return Graph.from_edge_index(ei, self.num_nodes, coalesce=True)
        w = torch.cat([w, w])
        key = ei[1] * max(self.num_nodes, 1) + ei[0]
        uniq, inv = torch.unique(key, return_inverse=True)
        if reduce == "max":
            out = torch.full((uniq.numel(),), float("-inf"), dtype=w.dtype, device=w.device)
            out = out.scatter_reduce(0, inv, w, "amax")
        else:
            out = torch.zeros(uniq.numel(), dtype=w.dtype, device=w.device).index_add_(0, inv, w)
            if reduce == "mean":
                out = out / torch.bincount(inv, minlength=uniq.numel()).to(w.dtype)
        n = max(self.num_nodes, 1)
        return Graph.from_edge_index(torch.stack([uniq % n, uniq // n]), self.num_nodes, out)

    def gcn_norm(self, add_self_loops: bool = True) -> "Graph":
        """Symmetric normalisation ``D^-1/2 (A [+ I]) D^-1/2`` as in GCN / PyG's ``gcn_norm``.

        The degree is the weighted in-degree (after adding self-loops when asked);
        nodes of degree 0 get weight 0 rather than inf.
        """
        self._require_square("gcn_norm")
        g = self.add_self_loops() if add_self_loops else self
        w = g.value if g.value is not None else torch.ones(g.num_edges, device=g.device)
        deg = torch.zeros(g.num_nodes, dtype=w.dtype, device=g.device).index_add_(0, g.row(), w)
        dinv = deg.pow(-0.5)
        dinv = torch.where(torch.isinf(dinv), torch.zeros_like(dinv), dinv)
        return g.with_value(dinv[g.col] * w * dinv[g.row()])

    def subgraph(self, nodes: Tensor, return_edge_ids: bool = False):
        """The subgraph induced by ``nodes``, relabelled ``0..len(nodes)-1`` in the given order.

        Args:
            nodes: ``[K]`` node ids (unique) or a ``[num_nodes]`` bool mask.
            return_edge_ids: also return the ids (CSR positions in ``self``) of kept edges.

        Raises:
            ValueError: index out of range, duplicates, or a mask of the wrong length.
        """
        self._require_square("subgraph")
        if not isinstance(nodes, Tensor):
            nodes = torch.as_tensor(nodes)
        nodes = nodes.to(self.device)
        if nodes.dtype == torch.bool:
            if nodes.numel() != self.num_nodes:
                raise ValueError(f"node mask has length {nodes.numel()}, expected {self.num_nodes}")
            nodes = nodes.nonzero().view(-1)
        nodes = _check_index("nodes", nodes, 1)
        if nodes.numel():
            if int(nodes.min()) < 0 or int(nodes.max()) >= self.num_nodes:
                raise ValueError(f"subgraph nodes must lie in [0, {self.num_nodes}), got "
                                 f"[{int(nodes.min())}, {int(nodes.max())}]")
        relabel = torch.full((self.num_nodes,), -1, dtype=torch.long, device=self.device)
        relabel[nodes] = torch.arange(nodes.numel(), device=self.device)
        if int((relabel >= 0).sum()) != nodes.numel():
            raise ValueError("subgraph nodes contain duplicates")
        src, dst = relabel[self.col], relabel[self.row()]
        keep = (src >= 0) & (dst >= 0)
        eid = keep.nonzero().view(-1)
        w = self.value[eid] if self.value is not None else None
        # from_edge_index sorts; keep track of the edge ids through the sort.
        ei = torch.stack([src[eid], dst[eid]])
        key = ei[1] * max(nodes.numel(), 1) + ei[0]
        order = torch.argsort(key, stable=True)
        g = Graph.from_edge_index(ei[:, order], nodes.numel(), w[order] if w is not None else None)
        return (g, eid[order]) if return_edge_ids else g
