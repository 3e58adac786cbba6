"""Conversion to and from networkx graphs (``Graph``, ``DiGraph``, ``MultiGraph``, ``MultiDiGraph``).

Nodes are numbered in networkx's node iteration order; their original labels are kept in
:attr:`AttributedGraph.node_ids` when they are not ``0..N-1``. An undirected networkx edge
``{u, v}`` becomes the two directed edges ``u -> v`` and ``v -> u`` (a self-loop, one edge),
both carrying its attributes. Numeric attributes become tensors; others stay Python lists.
"""
from __future__ import annotations

from typing import Any, Dict, Hashable, List, Optional, Sequence, Union

import numpy as np
import torch
from torch import Tensor

from ..sparse import Graph
from .attributed_graph import AttributedGraph, as_attributed, graph_from_coo, take_rows
from .optional_import import require

__all__ = ["from_networkx", "to_networkx"]


def _stack(values: List[Any], float_dtype: torch.dtype) -> Union[Tensor, List[Any]]:
    """Per-row Python values as one tensor when they are numeric and rectangular, else a list."""
    if values and all(isinstance(v, Tensor) for v in values):
        try:
            return torch.stack(values)
        except RuntimeError:  # ragged: keep as given
            return list(values)
    try:
        arr = np.asarray(values)
    except (ValueError, TypeError):  # ragged nested lists
        return list(values)
    if arr.dtype.kind == "f":
        return torch.as_tensor(arr, dtype=float_dtype)
    if arr.dtype.kind in "iu":
        return torch.as_tensor(arr.astype(np.int64))
    if arr.dtype.kind == "b":
        return torch.as_tensor(arr)
    return list(values)


def _collect(rows: Sequence[Dict[str, Any]], what: str, float_dtype: torch.dtype,
             skip: Optional[str] = None) -> Dict[str, Any]:
    keys: List[str] = []
    seen = set()
    for d in rows:
        for k in d:
            if k not in seen and k != skip:
                seen.add(k)
                keys.append(k)
    out = {}
    for k in keys:
        missing = sum(1 for d in rows if k not in d)
        if missing:
            raise ValueError(f"{what} attribute {k!r} is missing on {missing} of {len(rows)} {what}s; "
                             f"give every {what} a value or remove it")
        out[k] = _stack([d[k] for d in rows], float_dtype)
    return out


