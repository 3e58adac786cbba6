"""Conversion to and from PyTorch Geometric ``Data`` / ``HeteroData``.

PyG and graphssl share the edge convention (``edge_index[0]`` sources, ``[1]`` targets),
so only the edge order changes: graphssl stores edges sorted by (target, source), and
every per-edge attribute is reordered with them. A ``HeteroData`` with one edge type
(e.g. user -> item interactions) maps to a bipartite Graph when its two node types differ.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Union

import numpy as np
import torch
from torch import Tensor

from ..sparse import Graph
from .attributed_graph import (DEFAULT_BIPARTITE_EDGE_TYPE, AttributedGraph, EdgeType, as_attributed,
                               graph_from_coo, take_rows)
from .optional_import import require

__all__ = ["from_pyg", "to_pyg"]

# Keys PyG keeps in its stores that are structure or sizes, not attributes to carry.
_STRUCTURE_KEYS = ("edge_index", "num_nodes")


def _plain_tensor(t: Any) -> Any:
    """PyG's ``EdgeIndex``/``Index`` tensor subclasses as plain tensors."""
    if isinstance(t, Tensor) and type(t) is not Tensor and hasattr(t, "as_tensor"):
        return t.as_tensor()
    return t


def _edge_index_of(store: Any, where: str) -> Tensor:
    ei = _plain_tensor(store["edge_index"]) if "edge_index" in store else None
    if ei is None:
        if any(k in store for k in ("adj", "adj_t")):
            raise ValueError(f"{where} holds a sparse adjacency (adj/adj_t) but no edge_index; convert it "
                             f"first, e.g. with torch_geometric.utils.to_edge_index")
        return torch.zeros(2, 0, dtype=torch.long)
    if not isinstance(ei, Tensor) or ei.dim() != 2 or ei.size(0) != 2:
        shape = tuple(ei.shape) if isinstance(ei, Tensor) else type(ei).__name__
        raise ValueError(f"{where}.edge_index must be a [2, E] tensor, got {shape}")
    return ei


def _split_weight(store: Any, edge_weight: Optional[str], num_edges: int, where: str) -> Optional[Tensor]:
    if edge_weight is None or edge_weight not in store:
        return None
    w = _plain_tensor(store[edge_weight])
    if not isinstance(w, Tensor) or not w.is_floating_point() or w.dim() != 1 or w.numel() != num_edges:
        desc = f"{w.dtype} tensor of shape {tuple(w.shape)}" if isinstance(w, Tensor) else type(w).__name__
        raise ValueError(f"{where}.{edge_weight} is used as the edge weights and must be a 1-D float tensor "
                         f"with {num_edges} entries, got a {desc}; pass edge_weight=None to carry it as an "
                         f"edge attribute instead")
    return w


def _stacks_rows(data: Any, key: str, value: Any, store: Any = None) -> bool:
    """Whether PyG batches ``value`` along dim 0 (rows); ``*_index`` / ``face`` attributes
    such as ``edge_label_index [2, K]`` use the last dim and are not per-row here."""
    if not isinstance(value, (Tensor, np.ndarray)):
        return True
    dim = data.__cat_dim__(key, value, store) if store is not None else data.__cat_dim__(key, value)
    return isinstance(dim, int) and value.ndim > 0 and dim % value.ndim == 0


def _num_nodes(store: Any, fallback: int) -> int:
    n = store.num_nodes
    return fallback if n is None else int(n)


