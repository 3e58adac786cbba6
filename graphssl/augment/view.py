"""`GraphView`: a graph plus everything an augmentation must keep aligned with it.

Augmenters transform a :class:`GraphView` into another one. Besides the graph and the
node features it carries per-edge attributes, the graph id of every node when the graph
is a union of small graphs (a :class:`GraphBatch`), and where every node and edge of the
result came from, so node dropping can update ``ptr``/``batch`` and edge dropping can keep
``edge_attr`` aligned, whatever chain of augmenters ran.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional

import torch
from torch import Tensor

from ..sparse.batch import GraphBatch
from ..sparse.graph import Graph
from ._csr import kept_positions, ptr_from_batch, rowptr_from_rows
from ._validation import check_batch_vector, check_edge_tensor, check_graph, check_node_tensor

__all__ = ["GraphView"]


@dataclass
class GraphView:
    """A graph with its node features and the bookkeeping augmenters keep up to date.

    Attributes:
        graph: a square :class:`Graph`, or a bipartite one (a sampled Block: only edge and
            feature augmentations apply).
        x: ``[num_src_nodes, F]`` node features, or None.
        edge_attr: ``[E, ...]`` per-edge attributes in ``graph``'s CSR order, or None.
        batch: ``[N]`` sorted graph id of every node when ``graph`` is a union of graphs,
            or None for a single graph.
        num_graphs: number of graphs in the union (default: ``batch.max() + 1``, or 1 for
            a single graph).
        node_ids: ``[N']`` id in the original input of every node, or None while the node
            set is unchanged.
        edge_ids: ``[E']`` CSR position in the original input of every edge (``-1`` for an
            edge an augmenter added), or None while the edge set is unchanged.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1], [1, 0]]), 2)
        >>> v = GraphView(g, torch.ones(2, 3))
        >>> v.num_nodes, v.ptr().tolist()
        (2, [0, 2])
    """

    graph: Graph
    x: Optional[Tensor] = None
    edge_attr: Optional[Tensor] = None
    batch: Optional[Tensor] = None
    num_graphs: Optional[int] = None
    node_ids: Optional[Tensor] = None
    edge_ids: Optional[Tensor] = None

    def __post_init__(self) -> None:
        if self.num_graphs is None:
            self.num_graphs = 1 if self.batch is None or not isinstance(self.batch, Tensor) else \
                (int(self.batch.max()) + 1 if self.batch.numel() else 0)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_batch(cls, batch: GraphBatch) -> "GraphView":
        """The view of a :class:`GraphBatch` (its union graph, x, edge_attr and batch vector).

        Raises:
            ValueError: ``batch`` is not a GraphBatch.
        """
        if not isinstance(batch, GraphBatch):
            raise ValueError(f"expected a GraphBatch, got {type(batch).__name__}")
        return cls(batch.graph, batch.x, batch.edge_attr, batch.batch, batch.num_graphs)

    def validate(self, what: str = "augmenter") -> "GraphView":
        """Check shapes: x has one row per source node, edge_attr one per edge, batch one
        sorted id per node. Returns ``self``.

        Raises:
            ValueError: naming the mismatch.
        """
        g = check_graph(self.graph, what)
        check_node_tensor(f"{what}: x", self.x, g.num_src_nodes)
        check_edge_tensor(f"{what}: edge_attr", self.edge_attr, g.num_edges)
        if self.batch is not None:
            if g.is_bipartite:
                raise ValueError(f"{what}: a batch vector needs a square graph")
            self.num_graphs = check_batch_vector(self.batch, g.num_nodes, self.num_graphs)
        return self

    def to_batch(self, like: GraphBatch) -> GraphBatch:
        """A :class:`GraphBatch` of this view, taking labels and metadata from ``like``
        (the batch it was made from): ``ptr``, ``edge_ptr`` and ``batch`` are recomputed
        and node-level labels follow the kept nodes."""
        g = self.graph
        batch = self.batch if self.batch is not None else torch.zeros(g.num_nodes, dtype=torch.long,
                                                                         device=g.device)
        ptr = ptr_from_batch(batch, self.num_graphs, g.num_nodes, g.device)
        edge_ptr = rowptr_from_rows(batch[g.row()], self.num_graphs)
        y = like.y
        if y is not None and like.y_level == "node" and self.node_ids is not None:
            y = y[self.node_ids.to(y.device)]
        return GraphBatch(g, self.x, self.edge_attr, y, batch, ptr, self.num_graphs, edge_ptr, like.y_level)

    # ------------------------------------------------------------------ queries
    @property
    def num_nodes(self) -> int:
        """Number of (target) nodes of the graph."""
        return self.graph.num_nodes

    @property
    def device(self) -> torch.device:
        return self.graph.device

    def ptr(self) -> Tensor:
        """``[num_graphs + 1]`` node offsets (``[0, N]`` for a single graph)."""
        return ptr_from_batch(self.batch, self.num_graphs, self.graph.num_nodes, self.graph.device)

    # ------------------------------------------------------------------ edits
    def replace(self, **changes) -> "GraphView":
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    def keep_edges(self, graph: Graph, edge_mask: Tensor) -> "GraphView":
        """The view after keeping only the edges where ``edge_mask [E]`` is True (``graph``
        is the filtered graph, in the same relative CSR order)."""
        kept = kept_positions(edge_mask)
        attr = self.edge_attr.index_select(0, kept) if self.edge_attr is not None else None
        ids = self.edge_ids.index_select(0, kept) if self.edge_ids is not None else kept
        return self.replace(graph=graph, edge_attr=attr, edge_ids=ids)

    def rewire(self, graph: Graph, origin: Tensor) -> "GraphView":
        """The view with a new edge set: edge ``k`` of ``graph`` is current edge
        ``origin[k]``, or a new edge where ``origin[k] == -1`` (its attributes are zeros)."""
        ids = self.edge_ids if self.edge_ids is not None else torch.arange(self.graph.num_edges,
                                                                           device=self.device)
        new = origin < 0
        safe = origin.clamp_min(0)
        attr = None
        if self.edge_attr is not None:
            attr = self.edge_attr[safe] if self.edge_attr.size(0) else \
                self.edge_attr.new_zeros((origin.numel(),) + tuple(self.edge_attr.shape[1:]))
            attr[new] = 0
        edge_ids = ids[safe] if ids.numel() else torch.zeros_like(origin)
        edge_ids = torch.where(new, torch.full_like(edge_ids, -1), edge_ids)
        return self.replace(graph=graph, edge_attr=attr, edge_ids=edge_ids)

    def replace_edges(self, graph: Graph) -> "GraphView":
        """The view with an entirely new edge set on the same nodes (diffusion): edge
        attributes cannot follow, so ``edge_attr`` becomes None."""
        return self.replace(graph=graph, edge_attr=None,
                            edge_ids=torch.full((graph.num_edges,), -1, dtype=torch.long, device=graph.device))

    def keep_nodes(self, graph: Graph, node_mask: Tensor, edge_mask: Tensor, relabel: bool = True) -> "GraphView":
        """The view after keeping the nodes where ``node_mask [N]`` is True and the edges
        where ``edge_mask [E]`` is True; ``graph`` is the resulting graph (nodes renumbered
        in order when ``relabel``, else all nodes kept and dropped ones isolated)."""
        v = self.keep_edges(graph, edge_mask)
        if not relabel:
            return v
        kept = kept_positions(node_mask)
        return v.replace(x=self.x.index_select(0, kept) if self.x is not None else None,
                         batch=self.batch.index_select(0, kept) if self.batch is not None else None,
                         node_ids=self.node_ids.index_select(0, kept) if self.node_ids is not None else kept)
