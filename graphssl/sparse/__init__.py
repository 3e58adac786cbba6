"""The sparse message-passing core: the `Graph` type, differentiable ops and backends.

It knows nothing of SSL, datasets or models; everything else in graphssl builds on it.
"""
from .backend import Backend, available_backends, get_backend, register_backend, use_backend
from .graph import Graph
from .batch import GraphBatch, GraphItem, collate, unbatch
from .ops import (edge_cosine, edge_softmax, gat_aggregate, gather_scatter, sddmm, segment_reduce, segment_softmax,
                  spmm)

__all__ = ["Graph", "spmm", "gather_scatter", "edge_softmax", "segment_softmax", "sddmm", "edge_cosine",
           "segment_reduce", "gat_aggregate", "Backend", "register_backend", "use_backend", "get_backend", "available_backends"]
__all__ += ["GraphBatch", "GraphItem", "collate", "unbatch"]
