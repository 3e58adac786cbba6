"""Fixtures for the nn tests: small random graphs and full-neighbourhood Blocks."""
from typing import List, Tuple

import pytest
import torch

from graphssl.sparse import Graph


def _random_graph(num_nodes: int = 12, num_edges: int = 40, seed: int = 0, self_loops: bool = False,
                  isolated: int = 1, weighted: bool = False) -> Graph:
    """A directed graph without duplicate edges; the last ``isolated`` nodes get no in-edges."""
    gen = torch.Generator().manual_seed(seed)
    src = torch.randint(0, num_nodes, (num_edges,), generator=gen)
    dst = torch.randint(0, max(num_nodes - isolated, 1), (num_edges,), generator=gen)
    if not self_loops:
        keep = src != dst
        src, dst = src[keep], dst[keep]
    key = torch.unique(dst * num_nodes + src)
    ei = torch.stack([key % num_nodes, key // num_nodes])
    w = torch.rand(ei.size(1), generator=gen) + 0.5 if weighted else None
    return Graph.from_edge_index(ei, num_nodes, w)


def _full_blocks(graph: Graph, seeds: torch.Tensor, num_layers: int) -> Tuple[List[Graph], torch.Tensor]:
    """Blocks holding every in-edge of their destination nodes (no sampling).

    Returns ``(blocks, input_nodes)``: ``blocks[0]`` feeds the first layer, whose inputs are
    the features of ``input_nodes``; the last Block's destinations are ``seeds``.
    """
    blocks = []
    dst = seeds
    row, col = graph.row(), graph.col
    for _ in range(num_layers):
        in_dst = torch.zeros(graph.num_nodes, dtype=torch.bool)
        in_dst[dst] = True
        eid = in_dst[row].nonzero().view(-1)
        srcs = col[eid]
        new = torch.unique(srcs[~in_dst[srcs]])
        src_nodes = torch.cat([dst, new])
        local = torch.full((graph.num_nodes,), -1, dtype=torch.long)
        local[src_nodes] = torch.arange(src_nodes.numel())
        ei = torch.stack([local[srcs], local[row[eid]]])
        w = graph.value[eid] if graph.value is not None else None
        blocks.insert(0, Graph.from_edge_index(ei, dst.numel(), w, num_src_nodes=src_nodes.numel()))
        dst = src_nodes
    return blocks, dst


@pytest.fixture
def make_graph():
    return _random_graph


@pytest.fixture
def full_blocks():
    return _full_blocks


@pytest.fixture
def pyg():
    return pytest.importorskip("torch_geometric")
