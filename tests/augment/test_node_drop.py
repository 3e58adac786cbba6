"""drop_nodes / NodeDrop: rate, induced subgraph, relabelling, batch ptr and labels."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from augment_graphs import (assert_alignment, assert_batch_consistent, assert_valid_graph, gen, graph_sizes,
                            make_batch, random_graph)
from graphssl.augment import GraphView, NodeDrop, drop_nodes
from graphssl.sparse import Graph


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_drop_rate_and_induced_subgraph(p):
    g = random_graph(5000, 20000, 0)
    sub, nodes, edges = drop_nodes(g, p, generator=gen(0))
    assert abs(1 - int(nodes.sum()) / 5000 - p) < 0.03
    assert_valid_graph(sub)
    assert sub.num_nodes == int(nodes.sum())
    # exactly the edges with both ends kept survive, and they match Graph.subgraph
    assert torch.equal(edges, nodes[g.col] & nodes[g.row()])
    ref = g.subgraph(nodes.nonzero().view(-1))
    assert torch.equal(ref.rowptr, sub.rowptr) and torch.equal(ref.col, sub.col)


def test_keep_nodes_without_relabelling():
    g = random_graph(50, 200, 1, weighted=True)
    sub, nodes, edges = drop_nodes(g, 0.5, relabel_nodes=False, generator=gen(1))
    assert sub.num_nodes == 50
    assert_valid_graph(sub)
    dropped = (~nodes).nonzero().view(-1)
    assert not bool(torch.isin(sub.col, dropped).any()) and not bool(torch.isin(sub.row(), dropped).any())
    x = torch.randn(50, 3)
    g2, x2 = NodeDrop(0.5, relabel_nodes=False)(g, x, gen(1))
    assert x2 is x and g2.num_nodes == 50


def test_determinism_and_training_flag():
    g = random_graph(100, 300, 0)
    _, a, _ = drop_nodes(g, 0.3, generator=gen(5))
    _, b, _ = drop_nodes(g, 0.3, generator=gen(5))
    _, c, _ = drop_nodes(g, 0.3, generator=gen(6))
    assert torch.equal(a, b) and not torch.equal(a, c)
    same, nodes, edges = drop_nodes(g, 0.3, training=False)
    assert same is g and bool(nodes.all()) and bool(edges.all())


def test_never_empties_a_graph():
    g = random_graph(3, 4, 0)
    for s in range(50):
        sub, nodes, _ = drop_nodes(g, 0.99, generator=gen(s))
        assert sub.num_nodes >= 1


def test_errors():
    g = random_graph(5, 10, 0)
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\)"):
        drop_nodes(g, 1.0)
    with pytest.raises(ValueError, match="node_prob must have shape"):
        drop_nodes(g, 0.1, node_prob=torch.zeros(4))
    block = Graph.from_edge_index(torch.tensor([[0, 4], [0, 1]]), 2, num_src_nodes=5)
    with pytest.raises(ValueError, match="square graph"):
        NodeDrop(0.2)(block, torch.randn(5, 2))


def test_node_prob_per_node():
    g = random_graph(200, 400, 0)
    prob = torch.zeros(200)
    prob[:100] = 0.9
    _, nodes, _ = drop_nodes(g, node_prob=prob, generator=gen(0))
    assert bool(nodes[100:].all()) and int(nodes[:100].sum()) < 30


@settings(max_examples=25, deadline=None)
@given(sizes=graph_sizes, seed=st.integers(0, 10 ** 6), p=st.floats(0, 0.95), node_labels=st.booleans())
def test_batch_updates_ptr_batch_and_labels(sizes, seed, p, node_labels):
    b = make_batch(sizes, seed, node_labels=node_labels)
    nb = NodeDrop(p).augment_batch(b, gen(seed))
    assert_batch_consistent(nb)
    assert_alignment(nb)
    assert nb.num_graphs == b.num_graphs
    before, after = b.num_nodes_per_graph(), nb.num_nodes_per_graph()
    assert bool((after <= before).all())
    assert bool(((after >= 1) | (before == 0)).all())  # no non-empty graph vanishes
    if node_labels:  # labels (global node ids) follow the kept nodes
        assert torch.equal(nb.y.float() + 1, nb.x[:, 0])
    else:
        assert torch.equal(nb.y, b.y)


def test_view_reports_kept_nodes():
    g = random_graph(30, 90, 0)
    x = torch.arange(30).float().view(-1, 1)
    v = NodeDrop(0.5).apply(GraphView(g, x), gen(2))
    assert torch.equal(v.x.view(-1).long(), v.node_ids)
