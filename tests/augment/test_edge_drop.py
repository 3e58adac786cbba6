"""drop_edges / EdgeDrop: rates, undirected pairs, GCA-adaptive, batches, Blocks."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from augment_graphs import (assert_alignment, assert_batch_consistent, assert_valid_graph, gen, graph_sizes,
                            make_batch, random_graph)
from graphssl.augment import EdgeDrop, GraphView, drop_edges, edge_drop_probabilities
from graphssl.sparse import Graph


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9])
def test_drop_rate(p):
    g = random_graph(2000, 20000, 0)
    g2, mask = drop_edges(g, p, generator=gen(1))
    assert g2.num_edges == int(mask.sum())
    assert abs(1 - g2.num_edges / g.num_edges - p) < 0.02


@settings(max_examples=30, deadline=None)
@given(n=st.integers(0, 30), e=st.integers(0, 80), p=st.floats(0, 0.99), seed=st.integers(0, 10 ** 6),
       weighted=st.booleans())
def test_result_is_valid_and_mask_matches(n, e, p, seed, weighted):
    g = random_graph(n, e if n else 0, seed, weighted=weighted)
    g2, mask = drop_edges(g, p, generator=gen(seed))
    assert_valid_graph(g2)
    assert g2.num_nodes == g.num_nodes
    ei, w = g.to_edge_index()
    ei2, w2 = g2.to_edge_index()
    assert torch.equal(ei[:, mask], ei2)
    if w is not None:
        assert torch.equal(w[mask], w2)


def test_determinism_and_training_flag():
    g = random_graph(100, 500, 0)
    a, ma = drop_edges(g, 0.5, generator=gen(7))
    b, mb = drop_edges(g, 0.5, generator=gen(7))
    c, mc = drop_edges(g, 0.5, generator=gen(8))
    assert torch.equal(ma, mb) and not torch.equal(ma, mc)
    same, m = drop_edges(g, 0.5, training=False)
    assert same is g and bool(m.all())


def test_force_undirected_drops_pairs_together():
    g = random_graph(300, 3000, 2, undirected=True).remove_self_loops()
    g2, _ = drop_edges(g, 0.4, force_undirected=True, generator=gen(0))
    d = g2.to_dense()
    assert torch.equal(d, d.t())
    assert abs(1 - g2.num_edges / g.num_edges - 0.4) < 0.05
    with pytest.raises(ValueError, match="bipartite"):
        drop_edges(Graph.from_edge_index(torch.tensor([[0], [0]]), 1, num_src_nodes=3), 0.1, force_undirected=True)


def test_bad_parameters():
    g = random_graph(5, 10, 0)
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\)"):
        drop_edges(g, 1.0)
    with pytest.raises(ValueError, match="edge_prob must have shape"):
        drop_edges(g, 0.1, edge_prob=torch.zeros(3))
    with pytest.raises(ValueError, match="edge_prob must lie"):
        drop_edges(g, 0.1, edge_prob=torch.full((g.num_edges,), 2.0))
    with pytest.raises(ValueError, match="max_p must lie"):
        EdgeDrop(0.1, adaptive="degree", max_p=1.5)


@pytest.mark.parametrize("centrality", ["degree", "pagerank", "eigenvector"])
def test_adaptive_drops_edges_into_hubs_less(centrality):
    # A star (hub 0) plus a sparse ring among the leaves.
    n = 200
    leaves = torch.arange(1, n)
    star = torch.stack([leaves, torch.zeros_like(leaves)])
    ring = torch.stack([leaves, leaves.roll(1)])
    g = Graph.from_edge_index(torch.cat([star, ring], 1), n).to_undirected()
    prob = edge_drop_probabilities(g, 0.3, centrality, max_p=0.7)
    into_hub = g.row() == 0
    assert float(prob[into_hub].mean()) < float(prob[~into_hub].mean())
    assert float(prob.max()) <= 0.7 + 1e-6
    # Over many draws the observed per-edge rates follow the probabilities.
    drops = torch.zeros(g.num_edges)
    aug = EdgeDrop(0.3, adaptive=centrality)
    for s in range(200):
        v = aug.apply(GraphView(g, None), gen(s))
        kept = torch.zeros(g.num_edges, dtype=torch.bool)
        kept[v.edge_ids] = True
        drops += (~kept).float()
    assert float((drops / 200 - prob).abs().max()) < 0.15


def test_adaptive_probabilities_mean_is_p_when_uncapped():
    g = random_graph(500, 3000, 3, undirected=True)
    prob = edge_drop_probabilities(g, 0.2, "degree", max_p=1.0)
    assert abs(float(prob.mean()) - 0.2) < 1e-4


def test_uniform_graph_gives_uniform_probabilities():
    ring = torch.stack([torch.arange(10), torch.arange(10).roll(1)])
    g = Graph.from_edge_index(ring, 10).to_undirected()
    assert torch.allclose(edge_drop_probabilities(g, 0.3), torch.full((g.num_edges,), 0.3))


@settings(max_examples=25, deadline=None)
@given(sizes=graph_sizes, seed=st.integers(0, 10 ** 6), p=st.floats(0, 0.95))
def test_batch_keeps_edge_attr_aligned(sizes, seed, p):
    b = make_batch(sizes, seed)
    nb = EdgeDrop(p).augment_batch(b, gen(seed))
    assert_batch_consistent(nb)
    assert_alignment(nb)
    assert torch.equal(nb.ptr, b.ptr) and torch.equal(nb.batch, b.batch)


def test_bipartite_block():
    ei = torch.tensor([[0, 4, 2, 3, 1], [0, 0, 1, 1, 2]])
    block = Graph.from_edge_index(ei, 3, num_src_nodes=5)
    g2, x2 = EdgeDrop(0.5)(block, torch.randn(5, 2), gen(0))
    assert_valid_graph(g2, num_src=5)
    assert g2.num_dst_nodes == 3 and x2.shape == (5, 2)
    with pytest.raises(ValueError, match="square"):
        EdgeDrop(0.5, adaptive="degree")(block, None)
