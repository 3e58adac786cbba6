"""add_edges / EdgeAdd: counts, no self-loops or duplicates, within-graph in batches."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from augment_graphs import (assert_alignment, assert_batch_consistent, assert_valid_graph, gen, graph_sizes,
                            make_batch, random_graph)
from graphssl.augment import EdgeAdd, add_edges
from graphssl.sparse import Graph


def test_expected_count_and_no_self_loops_or_duplicates():
    g = random_graph(5000, 10000, 0).coalesce().remove_self_loops()
    counts = []
    for s in range(5):
        g2, added = add_edges(g, 0.3, generator=gen(s))
        assert_valid_graph(g2)
        assert g2.num_edges == g.num_edges + added.size(1)
        assert not bool((added[0] == added[1]).any())
        assert g2.coalesce().num_edges == g2.num_edges  # no duplicates
        counts.append(added.size(1))
    # Stochastic rounding: about p * E per call (rare collisions are discarded).
    assert abs(sum(counts) / 5 / g.num_edges - 0.3) < 0.01


def test_exact_number_and_options():
    g = Graph.empty(50)
    g2, added = add_edges(g, num_edges=40, allow_self_loops=True, allow_duplicates=True, generator=gen(0))
    assert added.size(1) == 40 and g2.num_edges == 40
    g3, added = add_edges(g, num_edges=40, force_undirected=True, generator=gen(1))
    assert torch.equal(g3.to_dense(), g3.to_dense().t())


def test_weights_and_training_flag():
    g = random_graph(20, 40, 0, weighted=True)
    g2, added = add_edges(g, 0.5, generator=gen(0))
    assert g2.value is not None and g2.value.numel() == g2.num_edges
    assert abs(float(g2.value.sum()) - float(g.value.sum()) - added.size(1)) < 1e-4
    same, added = add_edges(g, 0.5, training=False)
    assert same is g and added.shape == (2, 0)


def test_determinism():
    g = random_graph(100, 300, 0)
    a, ea = add_edges(g, 0.5, generator=gen(3))
    b, eb = add_edges(g, 0.5, generator=gen(3))
    c, ec = add_edges(g, 0.5, generator=gen(4))
    assert torch.equal(ea, eb) and not torch.equal(ea, ec)


def test_bad_parameters():
    g = random_graph(5, 10, 0)
    with pytest.raises(ValueError, match="p must be >= 0"):
        add_edges(g, -0.1)
    with pytest.raises(ValueError, match="num_edges must be >= 0"):
        add_edges(g, num_edges=-1)
    with pytest.raises(ValueError, match="single graph"):
        add_edges(g, num_edges=2, batch=torch.zeros(5, dtype=torch.long))
    with pytest.raises(ValueError, match="p must be finite"):
        EdgeAdd(float("inf"))


@settings(max_examples=25, deadline=None)
@given(sizes=graph_sizes, seed=st.integers(0, 10 ** 6), p=st.floats(0, 2))
def test_batch_adds_within_graphs_only(sizes, seed, p):
    b = make_batch(sizes, seed)
    nb = EdgeAdd(p).augment_batch(b, gen(seed))
    assert_batch_consistent(nb)  # includes: no edge joins two graphs
    assert_alignment(nb)
    new = nb.edge_attr[:, 0] == 0
    assert int(new.sum()) == nb.num_edges - b.num_edges
    assert not bool((nb.graph.row()[new] == nb.graph.col[new]).any())


def test_single_node_graphs_get_nothing():
    b = make_batch([1, 1, 1])
    nb = EdgeAdd(1.0).augment_batch(b, gen(0))
    assert nb.num_edges == b.num_edges


def test_bipartite_block():
    block = Graph.from_edge_index(torch.tensor([[0, 4, 2], [0, 0, 1]]), 3, num_src_nodes=5)
    g2, added = add_edges(block, num_edges=4, generator=gen(0))
    assert_valid_graph(g2, num_src=5)
    assert g2.num_dst_nodes == 3 and int(added[1].max()) < 3
    with pytest.raises(ValueError, match="square"):
        EdgeAdd(0.5, force_undirected=True)(block, None)


def test_unsorted_csr_input_still_gives_sorted_output():
    # a valid CSR whose rows are not sorted by source (Graph allows it)
    g = Graph(torch.tensor([0, 3, 5, 5, 6]), torch.tensor([3, 1, 2, 0, 3, 2]), torch.arange(6.0))
    g2, added = add_edges(g, num_edges=4, generator=gen(0))
    assert_valid_graph(g2)
    old = g2.value != 1  # original weights 0, 2, 3, 4, 5 (1 is ambiguous with added ones)
    assert sorted(g2.value[old].tolist()) == [0.0, 2.0, 3.0, 4.0, 5.0]
    assert int((g2.value == 1).sum()) == 1 + added.size(1)
    assert g2.num_edges == 6 + added.size(1)
