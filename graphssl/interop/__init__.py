"""Conversion between graphssl's `Graph` and PyG, DGL, networkx and scipy.sparse.

Each ``from_*`` returns an :class:`AttributedGraph` (the Graph plus its node, edge and
graph attributes; edge attributes in the Graph's CSR edge order) and each ``to_*``
accepts one, so round trips keep structure, weights and attributes. ``from_scipy`` /
``to_scipy`` carry structure and weights only (scipy matrices hold nothing else).
The other libraries are imported only when a converter runs.
"""
from .attributed_graph import DEFAULT_BIPARTITE_EDGE_TYPE, AttributedGraph, EdgeType
from .dgl import from_dgl, to_dgl
from .networkx import from_networkx, to_networkx
from .pyg import from_pyg, to_pyg
from .scipy_sparse import from_scipy, to_scipy

__all__ = ["AttributedGraph", "EdgeType", "DEFAULT_BIPARTITE_EDGE_TYPE", "from_pyg", "to_pyg", "from_dgl",
           "to_dgl", "from_networkx", "to_networkx", "from_scipy", "to_scipy"]
