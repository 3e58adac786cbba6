"""Batching many small graphs into one disjoint union (graph classification, molecules).

The union keeps graph ``i``'s nodes at rows ``ptr[i]:ptr[i+1]`` and its edges at CSR
positions ``edge_ptr[i]:edge_ptr[i+1]``. Because the union's CSR is indexed by target and
each graph's targets come after the previous graph's, the union's CSR edge order is just
the concatenation of the graphs' CSR edge orders, so per-edge attributes concatenate
without any sorting.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Union

import torch
from torch import Tensor

from .graph import Graph
from .graph_sizes import GraphSizes

__all__ = ["GraphBatch", "GraphItem", "collate", "unbatch"]

_Y_LEVELS = ("auto", "graph", "node")


@dataclass
class GraphItem:
    """One graph of a batch, as :func:`unbatch` returns it (duck-types a dataset's sample).

    Attributes:
        graph: the graph (square, nodes numbered from 0).
        x: ``[n, F]`` node features or None.
        y: the graph's label(s) (graph-level) or ``[n, ...]`` node labels, or None.
        edge_attr: ``[e, ...]`` attributes in ``graph``'s CSR edge order, or None.
    """

    graph: Graph
    x: Optional[Tensor] = None
    y: Optional[Tensor] = None
    edge_attr: Optional[Tensor] = None


@dataclass
class GraphBatch(GraphSizes):
    """A disjoint union of ``num_graphs`` graphs, stored graph after graph.

    Attributes:
        graph: the union graph (``ptr[-1]`` nodes), block-diagonal adjacency.
        x: ``[N, F]`` node features or None.
        edge_attr: ``[E, ...]`` per-edge attributes in ``graph``'s CSR edge order, or None.
        y: ``[B, ...]`` graph labels (``y_level == "graph"``), ``[N, ...]`` node labels
            (``"node"``), or None.
        batch: ``[N]`` int64 graph id of every node.
        ptr: ``[B + 1]`` int64 node offsets (graph ``i`` owns rows ``ptr[i]:ptr[i+1]``).
        num_graphs: ``B``.
        edge_ptr: ``[B + 1]`` int64 edge offsets in the union's CSR order.
        y_level: ``"graph"``, ``"node"`` or None (no labels).
    """

    graph: Graph
    x: Optional[Tensor]
    edge_attr: Optional[Tensor]
    y: Optional[Tensor]
    batch: Tensor
    ptr: Tensor
    num_graphs: int
    edge_ptr: Optional[Tensor] = None
    y_level: Optional[str] = None

    @property
    def device(self) -> torch.device:
        """Device of the union graph."""
        return self.graph.device

    def num_nodes_per_graph(self) -> Tensor:
        """``[B]`` node count of each graph."""
        return self.ptr[1:] - self.ptr[:-1]

    def num_edges_per_graph(self) -> Tensor:
        """``[B]`` edge count of each graph."""
        return self.edge_ptr[1:] - self.edge_ptr[:-1]

    def to(self, device: Union[str, torch.device]) -> "GraphBatch":
        """A copy with every tensor on ``device``."""
        mv = lambda t: t.to(device) if t is not None else None  # noqa: E731
        return GraphBatch(self.graph.to(device), mv(self.x), mv(self.edge_attr), mv(self.y), mv(self.batch),
                          mv(self.ptr), self.num_graphs, mv(self.edge_ptr), self.y_level)

    def split_nodes(self, t: Tensor) -> List[Tensor]:
        """Split a ``[N, ...]`` node tensor into one ``[n_i, ...]`` view per graph.

        Raises:
            ValueError: ``t`` does not have one row per node.
        """
        if t.size(0) != self.num_nodes:
            raise ValueError(f"expected a tensor with {self.num_nodes} rows (one per node), got {t.size(0)}")
        return list(torch.split(t, self.num_nodes_per_graph().tolist()))

    def split_edges(self, t: Tensor) -> List[Tensor]:
        """Split a ``[E, ...]`` edge tensor (union CSR order) into one view per graph.

        Raises:
            ValueError: ``t`` does not have one row per edge.
        """
        if t.size(0) != self.num_edges:
            raise ValueError(f"expected a tensor with {self.num_edges} rows (one per edge), got {t.size(0)}")
        return list(torch.split(t, self.num_edges_per_graph().tolist()))

    def __len__(self) -> int:
        return self.num_graphs

    def __repr__(self) -> str:
        x = f", x={tuple(self.x.shape)}" if self.x is not None else ""
        ea = f", edge_attr={tuple(self.edge_attr.shape)}" if self.edge_attr is not None else ""
        y = f", y={tuple(self.y.shape)}" if self.y is not None else ""
        return (f"GraphBatch(num_graphs={self.num_graphs}, num_nodes={self.num_nodes}, "
                f"num_edges={self.num_edges}{x}{ea}{y})")


def _field(sample: Any, name: str, i: int, required: bool = False) -> Any:
    if not hasattr(sample, name):
        if required:
            raise ValueError(f"sample {i} has no attribute {name!r} (a sample needs .graph, .x, .y)")
        return None
    return getattr(sample, name)


def _cat_optional(name: str, parts: List[Optional[Tensor]], counts: List[int]) -> Optional[Tensor]:
    """Concatenate per-graph tensors; all None -> None; a mix is allowed only where the count is 0."""
    present = [p for p in parts if p is not None]
    if not present:
        return None
    ref = present[0]
    for i, (p, n) in enumerate(zip(parts, counts)):
        if p is None:
            if n:
                raise ValueError(f"sample {i} has no {name} but other samples do")
            continue
        if not isinstance(p, Tensor):
            raise ValueError(f"sample {i}: {name} must be a torch.Tensor, got {type(p).__name__}")
        if p.dim() == 0 or p.size(0) != n:
            raise ValueError(f"sample {i}: {name} has shape {tuple(p.shape)}, expected {n} rows")
        if p.shape[1:] != ref.shape[1:]:
            raise ValueError(f"sample {i}: {name} has trailing shape {tuple(p.shape[1:])}, "
                             f"but sample 0 has {tuple(ref.shape[1:])}")
    filled = [p if p is not None else ref.new_zeros((0,) + tuple(ref.shape[1:])) for p in parts]
    return torch.cat(filled, 0)


def _collate_y(ys: List[Optional[Tensor]], counts: List[int], y_level: str):
    if all(y is None for y in ys):
        return None, None
    for i, y in enumerate(ys):
        if y is None:
            raise ValueError(f"sample {i} has no y but other samples do")
    ys = [y if isinstance(y, Tensor) else torch.as_tensor(y) for y in ys]
    per_node = all(y.dim() > 0 and y.size(0) == n for y, n in zip(ys, counts)) and max(counts) > 1
    if y_level == "node" or (y_level == "auto" and per_node):
        for i, (y, n) in enumerate(zip(ys, counts)):
            if y.dim() == 0 or y.size(0) != n:
                raise ValueError(f"sample {i}: node-level y has shape {tuple(y.shape)}, expected {n} rows")
        return torch.cat(ys, 0), "node"
    # graph level: scalars stack, [1, ...] concatenate, equal shapes stack.
    if all(y.dim() == 0 for y in ys):
        return torch.stack(ys), "graph"
    if all(y.dim() > 0 and y.size(0) == 1 for y in ys) and len({y.shape for y in ys}) == 1:
        return torch.cat(ys, 0), "graph"
    if len({y.shape for y in ys}) == 1:
        return torch.stack(ys), "graph"
    raise ValueError("cannot collate y: shapes differ between samples "
                     f"({sorted({tuple(y.shape) for y in ys})[:4]}) and are not one row per node")


def collate(samples: Sequence[Any], y_level: str = "auto") -> GraphBatch:
    """Merge small graphs into one :class:`GraphBatch` (their disjoint union).

    Args:
        samples: objects with ``.graph`` (:class:`Graph`, square), ``.x`` (``[n_i, F]`` or
            None), ``.y`` (label tensor or None) and optionally ``.edge_attr``
            (``[e_i, ...]`` in the sample graph's CSR edge order). A dataset's
            ``GraphSample`` dataclass fits.
        y_level: how to merge labels: ``"graph"`` (scalars or equal shapes are stacked to
            ``[B, ...]``, ``[1, ...]`` rows are concatenated), ``"node"`` (one row per node,
            concatenated to ``[N, ...]``) or ``"auto"`` (node-level when every ``y`` has one
            row per node of its graph and some graph has more than one node).

    Returns:
        A :class:`GraphBatch`; edge weights of the sample graphs are kept (graphs without
        weights get 1 when some other graph has weights).

    Raises:
        ValueError: empty input, a sample without ``.graph``, a bipartite graph, feature or
            attribute rows that do not match the graph, mixed presence of x / edge_attr / y,
            mismatched trailing shapes, graphs on different devices.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1], [1, 0]]), 2)
        >>> s = GraphItem(g, torch.ones(2, 3), torch.tensor(1))
        >>> b = collate([s, s]); b.num_graphs, b.num_nodes, b.y.tolist()
        (2, 4, [1, 1])
    """
    if y_level not in _Y_LEVELS:
        raise ValueError(f"y_level must be one of {_Y_LEVELS}, got {y_level!r}")
    if isinstance(samples, (Graph, GraphBatch)) or not hasattr(samples, "__len__"):
        raise ValueError(f"collate takes a list of samples, got {type(samples).__name__}")
    if len(samples) == 0:
        raise ValueError("collate needs at least one sample")
    graphs: List[Graph] = []
    for i, s in enumerate(samples):
        g = _field(s, "graph", i, required=True)
        if not isinstance(g, Graph):
            raise ValueError(f"sample {i}: .graph must be a graphssl.sparse.Graph, got {type(g).__name__}")
        if g.is_bipartite:
            raise ValueError(f"sample {i}: cannot batch a bipartite graph ({g!r})")
        graphs.append(g)
    device = graphs[0].device
    for i, g in enumerate(graphs):
        if g.device != device:
            raise ValueError(f"sample {i} is on {g.device} but sample 0 is on {device}")
    node_counts = [g.num_nodes for g in graphs]
    edge_counts = [g.num_edges for g in graphs]
    nodes = torch.tensor(node_counts, dtype=torch.long, device=device)
    edges = torch.tensor(edge_counts, dtype=torch.long, device=device)
    ptr = torch.zeros(len(graphs) + 1, dtype=torch.long, device=device)
    torch.cumsum(nodes, 0, out=ptr[1:])
    edge_ptr = torch.zeros(len(graphs) + 1, dtype=torch.long, device=device)
    torch.cumsum(edges, 0, out=edge_ptr[1:])

    # Row counts of the union are the graphs' row counts in order; each col shifts by its
    # graph's node offset.
    row_counts = torch.cat([g.rowptr[1:] - g.rowptr[:-1] for g in graphs])
    rowptr = torch.zeros(int(ptr[-1]) + 1, dtype=torch.long, device=device)
    torch.cumsum(row_counts, 0, out=rowptr[1:])
    num_edges = int(edge_ptr[-1])
    col = torch.cat([g.col for g in graphs]) + torch.repeat_interleave(ptr[:-1], edges, output_size=num_edges)
    value = None
    if any(g.value is not None for g in graphs):
        dtype = next(g.value.dtype for g in graphs if g.value is not None)
        value = torch.cat([g.value.to(dtype) if g.value is not None
                           else torch.ones(g.num_edges, dtype=dtype, device=device) for g in graphs])
    union = Graph(rowptr, col, value, num_src_nodes=int(ptr[-1]), validate=False)

    x = _cat_optional("x", [_field(s, "x", i) for i, s in enumerate(samples)], node_counts)
    edge_attr = _cat_optional("edge_attr", [_field(s, "edge_attr", i) for i, s in enumerate(samples)],
                              edge_counts)
    y, level = _collate_y([_field(s, "y", i) for i, s in enumerate(samples)], node_counts, y_level)
    batch = torch.repeat_interleave(torch.arange(len(graphs), device=device), nodes,
                                    output_size=int(ptr[-1]))
    return GraphBatch(union, x, edge_attr, y, batch, ptr, len(graphs), edge_ptr, level)


def unbatch(batch: GraphBatch) -> List[GraphItem]:
    """Split a :class:`GraphBatch` back into its graphs (inverse of :func:`collate`).

    Returns:
        One :class:`GraphItem` per graph, with node ids renumbered from 0 and edge
        attributes in each graph's CSR order.

    Raises:
        ValueError: ``batch`` is not a GraphBatch.
    """
    if not isinstance(batch, GraphBatch):
        raise ValueError(f"unbatch takes a GraphBatch, got {type(batch).__name__}")
    ptr = batch.ptr.tolist()
    eptr = batch.edge_ptr.tolist() if batch.edge_ptr is not None else None
    if eptr is None:
        eptr = batch.graph.rowptr[batch.ptr].tolist()
    g = batch.graph
    items = []
    for i in range(batch.num_graphs):
        n0, n1, e0, e1 = ptr[i], ptr[i + 1], eptr[i], eptr[i + 1]
        value = g.value[e0:e1] if g.value is not None else None
        sub = Graph(g.rowptr[n0:n1 + 1] - e0, g.col[e0:e1] - n0, value, validate=False)
        y = None
        if batch.y is not None:
            y = batch.y[n0:n1] if batch.y_level == "node" else batch.y[i]
        items.append(GraphItem(sub, batch.x[n0:n1] if batch.x is not None else None, y,
                               batch.edge_attr[e0:e1] if batch.edge_attr is not None else None))
    return items