def from_pyg(data: Any, edge_type: Optional[EdgeType] = None,
             edge_weight: Optional[str] = "edge_weight") -> AttributedGraph:
    """Convert a PyG ``Data`` (or one edge type of a ``HeteroData``) to a Graph with attributes.

    Args:
        data: ``torch_geometric.data.Data`` or ``HeteroData``.
        edge_type: for ``HeteroData`` with several edge types, the ``(src, rel, dst)`` to take.
        edge_weight: name of the 1-D float edge attribute that becomes ``graph.value``
            (None: no weights; every edge attribute stays in ``edge_data``).

    Returns:
        :class:`AttributedGraph`: node attributes (by PyG's own ``is_node_attr``) in
        ``node_data``, edge attributes reordered to the CSR edge order in ``edge_data``,
        the rest (graph-level values, and ``*_index`` attributes that PyG batches along
        their last dim, such as ``edge_label_index``) in ``graph_data``; ``edge_perm``
        maps CSR edges to PyG columns. Duplicate edges are kept. A HeteroData gives
        ``edge_type`` and, when its two node types differ, ``src_node_data`` (and a
        bipartite Graph when their sizes differ).

    Raises:
        ImportError: torch_geometric is not installed.
        ValueError: not a PyG data object, missing/ambiguous edge type, bad edge_index or
            weights, out-of-range indices.

    Example:
        >>> ag = from_pyg(Data(x=torch.randn(3, 4), edge_index=torch.tensor([[0, 1], [1, 2]])))
        >>> graph, node_data, edge_data = ag
        >>> node_data["x"].shape, graph.num_edges
        (torch.Size([3, 4]), 2)
    """
    pyg_data = require("torch_geometric.data", "from_pyg")
    if isinstance(data, pyg_data.HeteroData):
        return _from_hetero(data, edge_type, edge_weight)
    if not isinstance(data, pyg_data.Data):
        raise ValueError(f"from_pyg expects a torch_geometric Data or HeteroData, got {type(data).__name__}")
    if edge_type is not None:
        raise ValueError("edge_type selects an edge type of a HeteroData; this is a homogeneous Data")
    ei = _edge_index_of(data, "data")
    w = _split_weight(data, edge_weight, ei.size(1), "data")
    n = _num_nodes(data, int(ei.max()) + 1 if ei.numel() else 0)
    graph, perm = graph_from_coo(ei[0], ei[1], n, n, w)
    node_data, edge_data, graph_data = {}, {}, {}
    for key, value in data.items():
        if key in _STRUCTURE_KEYS or key == edge_weight:
            continue
        value = _plain_tensor(value)
        if not _stacks_rows(data, key, value):
            graph_data[key] = value
        elif data.is_edge_attr(key):
            edge_data[key] = take_rows(value, perm)
        elif data.is_node_attr(key):
            node_data[key] = value
        else:
            graph_data[key] = value
    return AttributedGraph(graph, node_data, edge_data, graph_data, edge_perm=perm)


def _from_hetero(data: Any, edge_type: Optional[EdgeType], edge_weight: Optional[str]) -> AttributedGraph:
    types = list(data.edge_types)
    if edge_type is None:
        if len(types) != 1:
            raise ValueError(f"the HeteroData has {len(types)} edge types {types}; choose one with edge_type=")
        edge_type = types[0]
    edge_type = tuple(edge_type)
    if edge_type not in types:
        raise ValueError(f"edge type {edge_type!r} is not in the HeteroData (it has {types})")
    src_t, _, dst_t = edge_type
    store = data[edge_type]
    ei = _edge_index_of(store, f"data[{edge_type!r}]")
    w = _split_weight(store, edge_weight, ei.size(1), f"data[{edge_type!r}]")
    # Look node stores up without data[t]: that would create missing ones in the caller's object.
    node_types = set(data.node_types)
    if src_t == dst_t:
        fallback = int(ei.max()) + 1 if ei.numel() else 0
        num_src = num_dst = _num_nodes(data[dst_t], fallback) if dst_t in node_types else fallback
    else:
        fb_dst, fb_src = (int(ei[1].max()) + 1, int(ei[0].max()) + 1) if ei.numel() else (0, 0)
        num_dst = _num_nodes(data[dst_t], fb_dst) if dst_t in node_types else fb_dst
        num_src = _num_nodes(data[src_t], fb_src) if src_t in node_types else fb_src
    graph, perm = graph_from_coo(ei[0], ei[1], num_src, num_dst, w)
    graph_data: Dict[Any, Any] = {}

    def node_attrs(node_type: str) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        if node_type not in node_types:
            return out
        s = data[node_type]
        for key, value in s.items():
            if key in _STRUCTURE_KEYS:
                continue
            value = _plain_tensor(value)
            if _stacks_rows(data, key, value, s) and s.is_node_attr(key):
                out[key] = value
            else:
                graph_data[(node_type, key)] = value
        return out

    node_data = node_attrs(dst_t)
    src_node_data = node_attrs(src_t) if src_t != dst_t else {}
    edge_data = {}
    for key, value in store.items():
        if key in _STRUCTURE_KEYS or key == edge_weight:
            continue
        value = _plain_tensor(value)
        if _stacks_rows(data, key, value, store) and store.is_edge_attr(key):
            edge_data[key] = take_rows(value, perm)
        else:
            graph_data[(edge_type, key)] = value
    for key, value in data._global_store.items():  # graph-level attributes of the HeteroData
        graph_data[key] = value
    return AttributedGraph(graph, node_data, edge_data, graph_data, src_node_data, edge_type, edge_perm=perm)


