"""Helpers for the augmenter tests: random graphs and batches, validity checks."""
from typing import List, Optional

import torch
from hypothesis import strategies as st

from graphssl.sparse import Graph, GraphBatch, GraphItem, collate


def random_graph(n: int, e: int, seed: int, weighted: bool = False, undirected: bool = False) -> Graph:
    """A random (multi)graph with ``n`` nodes and about ``e`` edges."""
    gen = torch.Generator().manual_seed(seed)
    if n == 0:
        return Graph.empty(0)
    ei = torch.randint(0, n, (2, e), generator=gen)
    w = torch.rand(e, generator=gen) + 0.5 if weighted else None
    g = Graph.from_edge_index(ei, n, w)
    return g.to_undirected() if undirected else g


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def make_batch(sizes, seed: int = 0, node_labels: bool = False, weighted: bool = False) -> GraphBatch:
    """A batch whose edge_attr names each edge by its global (source, target) + 1 and whose
    x[:, 0] is the global node id + 1, so alignment after augmenting can be checked."""
    items: List[GraphItem] = []
    offset = 0
    for i, n in enumerate(sizes):
        g = random_graph(n, 3 * n, seed + i, weighted=weighted, undirected=True)
        ids = torch.arange(offset, offset + n, dtype=torch.float32) + 1
        x = torch.stack([ids, torch.randn(n, generator=gen(seed + 100 + i))], 1)
        attr = torch.stack([g.col.float() + offset + 1, g.row().float() + offset + 1], 1)
        y = torch.arange(n) + offset if node_labels else torch.tensor(i)
        items.append(GraphItem(g, x, y, attr))
        offset += n
    return collate(items, y_level="node" if node_labels else "graph")


def assert_valid_graph(g: Graph, num_src: Optional[int] = None) -> None:
    """``g`` passes Graph validation and is the sorted CSR ``from_edge_index`` builds."""
    Graph(g.rowptr, g.col, g.value, num_src_nodes=g.num_src_nodes)  # raises if invalid
    if num_src is not None:
        assert g.num_src_nodes == num_src
    ei, w = g.to_edge_index()
    ref = Graph.from_edge_index(ei, g.num_dst_nodes, w,
                                num_src_nodes=g.num_src_nodes if g.is_bipartite else None)
    assert torch.equal(ref.rowptr, g.rowptr)
    assert torch.equal(ref.col, g.col)
    if w is not None:
        assert torch.equal(ref.value, g.value)


def assert_batch_consistent(b: GraphBatch) -> None:
    """ptr/batch/edge_ptr/x/edge_attr/y all agree with the union graph; no edge joins two graphs."""
    g = b.graph
    assert_valid_graph(g)
    n_per = b.ptr[1:] - b.ptr[:-1]
    assert int(b.ptr[0]) == 0 and int(b.ptr[-1]) == g.num_nodes
    assert b.ptr.numel() == b.num_graphs + 1
    assert torch.equal(b.batch, torch.repeat_interleave(torch.arange(b.num_graphs), n_per))
    assert torch.equal(b.batch[g.row()], b.batch[g.col]), "an edge joins two graphs"
    assert torch.equal(b.edge_ptr, g.rowptr[b.ptr])
    if b.x is not None:
        assert b.x.size(0) == g.num_nodes
    if b.edge_attr is not None:
        assert b.edge_attr.size(0) == g.num_edges
    if b.y is not None and b.y_level == "node":
        assert b.y.size(0) == g.num_nodes


def assert_alignment(b: GraphBatch) -> None:
    """For a batch from :func:`make_batch`: every edge that came from the input still
    joins the same original nodes as its attribute says (zero attributes: added edges)."""
    if b.edge_attr is None or b.x is None:
        return
    old = b.edge_attr[:, 0] > 0
    src_id = b.x[b.graph.col, 0]
    dst_id = b.x[b.graph.row(), 0]
    assert torch.equal(src_id[old], b.edge_attr[old, 0])
    assert torch.equal(dst_id[old], b.edge_attr[old, 1])


graph_sizes = st.lists(st.integers(0, 12), min_size=1, max_size=6)
