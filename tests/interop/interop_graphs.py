"""Random graphs and checks shared by the interop tests (imported by name: pytest puts this folder on sys.path)."""
from typing import Optional

import torch

from graphssl.sparse import Graph

# (num_src, num_dst, num_edges): empty, a lone node, isolated nodes only, a multigraph
# with self-loops and duplicates, and a bipartite graph (num_src != num_dst).
SHAPES = [(0, 0, 0), (1, 1, 0), (6, 6, 0), (9, 9, 30), (12, 12, 5), (4, 7, 15), (8, 3, 12)]
SQUARE_SHAPES = [s for s in SHAPES if s[0] == s[1]]


def random_edges(num_src: int, num_dst: int, num_edges: int, seed: int, self_loops_and_dups: bool = True):
    """``(src, dst)`` with at least one self-loop and one duplicate when there is room."""
    gen = torch.Generator().manual_seed(seed)
    if num_edges == 0:
        return torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long)
    src = torch.randint(0, num_src, (num_edges,), generator=gen)
    dst = torch.randint(0, num_dst, (num_edges,), generator=gen)
    if self_loops_and_dups and num_edges >= 3:
        if num_src == num_dst:
            dst[0] = src[0]                       # a self-loop
        src[1], dst[1] = src[2], dst[2]           # a duplicate edge
    return src, dst


def make_graph(num_src: int, num_dst: int, num_edges: int, seed: int = 0, weighted: bool = True,
               dtype: torch.dtype = torch.float32, dups: bool = True) -> Graph:
    """A random Graph from :func:`random_edges`, with uniform weights when ``weighted``."""
    src, dst = random_edges(num_src, num_dst, num_edges, seed, dups)
    w: Optional[torch.Tensor] = None
    if weighted:
        w = torch.rand(num_edges, generator=torch.Generator().manual_seed(seed + 1), dtype=torch.float64).to(dtype)
    return Graph.from_edge_index(torch.stack([src, dst]), num_dst, w,
                                 num_src_nodes=None if num_src == num_dst else num_src)


def assert_same_graph(a: Graph, b: Graph) -> None:
    """Identical structure, sizes and weights (including dtype and edge order)."""
    assert a.num_src_nodes == b.num_src_nodes and a.num_dst_nodes == b.num_dst_nodes
    assert torch.equal(a.rowptr, b.rowptr)
    assert torch.equal(a.col, b.col)
    assert (a.value is None) == (b.value is None)
    if a.value is not None:
        assert a.value.dtype == b.value.dtype
        assert torch.equal(a.value, b.value)


def csr_perm(src: torch.Tensor, dst: torch.Tensor) -> torch.Tensor:
    """The expected CSR order of COO edges: by target, then source, stably (computed by hand)."""
    order = sorted(range(src.numel()), key=lambda e: (int(dst[e]), int(src[e]), e))
    return torch.tensor(order, dtype=torch.long)

