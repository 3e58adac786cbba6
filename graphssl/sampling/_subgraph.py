"""Induced subgraphs of node groups through the numba kernel, for the subgraph samplers."""
from __future__ import annotations

import threading
from typing import Optional, Tuple

import numpy as np
import torch
from torch import Tensor

from ..sparse.graph import Graph
from . import _numba_kernels as nk
from ._validation import index_view

__all__ = ["CSRView"]


class CSRView:
    """Zero-copy numpy views of a CPU graph's CSR plus a reusable ``int32 [N]`` scratch
    (dropped on pickling and rebuilt lazily, so samplers travel to worker processes)."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._arrays: Optional[Tuple[np.ndarray, np.ndarray, np.ndarray]] = None
        self._lock = threading.Lock()  # the scratch serves one call at a time

    def __getstate__(self):
        return {"graph": self.graph}

    def __setstate__(self, state) -> None:
        self.__init__(state["graph"])

    @property
    def arrays(self) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(rowptr, col, scratch)``."""
        if self._arrays is None:
            self._arrays = (index_view(self.graph.rowptr), index_view(self.graph.col),
                            nk.new_scratch(self.graph.num_nodes))
        return self._arrays

    def induced(self, nodes: Tensor, node_ptr: Tensor) -> Tuple[Graph, Tensor]:
        """The disjoint union of the subgraphs induced by the groups
        ``nodes[node_ptr[b]:node_ptr[b+1]]`` (each without duplicates), numbered in the
        given order; returns ``(graph, edge_ids [E'])`` with ``edge_ids`` CSR positions."""
        rowptr, col, scratch = self.arrays
        with self._lock:
            ptr, local, pos = nk.induced_groups(rowptr, col, index_view(nodes), index_view(node_ptr), scratch)
        g = Graph(torch.from_numpy(ptr), torch.from_numpy(local),
                  self.graph.value.index_select(0, torch.from_numpy(pos)) if self.graph.value is not None else None,
                  validate=False)
        return g, torch.from_numpy(pos)
