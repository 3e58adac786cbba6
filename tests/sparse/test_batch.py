"""GraphBatch / collate / unbatch: the union is block-diagonal and keeps per-edge order."""
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Optional

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from graphssl.sparse import Graph, GraphBatch, GraphItem, collate, unbatch


@dataclass
class GraphSample:  # the shape of a dataset loader's sample
    graph: Graph
    x: Optional[torch.Tensor]
    y: Optional[torch.Tensor]
    edge_attr: Optional[torch.Tensor] = None


def _graph(n, e, seed, weighted=False):
    gen = torch.Generator().manual_seed(seed)
    ei = torch.randint(0, max(n, 1), (2, e), generator=gen) if n else torch.zeros(2, 0, dtype=torch.long)
    w = torch.rand(e, generator=gen) + 0.5 if weighted else None
    return Graph.from_edge_index(ei, n, w)


def _samples(sizes=((4, 6), (1, 0), (0, 0), (5, 9), (3, 4)), weighted=(False, True, False, True, False)):
    out = []
    for i, ((n, e), w) in enumerate(zip(sizes, weighted)):
        g = _graph(n, e, i, w)
        row, col = g.row(), g.col
        # per-edge attribute that names the edge: (local source, local target, graph id)
        attr = torch.stack([col, row, torch.full_like(col, i)], 1).float()
        out.append(GraphSample(g, torch.randn(n, 3), torch.tensor(i), attr))
    return out


def test_union_is_block_diagonal_and_offsets():
    samples = _samples()
    b = collate(samples)
    assert isinstance(b, GraphBatch) and b.num_graphs == len(samples) == len(b)
    assert b.ptr.tolist() == [0, 4, 5, 5, 10, 13]
    assert b.batch.tolist() == [0] * 4 + [1] + [3] * 5 + [4] * 3
    assert b.num_edges_per_graph().tolist() == [g.graph.num_edges for g in samples]
    expected = torch.block_diag(*[s.graph.to_dense() for s in samples])
    torch.testing.assert_close(b.graph.to_dense(), expected)
    torch.testing.assert_close(b.x, torch.cat([s.x for s in samples]))
    assert b.y.tolist() == list(range(len(samples))) and b.y_level == "graph"
    # the union validates as a Graph
    Graph(b.graph.rowptr, b.graph.col, b.graph.value)


def test_edge_attr_follows_union_csr_order():
    b = collate(_samples())
    src, dst, gid = b.edge_attr.long().unbind(1)
    assert torch.equal(b.graph.col, src + b.ptr[gid])
    assert torch.equal(b.graph.row(), dst + b.ptr[gid])
    assert torch.equal(b.batch[b.graph.row()], gid)


def test_unbatch_round_trip():
    samples = _samples()
    items = unbatch(collate(samples))
    assert len(items) == len(samples)
    for s, it in zip(samples, items):
        assert torch.equal(it.graph.rowptr, s.graph.rowptr) and torch.equal(it.graph.col, s.graph.col)
        torch.testing.assert_close(it.graph.to_dense(), s.graph.to_dense())  # unweighted ones get weight 1
        torch.testing.assert_close(it.x, s.x)
        torch.testing.assert_close(it.edge_attr, s.edge_attr)
        assert int(it.y) == int(s.y)
    b = collate(samples)
    parts = b.split_nodes(b.x)
    assert [p.size(0) for p in parts] == [4, 1, 0, 5, 3]
    assert [p.size(0) for p in b.split_edges(b.edge_attr)] == [6, 0, 0, 9, 4]
    with pytest.raises(ValueError, match="one per node"):
        b.split_nodes(b.x[:2])


def test_duck_typed_samples_without_edge_attr_and_unweighted():
    g = _graph(3, 4, 0)
    b = collate([SimpleNamespace(graph=g, x=None, y=None), SimpleNamespace(graph=g, x=None, y=None)])
    assert b.x is None and b.y is None and b.edge_attr is None and b.graph.value is None
    assert b.num_nodes == 6 and b.to("cpu").num_edges == 2 * g.num_edges
    assert "num_graphs=2" in repr(b)


