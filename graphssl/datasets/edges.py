"""Building the undirected, coalesced, loop-free graphs that node datasets hold."""
from __future__ import annotations

import numpy as np
import torch

from ..sparse import Graph

__all__ = ["undirected_graph"]


def undirected_graph(src: np.ndarray, dst: np.ndarray, num_nodes: int) -> Graph:
    """The graph with both directions of every edge ``(src[k], dst[k])``, duplicates merged
    and self-loops dropped (PyG's ``to_undirected`` + ``remove_self_loops``).

    Args:
        src, dst: ``[E]`` integer node ids in ``[0, num_nodes)``.
        num_nodes: number of nodes.

    Raises:
        ValueError: an id is out of range.
    """
    src = torch.as_tensor(np.asarray(src, dtype=np.int64))
    dst = torch.as_tensor(np.asarray(dst, dtype=np.int64))
    keep = src != dst
    src, dst = src[keep], dst[keep]
    ei = torch.stack([torch.cat([src, dst]), torch.cat([dst, src])])
    return Graph.from_edge_index(ei, num_nodes=num_nodes, coalesce=True)
