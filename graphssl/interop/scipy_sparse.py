"""Conversion to and from ``scipy.sparse`` matrices.

Orientation: the scipy matrix is ``A[source, target]`` (shape ``[num_src_nodes,
num_dst_nodes]``), the convention of PyG's ``to_scipy_sparse_matrix`` and of most scipy
users (row ``i`` lists node ``i``'s out-neighbours). graphssl's own ``Graph`` is the
transpose, ``A[target, source]`` by rows, so its CSR arrays *are* the CSC arrays of the
scipy matrix: ``to_scipy(g, "csc")`` shares their order exactly (scipy ``data[k]`` is the
Graph's edge ``k``), and ``to_scipy(g).T`` is graphssl's orientation.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..sparse import Graph
from .attributed_graph import graph_from_coo
from .optional_import import require

__all__ = ["to_scipy", "from_scipy"]

_FORMATS = ("csr", "csc", "coo")


def to_scipy(graph: Graph, format: str = "csr") -> Any:
    """The graph as a scipy sparse array ``A[source, target]`` of shape ``[N_src, N_dst]``.

    Args:
        graph: the graph (bipartite graphs give a rectangular matrix).
        format: ``"csr"``, ``"csc"`` (same arrays as the Graph, no reordering) or ``"coo"``
            (entries in the Graph's CSR edge order).

    Returns:
        ``scipy.sparse.csr_array`` / ``csc_array`` / ``coo_array`` holding the edge weights
        (ones, float32, for an unweighted graph; half-precision weights as float32, which
        scipy.sparse requires). Duplicate edges stay separate stored
        entries (scipy sums them in arithmetic; call ``sum_duplicates()`` to merge).

    Raises:
        ImportError: scipy is not installed.
        ValueError: not a Graph, or an unknown format.
    """
    sp = require("scipy.sparse", "to_scipy")
    if not isinstance(graph, Graph):
        raise ValueError(f"to_scipy expects a graphssl Graph, got {type(graph).__name__}")
    if format not in _FORMATS:
        raise ValueError(f"unknown format {format!r}; expected one of {_FORMATS}")
    if graph.value is None:
        data = np.ones(graph.num_edges, dtype=np.float32)
    else:
        v = graph.value.detach().cpu()
        if v.dtype in (torch.float16, torch.bfloat16):  # scipy.sparse supports neither
            v = v.float()
        data = v.numpy()
    # copy=True: the matrix must not alias the Graph's tensors.
    a = sp.csc_array((data, graph.col.cpu().numpy(), graph.rowptr.cpu().numpy()),
                     shape=(graph.num_src_nodes, graph.num_dst_nodes), copy=True)
    if format == "csc":
        return a
    return a.tocsr() if format == "csr" else a.tocoo()


def from_scipy(matrix: Any, weighted: bool = True) -> Graph:
    """A Graph from a scipy sparse matrix or array ``A[source, target]``.

    Every stored entry is an edge (explicit zeros included; duplicates kept). A square
    matrix gives a square graph, a rectangular one a bipartite graph with
    ``num_src_nodes = A.shape[0]`` and ``num_dst_nodes = A.shape[1]``.

    Args:
        matrix: any ``scipy.sparse`` matrix or array.
        weighted: keep the stored values as edge weights (float dtypes are kept; integer
            and bool values become torch's default float dtype); False gives an
            unweighted graph.

    Returns:
        The Graph (on CPU). For a CSC input with sorted indices the Graph's edge ``k``
        is the matrix's stored entry ``k``.

    Raises:
        ImportError: scipy is not installed.
        ValueError: not a scipy sparse matrix, not 2-D, complex values, or NaN/inf values.
    """
    sp = require("scipy.sparse", "from_scipy")
    if not sp.issparse(matrix):
        raise ValueError(f"from_scipy expects a scipy.sparse matrix or array, got {type(matrix).__name__}")
    if matrix.ndim != 2:
        raise ValueError(f"from_scipy needs a 2-D matrix, got shape {matrix.shape}")
    num_src, num_dst = (int(s) for s in matrix.shape)
    coo = matrix.tocoo()
    src = torch.from_numpy(np.asarray(coo.row, dtype=np.int64))
    dst = torch.from_numpy(np.asarray(coo.col, dtype=np.int64))
    w = None
    if weighted:
        data = np.asarray(coo.data)
        kind = data.dtype.kind
        if kind == "f" and data.dtype.itemsize <= 8:
            w = torch.from_numpy(data.copy())
        elif kind == "f":  # extended precision: no torch dtype
            w = torch.from_numpy(data.astype(np.float64))
        elif kind in "iub":
            w = torch.from_numpy(data.astype(np.float64)).to(torch.get_default_dtype())
        else:
            raise ValueError(f"edge weights must be real numbers, got scipy values of dtype {data.dtype}")
    graph, _ = graph_from_coo(src, dst, num_src, num_dst, w)
    return graph