@pytest.mark.parametrize("ys,level,shape", [
    ([torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])], "graph", (2, 2)),   # [1, T] rows
    ([torch.tensor([1.0, 0.0, 1.0]), torch.tensor([0.0, 1.0, 1.0])], "graph", (2, 3)),  # [T] stacked
    ([torch.tensor([1, 0, 1, 1]), torch.tensor([0, 1])], "node", (6,)),  # one per node
])
def test_labels(ys, level, shape):
    graphs = [_graph(4, 3, 0), _graph(2, 1, 1)]
    b = collate([GraphItem(g, None, y) for g, y in zip(graphs, ys)])
    assert b.y_level == level and tuple(b.y.shape) == shape
    items = unbatch(b)
    assert items[1].y.shape[0] == (2 if level == "node" else shape[1])


def test_y_level_forced():
    graphs = [_graph(3, 2, 0), _graph(3, 2, 1)]
    ys = [torch.tensor([1.0, 2.0, 3.0]), torch.tensor([4.0, 5.0, 6.0])]
    assert collate([GraphItem(g, None, y) for g, y in zip(graphs, ys)]).y_level == "node"
    b = collate([GraphItem(g, None, y) for g, y in zip(graphs, ys)], y_level="graph")
    assert b.y_level == "graph" and tuple(b.y.shape) == (2, 3)
    with pytest.raises(ValueError, match="node-level"):
        collate([GraphItem(g, None, torch.tensor(1)) for g in graphs], y_level="node")
    with pytest.raises(ValueError, match="y_level"):
        collate([GraphItem(graphs[0])], y_level="edge")


def test_bad_input():
    g = _graph(3, 2, 0)
    with pytest.raises(ValueError, match="at least one"):
        collate([])
    with pytest.raises(ValueError, match="list of samples"):
        collate(g)
    with pytest.raises(ValueError, match="graph"):
        collate([SimpleNamespace(x=torch.ones(3, 2), y=None)])
    with pytest.raises(ValueError, match="Graph"):
        collate([SimpleNamespace(graph=torch.ones(2, 2), x=None, y=None)])
    block = Graph.from_edge_index(torch.tensor([[2], [0]]), 1, num_src_nodes=3)
    with pytest.raises(ValueError, match="bipartite"):
        collate([GraphItem(block)])
    with pytest.raises(ValueError, match="x has shape"):
        collate([GraphItem(g, torch.ones(4, 2))])
    with pytest.raises(ValueError, match="no x"):
        collate([GraphItem(g, torch.ones(3, 2)), GraphItem(g, None)])
    with pytest.raises(ValueError, match="trailing shape"):
        collate([GraphItem(g, torch.ones(3, 2)), GraphItem(g, torch.ones(3, 5))])
    with pytest.raises(ValueError, match="edge_attr has shape"):
        collate([GraphItem(g, edge_attr=torch.ones(g.num_edges + 1, 2))])
    with pytest.raises(ValueError, match="no y"):
        collate([GraphItem(g, y=torch.tensor(1)), GraphItem(g)])
    with pytest.raises(ValueError, match="cannot collate y"):
        collate([GraphItem(g, y=torch.ones(2)), GraphItem(g, y=torch.ones(5))])
    with pytest.raises(ValueError, match="GraphBatch"):
        unbatch([GraphItem(g)])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 12), st.booleans()), min_size=1, max_size=6))
def test_union_property(specs):
    samples = [GraphItem(_graph(n, e if n else 0, i, w), torch.randn(n, 2)) for i, (n, e, w) in enumerate(specs)]
    b = collate(samples)
    torch.testing.assert_close(b.graph.to_dense(), torch.block_diag(*[s.graph.to_dense() for s in samples]))
    assert b.batch.numel() == b.num_nodes and int(b.ptr[-1]) == b.num_nodes
    for s, it in zip(samples, unbatch(b)):
        torch.testing.assert_close(it.graph.to_dense(), s.graph.to_dense())
