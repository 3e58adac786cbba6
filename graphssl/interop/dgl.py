"""Conversion to and from DGL graphs (``DGLGraph``, one-edge-type heterographs, blocks).

DGL's edge ``(u, v)`` goes from source ``u`` to destination ``v``, as in graphssl; its
edges are numbered by edge id, graphssl's by (target, source), so per-edge data is
reordered on the way in and written in CSR order on the way out. DGL blocks (message
flow graphs) map to bipartite Graphs, with ``srcdata`` / ``dstdata`` as the source /
target node data.

DGL is never a dependency: it is imported only when these functions run.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Union

from torch import Tensor

from ..sparse import Graph
from .attributed_graph import (DEFAULT_BIPARTITE_EDGE_TYPE, AttributedGraph, EdgeType, as_attributed,
                               graph_from_coo, take_rows)
from .optional_import import require

__all__ = ["from_dgl", "to_dgl"]

# The type names DGL gives a homogeneous graph's only node and edge type.
_DGL_HOMOGENEOUS = ("_N", "_E", "_N")


def _as_dict(view: Any) -> Dict[str, Any]:
    return {k: view[k] for k in view.keys()}


def from_dgl(g: Any, edge_type: Optional[EdgeType] = None, edge_weight: Optional[str] = "weight") -> AttributedGraph:
    """Convert a DGL graph (or one edge type of a heterograph) to a Graph with attributes.

    Args:
        g: a ``dgl.DGLGraph``: homogeneous, a heterograph, or a block.
        edge_type: the canonical ``(src, rel, dst)`` edge type to take when ``g`` has several.
        edge_weight: name of the 1-D float edge feature that becomes ``graph.value``
            (None: no weights).

    Returns:
        :class:`AttributedGraph` with ``node_data`` (a block's ``dstdata``), ``src_node_data``
        (a block's ``srcdata``, or the source type's data when the two types differ),
        ``edge_data`` reordered to CSR order, ``edge_type`` (None for DGL's default
        homogeneous names) and ``edge_perm`` (CSR edge -> DGL edge id).

    Raises:
        ImportError: DGL is not installed or does not import with this torch.
        ValueError: not a DGL graph, missing/ambiguous edge type, bad weights.
    """
    dgl = require("dgl", "from_dgl")
    if not isinstance(g, dgl.DGLGraph):
        raise ValueError(f"from_dgl expects a dgl.DGLGraph, got {type(g).__name__}")
    etypes = [tuple(t) for t in g.canonical_etypes]
    if edge_type is None:
        if len(etypes) != 1:
            raise ValueError(f"the DGL graph has {len(etypes)} edge types {etypes}; choose one with edge_type=")
        edge_type = etypes[0]
    edge_type = tuple(edge_type)
    if edge_type not in etypes:
        raise ValueError(f"edge type {edge_type!r} is not in the DGL graph (it has {etypes})")
    src_t, _, dst_t = edge_type
    u, v = g.edges(form="uv", order="eid", etype=edge_type)
    if g.is_block:
        num_src, num_dst = g.num_src_nodes(src_t), g.num_dst_nodes(dst_t)
        src_data, dst_data = _as_dict(g.srcnodes[src_t].data), _as_dict(g.dstnodes[dst_t].data)
    else:
        num_src, num_dst = g.num_nodes(src_t), g.num_nodes(dst_t)
        dst_data = _as_dict(g.nodes[dst_t].data)
        src_data = _as_dict(g.nodes[src_t].data) if src_t != dst_t else {}
    edata = _as_dict(g.edges[edge_type].data)
    w = None
    if edge_weight is not None and edge_weight in edata:
        w = edata.pop(edge_weight)
        if not isinstance(w, Tensor) or not w.is_floating_point() or w.dim() != 1:
            raise ValueError(f"edge feature {edge_weight!r} is used as the edge weights and must be a 1-D float "
                             f"tensor, got {getattr(w, 'dtype', type(w).__name__)} {tuple(getattr(w, 'shape', ()))}; "
                             f"pass edge_weight=None to carry it as an edge attribute instead")
    graph, perm = graph_from_coo(u, v, num_src, num_dst, w)
    edge_data = {k: take_rows(val, perm) for k, val in edata.items()}
    return AttributedGraph(graph, dst_data, edge_data, {}, src_data,
                           None if edge_type == _DGL_HOMOGENEOUS else edge_type, edge_perm=perm)


def _only_tensors(where: str, data: Dict[str, Any]) -> Dict[str, Tensor]:
    for key, value in data.items():
        if not isinstance(value, Tensor):
            raise ValueError(f"DGL stores only tensors, but {where}[{key!r}] is a {type(value).__name__}")
    return data


def to_dgl(graph: Union[Graph, AttributedGraph], node_data: Optional[Dict[str, Any]] = None,
           edge_data: Optional[Dict[str, Any]] = None, src_node_data: Optional[Dict[str, Any]] = None,
           edge_weight: Optional[str] = "weight", block: bool = False) -> Any:
    """Convert a Graph (with attributes) to a DGL graph.

    Args:
        graph: a Graph or :class:`AttributedGraph` (its ``graph_data`` is not written:
            DGL graphs hold no graph-level attributes).
        node_data, edge_data, src_node_data: tensors as in :class:`AttributedGraph`,
            merged over the AttributedGraph's own; edge values in CSR edge order.
        edge_weight: edge feature name that receives ``graph.value`` (if weighted).
        block: build a DGL block (``dgl.create_block``) as used for sampled message
            passing: ``node_data`` goes to ``dstdata`` and ``src_node_data`` to ``srcdata``
            (for a square graph without ``src_node_data``, ``node_data`` goes to both).

    Returns:
        ``dgl.graph`` for a homogeneous graph; a one-edge-type ``dgl.heterograph`` when
        the AttributedGraph has an ``edge_type`` or two node sets (default edge type
        ``("src", "to", "dst")``); a block when ``block=True``. DGL edge ``k`` is the
        Graph's CSR edge ``k``. Node counts are set explicitly, so isolated nodes survive.

    Raises:
        ImportError: DGL is not installed or does not import with this torch.
        ValueError: non-tensor or mis-sized attributes, clashing weight name, a bipartite
            graph with one node type.
    """
    dgl = require("dgl", "to_dgl")
    ag = as_attributed(graph, node_data, edge_data, None, src_node_data)
    g = ag.graph
    ei, w = g.to_edge_index()
    u, v = ei[0], ei[1]
    nodes = _only_tensors("node_data", ag.node_data)
    src_nodes = _only_tensors("src_node_data", ag.src_node_data)
    edges = dict(_only_tensors("edge_data", ag.edge_data))
    if w is not None and edge_weight is not None:
        if edge_weight in edges:
            raise ValueError(f"edge_data has a {edge_weight!r} entry but the graph's weights are written there too; "
                             f"rename one or pass another edge_weight= name")
        edges[edge_weight] = w
    two_sets = ag.has_two_node_sets
    if block:
        et = ag.edge_type if ag.edge_type is not None else _DGL_HOMOGENEOUS
        out = dgl.create_block({et: (u, v)}, num_src_nodes={et[0]: g.num_src_nodes},
                               num_dst_nodes={et[2]: g.num_dst_nodes})
        src_view, dst_view = out.srcnodes[et[0]].data, out.dstnodes[et[2]].data
        for key, value in (src_nodes if two_sets else nodes).items():
            src_view[key] = value
        for key, value in nodes.items():
            dst_view[key] = value
        edge_view = out.edges[et].data
    elif ag.edge_type is not None or two_sets:
        et = ag.edge_type if ag.edge_type is not None else DEFAULT_BIPARTITE_EDGE_TYPE
        if two_sets and et[0] == et[2]:
            raise ValueError(f"edge_type {et!r} has one node type, but the graph has separate source and "
                             f"target nodes; name two node types")
        out = dgl.heterograph({et: (u, v)}, num_nodes_dict={et[0]: g.num_src_nodes, et[2]: g.num_dst_nodes})
        for key, value in nodes.items():
            out.nodes[et[2]].data[key] = value
        for key, value in src_nodes.items():
            out.nodes[et[0]].data[key] = value
        edge_view = out.edges[et].data
    else:
        out = dgl.graph((u, v), num_nodes=g.num_nodes)
        for key, value in nodes.items():
            out.ndata[key] = value
        edge_view = out.edata
    for key, value in edges.items():
        edge_view[key] = value
    return out
