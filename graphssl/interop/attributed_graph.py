"""`AttributedGraph`: a `Graph` with the node, edge and graph attributes that travel with it.

Every ``from_*`` converter of :mod:`graphssl.interop` returns one and every ``to_*``
converter accepts one, so attributes survive a round trip. Edge attributes are always
stored in the Graph's CSR edge order (sorted by target, then source, stably), which is
the order :func:`graphssl.sparse.spmm` expects for per-edge weights.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Hashable, Iterator, List, Optional, Tuple, Union

import numpy as np
import torch
from torch import Tensor

from ..sparse import Graph

__all__ = ["AttributedGraph", "EdgeType", "DEFAULT_BIPARTITE_EDGE_TYPE"]

EdgeType = Tuple[str, str, str]
# Edge type written when a bipartite graph goes to a format that needs named node types.
DEFAULT_BIPARTITE_EDGE_TYPE: EdgeType = ("src", "to", "dst")


def _num_rows(value: Any) -> Optional[int]:
    """Leading length of a per-node/per-edge attribute (None for a 0-d tensor or scalar)."""
    if isinstance(value, (Tensor, np.ndarray)):
        return int(value.shape[0]) if value.ndim >= 1 else None
    if isinstance(value, (list, tuple)):
        return len(value)
    return None


def _check_rows(where: str, data: Dict[str, Any], n: int, what: str) -> None:
    if not isinstance(data, dict):
        raise ValueError(f"{where} must be a dict of per-row values, got {type(data).__name__}")
    for key, value in data.items():
        rows = _num_rows(value)
        if rows is None:
            raise ValueError(f"{where}[{key!r}] must be a tensor, array or list with one row per "
                             f"{what}, got {type(value).__name__}")
        if rows != n:
            raise ValueError(f"{where}[{key!r}] has {rows} rows but the graph has {n} {what}s")


def take_rows(value: Any, index: Tensor) -> Any:
    """``value[index]`` for a tensor, numpy array or list (used to reorder edge attributes)."""
    if isinstance(value, Tensor):
        return value.index_select(0, index.to(value.device))
    if isinstance(value, np.ndarray):
        return value[index.cpu().numpy()]
    return [value[i] for i in index.tolist()]


@dataclass
class AttributedGraph:
    """A graph plus the attributes that came with it from (or go to) another library.

    Unpacks as ``graph, node_data, edge_data = from_pyg(data)``.

    Attributes:
        graph: the structure and edge weights.
        node_data: per-node values (``[num_dst_nodes, ...]`` tensors, arrays, or lists for
            non-numeric attributes); for a bipartite graph, the target nodes'.
        edge_data: per-edge values ``[E, ...]`` in the Graph's CSR edge order. The edge
            weights are not repeated here: they are ``graph.value``.
        graph_data: everything else (graph-level labels, names, ...). Attributes of a
            typed node or edge store that are not per-row are kept under a
            ``(type, key)`` tuple key so they can be written back.
        src_node_data: per-source-node values ``[num_src_nodes, ...]`` when sources and
            targets are different node sets (bipartite graphs, two node types,
            DGL blocks); empty otherwise.
        edge_type: ``(src_type, relation, dst_type)`` when the graph came from (or should
            become) a typed graph (PyG ``HeteroData``, DGL heterograph); None for a plain
            homogeneous graph.
        node_ids: the original node identifiers, position ``i`` naming node ``i``, when
            they were not ``0..N-1`` (networkx); None otherwise.
        edge_perm: ``[E]`` int64, edge ``k`` of ``graph`` is edge ``edge_perm[k]`` of the
            source object (PyG column, DGL edge id, networkx edge iteration order); None
            when built by hand.

    Raises:
        ValueError: an attribute does not have one row per node / edge.
    """

    graph: Graph
    node_data: Dict[str, Any] = field(default_factory=dict)
    edge_data: Dict[str, Any] = field(default_factory=dict)
    graph_data: Dict[Any, Any] = field(default_factory=dict)
    src_node_data: Dict[str, Any] = field(default_factory=dict)
    edge_type: Optional[EdgeType] = None
    node_ids: Optional[List[Hashable]] = None
    edge_perm: Optional[Tensor] = None

    def __post_init__(self) -> None:
        if not isinstance(self.graph, Graph):
            raise ValueError(f"graph must be a graphssl.sparse.Graph, got {type(self.graph).__name__}")
        g = self.graph
        _check_rows("node_data", self.node_data, g.num_dst_nodes, "node" if not g.is_bipartite else "target node")
        _check_rows("edge_data", self.edge_data, g.num_edges, "edge")
        _check_rows("src_node_data", self.src_node_data, g.num_src_nodes, "source node")
        if not isinstance(self.graph_data, dict):
            raise ValueError(f"graph_data must be a dict, got {type(self.graph_data).__name__}")
        if self.edge_type is not None:
            if not (isinstance(self.edge_type, tuple) and len(self.edge_type) == 3
                    and all(isinstance(t, str) for t in self.edge_type)):
                raise ValueError(f"edge_type must be a (src_type, relation, dst_type) tuple of str, "
                                 f"got {self.edge_type!r}")
            if g.is_bipartite and self.edge_type[0] == self.edge_type[2]:
                raise ValueError(f"edge_type {self.edge_type!r} uses one node type for both ends, but the "
                                 f"graph is bipartite ({g.num_src_nodes} sources, {g.num_dst_nodes} targets)")
        if self.node_ids is not None and len(self.node_ids) != g.num_dst_nodes:
            raise ValueError(f"node_ids has {len(self.node_ids)} entries but the graph has {g.num_dst_nodes} nodes")
        if self.edge_perm is not None and (self.edge_perm.dim() != 1 or self.edge_perm.numel() != g.num_edges):
            raise ValueError(f"edge_perm must have shape ({g.num_edges},), got {tuple(self.edge_perm.shape)}")

    def __iter__(self) -> Iterator[Any]:
        return iter((self.graph, self.node_data, self.edge_data))

    @property
    def has_two_node_sets(self) -> bool:
        """Whether sources and targets are distinct node sets (bipartite or two node types)."""
        return (self.graph.is_bipartite or bool(self.src_node_data)
                or (self.edge_type is not None and self.edge_type[0] != self.edge_type[2]))

    def to(self, device: Union[str, torch.device]) -> "AttributedGraph":
        """A copy with the graph and every tensor attribute on ``device``."""
        def move(d: Dict[Any, Any]) -> Dict[Any, Any]:
            return {k: (v.to(device) if isinstance(v, Tensor) else v) for k, v in d.items()}
        return AttributedGraph(self.graph.to(device), move(self.node_data), move(self.edge_data),
                               move(self.graph_data), move(self.src_node_data), self.edge_type,
                               self.node_ids, self.edge_perm.to(device) if self.edge_perm is not None else None)


def as_attributed(graph: Union[Graph, AttributedGraph], node_data: Optional[Dict[str, Any]] = None,
                  edge_data: Optional[Dict[str, Any]] = None, graph_data: Optional[Dict[Any, Any]] = None,
                  src_node_data: Optional[Dict[str, Any]] = None) -> AttributedGraph:
    """Merge a Graph (or AttributedGraph) with explicitly given attributes (these win)."""
    if isinstance(graph, AttributedGraph):
        base = graph
    elif isinstance(graph, Graph):
        base = AttributedGraph(graph)
    else:
        raise ValueError(f"expected a graphssl Graph or AttributedGraph, got {type(graph).__name__}")
    return AttributedGraph(
        base.graph,
        {**base.node_data, **(node_data or {})},
        {**base.edge_data, **(edge_data or {})},
        {**base.graph_data, **(graph_data or {})},
        {**base.src_node_data, **(src_node_data or {})},
        base.edge_type, base.node_ids, base.edge_perm,
    )


def graph_from_coo(src: Tensor, dst: Tensor, num_src: int, num_dst: int,
                   weight: Optional[Tensor] = None) -> Tuple[Graph, Tensor]:
    """Build a Graph from COO edges and return it with the permutation to its CSR order.

    ``perm[k]`` is the input position of the Graph's edge ``k``; apply it to edge
    attributes with :func:`take_rows`. The input is sorted here (by target, then source,
    stably) so that ``Graph.from_edge_index`` receives it already in CSR order and keeps
    it, whatever sort it uses internally.

    Raises:
        ValueError: non-integer indices, mismatched lengths, out-of-range indices, bad weights.
    """
    for name, t in (("source index", src), ("target index", dst)):
        if not isinstance(t, Tensor) or t.dim() != 1:
            raise ValueError(f"{name} must be a 1-D tensor")
        if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
            raise ValueError(f"{name} must have an integer dtype, got {t.dtype}")
    if src.numel() != dst.numel():
        raise ValueError(f"{src.numel()} source indices but {dst.numel()} target indices")
    src, dst = src.long(), dst.to(src.device).long()
    perm = torch.argsort(dst * max(num_src, 1) + src, stable=True)
    ei = torch.stack([src.index_select(0, perm), dst.index_select(0, perm)])
    w = None
    if weight is not None:
        if not isinstance(weight, Tensor) or weight.dim() != 1 or weight.numel() != src.numel():
            shape = tuple(weight.shape) if isinstance(weight, Tensor) else type(weight).__name__
            raise ValueError(f"edge weights must have shape ({src.numel()},), got {shape}")
        w = weight.index_select(0, perm.to(weight.device)).to(src.device)
    g = Graph.from_edge_index(ei, num_nodes=num_dst, edge_weight=w,
                              num_src_nodes=None if num_src == num_dst else num_src)
    return g, perm