def to_pyg(graph: Union[Graph, AttributedGraph], node_data: Optional[Dict[str, Any]] = None,
           edge_data: Optional[Dict[str, Any]] = None, graph_data: Optional[Dict[Any, Any]] = None,
           src_node_data: Optional[Dict[str, Any]] = None, edge_weight: Optional[str] = "edge_weight") -> Any:
    """Convert a Graph (with attributes) to a PyG ``Data``, or ``HeteroData`` for typed graphs.

    Args:
        graph: a Graph or :class:`AttributedGraph`; explicitly passed dicts are merged over
            the AttributedGraph's own.
        node_data, edge_data, graph_data, src_node_data: as in :class:`AttributedGraph`
            (edge values in the Graph's CSR edge order).
        edge_weight: attribute name that receives ``graph.value`` (if the graph is weighted).

    Returns:
        ``Data(edge_index [2, E] in CSR edge order, num_nodes, edge_weight, **attributes)``
        for a homogeneous graph; a ``HeteroData`` with one edge type when the
        AttributedGraph has an ``edge_type`` or two node sets (default edge type
        ``("src", "to", "dst")``). ``num_nodes`` is always set, so isolated nodes survive.
        When a graph has as many nodes as edges, PyG (and so :func:`from_pyg`) tells edge
        attributes from node attributes by name: put ``"edge"`` in edge attribute names.

    Raises:
        ImportError: torch_geometric is not installed.
        ValueError: attribute sizes do not match, or an attribute clashes with the weights.
    """
    pyg_data = require("torch_geometric.data", "to_pyg")
    ag = as_attributed(graph, node_data, edge_data, graph_data, src_node_data)
    g = ag.graph
    ei, w = g.to_edge_index()
    if w is not None and edge_weight is not None and edge_weight in ag.edge_data:
        raise ValueError(f"edge_data has a {edge_weight!r} entry but the graph's weights are written there too; "
                         f"rename one or pass another edge_weight= name")
    edge_attrs = dict(ag.edge_data)
    if w is not None and edge_weight is not None:
        edge_attrs[edge_weight] = w
    if ag.edge_type is None and not ag.has_two_node_sets:
        bad = [k for k in ag.graph_data if not isinstance(k, str)]
        if bad:
            raise ValueError(f"graph_data keys {bad} name typed stores, which a homogeneous Data cannot hold")
        return pyg_data.Data(edge_index=ei, num_nodes=g.num_nodes, **ag.node_data, **edge_attrs,
                             **ag.graph_data)
    edge_type = ag.edge_type if ag.edge_type is not None else DEFAULT_BIPARTITE_EDGE_TYPE
    src_t, _, dst_t = edge_type
    if ag.has_two_node_sets and src_t == dst_t:
        raise ValueError(f"edge_type {edge_type!r} has one node type, but the graph has separate source "
                         f"and target nodes; name two node types")
    out = pyg_data.HeteroData()
    out[dst_t].num_nodes = g.num_dst_nodes
    for key, value in ag.node_data.items():
        out[dst_t][key] = value
    if src_t != dst_t:
        out[src_t].num_nodes = g.num_src_nodes
        for key, value in ag.src_node_data.items():
            out[src_t][key] = value
    out[edge_type].edge_index = ei
    for key, value in edge_attrs.items():
        out[edge_type][key] = value
    for key, value in ag.graph_data.items():
        if isinstance(key, tuple) and len(key) == 2:
            out[key[0]][key[1]] = value
        else:
            out[key] = value
    return out