def from_networkx(G: Any, edge_weight: Optional[str] = "weight",
                  float_dtype: Optional[torch.dtype] = None) -> AttributedGraph:
    """Convert a networkx graph to a Graph with attributes.

    Args:
        G: any networkx graph; undirected edges become one edge per direction.
        edge_weight: edge attribute that becomes ``graph.value`` when every edge has it
            (None: no weights).
        float_dtype: dtype for float attributes given as Python numbers (default: torch's
            default dtype, usually float32; use float64 for an exact round trip of
            float64 values). Tensor attributes keep their dtype.

    Returns:
        :class:`AttributedGraph` with node attributes in ``node_data``, edge attributes
        (CSR order) in ``edge_data``, ``G.graph`` in ``graph_data``, the node labels in
        ``node_ids`` (None when they are ``0..N-1`` in order) and ``edge_perm`` indexing
        the directed edge list described above.

    Raises:
        ImportError: networkx is not installed.
        ValueError: not a networkx graph, or an attribute (or the weight) present on
            only some nodes / edges.
    """
    nx = require("networkx", "from_networkx")
    if not isinstance(G, nx.Graph):
        raise ValueError(f"from_networkx expects a networkx graph, got {type(G).__name__}")
    float_dtype = float_dtype or torch.get_default_dtype()
    nodes = list(G.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    src: List[int] = []
    dst: List[int] = []
    attrs: List[Dict[str, Any]] = []
    directed = G.is_directed()
    for a, b, d in G.edges(data=True):
        i, j = index[a], index[b]
        src.append(i)
        dst.append(j)
        attrs.append(d)
        if not directed and i != j:
            src.append(j)
            dst.append(i)
            attrs.append(d)
    w = None
    if edge_weight is not None:
        has = sum(1 for d in attrs if edge_weight in d)
        if 0 < has < len(attrs):
            raise ValueError(f"edge weight {edge_weight!r} is set on only {has} of {len(attrs)} (directed) edges; "
                             f"set it on all or pass edge_weight=None")
        if has:
            try:
                w_np = np.asarray([d[edge_weight] for d in attrs], dtype=np.float64)
            except (TypeError, ValueError) as e:
                raise ValueError(f"edge weight {edge_weight!r} must be a number on every edge ({e}); "
                                 f"pass edge_weight=None to carry it as an edge attribute") from e
            w = torch.as_tensor(w_np, dtype=float_dtype)
    n = len(nodes)
    graph, perm = graph_from_coo(torch.as_tensor(src, dtype=torch.long), torch.as_tensor(dst, dtype=torch.long),
                                 n, n, w)
    edge_data = {k: take_rows(v, perm)
                 for k, v in _collect(attrs, "edge", float_dtype, skip=edge_weight if w is not None else None).items()}
    node_data = _collect([G.nodes[v] for v in nodes], "node", float_dtype)
    node_ids: Optional[List[Hashable]] = None if nodes == list(range(n)) else nodes
    return AttributedGraph(graph, node_data, edge_data, dict(G.graph), node_ids=node_ids, edge_perm=perm)


def _rows_as_python(value: Any) -> List[Any]:
    return value.tolist() if isinstance(value, (Tensor, np.ndarray)) else list(value)


def to_networkx(graph: Union[Graph, AttributedGraph], node_data: Optional[Dict[str, Any]] = None,
                edge_data: Optional[Dict[str, Any]] = None, graph_data: Optional[Dict[Any, Any]] = None,
                edge_weight: Optional[str] = "weight", undirected: bool = False,
                multigraph: bool = False) -> Any:
    """Convert a square Graph (with attributes) to a networkx graph.

    Args:
        graph: a Graph or :class:`AttributedGraph` (its ``node_ids`` label the nodes).
        node_data, edge_data, graph_data: as in :class:`AttributedGraph`, merged over its own.
        edge_weight: edge attribute that receives ``graph.value`` (if weighted).
        undirected: return an undirected ``nx.Graph``: the graph must be symmetric (each
            edge ``s -> t`` matched by ``t -> s`` with the same weight); the attributes of
            the ``s <= t`` copy are kept.
        multigraph: return a ``MultiDiGraph`` / ``MultiGraph`` that keeps duplicate edges.

    Returns:
        ``nx.DiGraph`` (or ``Graph`` / ``Multi*`` as asked) with nodes in order, values as
        Python numbers/lists (``tensor.tolist()``), edges added in CSR order.

    Raises:
        ImportError: networkx is not installed.
        ValueError: a bipartite graph, duplicate edges without ``multigraph=True``, an
            asymmetric graph with ``undirected=True``, or mis-sized attributes.
    """
    nx = require("networkx", "to_networkx")
    ag = as_attributed(graph, node_data, edge_data, graph_data)
    g = ag.graph
    if ag.has_two_node_sets:
        raise ValueError("to_networkx needs one node set, but the graph has separate source and target nodes "
                         f"({g.num_src_nodes} sources, {g.num_dst_nodes} targets); use to_scipy or to_pyg")
    ei, w = g.to_edge_index()
    n = g.num_nodes
    key = ei[1] * max(n, 1) + ei[0]
    if not multigraph and g.num_edges and bool((key[1:] == key[:-1]).any()):
        raise ValueError("the graph has duplicate edges, which a simple networkx graph would merge; "
                         "pass multigraph=True or coalesce() the graph first")
    keep = torch.arange(g.num_edges)
    if undirected:
        _check_symmetric(ei.cpu(), w.cpu() if w is not None else None, n)
        keep = (ei[0] <= ei[1]).nonzero().view(-1).cpu()
    cls = {(False, False): nx.DiGraph, (False, True): nx.MultiDiGraph,
           (True, False): nx.Graph, (True, True): nx.MultiGraph}[(undirected, multigraph)]
    G = cls()
    labels = ag.node_ids if ag.node_ids is not None else list(range(n))
    node_cols = {k: _rows_as_python(v) for k, v in ag.node_data.items()}
    G.add_nodes_from((labels[i], {k: col[i] for k, col in node_cols.items()}) for i in range(n))
    edge_cols = {k: _rows_as_python(take_rows(v, keep)) for k, v in ag.edge_data.items()}
    if w is not None and edge_weight is not None:
        if edge_weight in edge_cols:
            raise ValueError(f"edge_data has a {edge_weight!r} entry but the graph's weights are written there too; "
                             f"rename one or pass another edge_weight= name")
        edge_cols[edge_weight] = w.cpu()[keep].tolist()
    s, t = ei[0].cpu()[keep].tolist(), ei[1].cpu()[keep].tolist()
    G.add_edges_from((labels[a], labels[b], {k: col[e] for k, col in edge_cols.items()})
                     for e, (a, b) in enumerate(zip(s, t)))
    G.graph.update(ag.graph_data)
    return G


def _check_symmetric(ei: Tensor, w: Optional[Tensor], n: int) -> None:
    """Raise unless the edges with ``s < t`` mirror those with ``s > t`` (with equal weights)."""
    n = max(n, 1)
    up, down = ei[0] < ei[1], ei[0] > ei[1]
    fwd = ei[1][up] * n + ei[0][up]
    bwd = ei[0][down] * n + ei[1][down]  # mirrored: (t, s) read as (s, t)
    ok = fwd.numel() == bwd.numel()
    if ok:
        if w is None:
            ok = torch.equal(fwd.sort().values, bwd.sort().values)
        else:
            # Sort by (key, weight) so duplicate edges pair up by weight too.
            def order(k: Tensor, v: Tensor) -> tuple:
                o = torch.argsort(v, stable=True)
                o = o[torch.argsort(k[o], stable=True)]
                return k[o], v[o]
            (kf, vf), (kb, vb) = order(fwd, w[up]), order(bwd, w[down])
            ok = torch.equal(kf, kb) and torch.equal(vf, vb)
    if not ok:
        raise ValueError("undirected=True needs a symmetric graph (every edge s -> t matched by t -> s with the "
                         "same weight); call to_undirected() first or keep undirected=False")
