"""random_walk / random_walk_subgraph / RandomWalkSubgraph."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from augment_graphs import (assert_alignment, assert_batch_consistent, assert_valid_graph, gen, graph_sizes,
                            make_batch, random_graph)
from graphssl.augment import RandomWalkSubgraph, random_walk, random_walk_subgraph
from graphssl.sparse import Graph


def test_walks_follow_edges():
    g = random_graph(100, 300, 0)
    walks = random_walk(g, torch.arange(100), 8, generator=gen(0))
    assert walks.shape == (100, 9) and torch.equal(walks[:, 0], torch.arange(100))
    dense = g.to_dense() > 0
    deg = g.in_degree()
    for k in range(8):
        u, v = walks[:, k], walks[:, k + 1]
        moved = deg[u] > 0
        # a step goes from u to a source of one of u's incoming edges; stuck only without any
        assert bool(dense[u[moved], v[moved]].all()) and torch.equal(u[~moved], v[~moved])


def test_uniform_neighbour_choice():
    # node 0 has incoming edges from 1, 2, 3, 4
    g = Graph.from_edge_index(torch.tensor([[1, 2, 3, 4], [0, 0, 0, 0]]), 5)
    walks = random_walk(g, torch.zeros(8000, dtype=torch.long), 1, generator=gen(0))
    freq = torch.bincount(walks[:, 1], minlength=5)[1:].float() / 8000
    assert float((freq - 0.25).abs().max()) < 0.03


def test_restart_returns_to_start():
    g = Graph.from_edge_index(torch.stack([torch.arange(1, 50), torch.arange(0, 49)]), 50)  # path 49->...->0 reversed
    walks = random_walk(g, torch.zeros(500, dtype=torch.long), 10, restart_p=0.5, generator=gen(0))
    # without restarts the walk from 0 would reach node k at step k; restarts keep it near 0
    assert float(walks[:, -1].float().mean()) < 3


def test_subgraph_is_induced_on_visited_nodes():
    g = random_graph(200, 600, 1, undirected=True)
    sub, nodes, edges = random_walk_subgraph(g, num_roots=3, walk_length=5, generator=gen(1))
    assert_valid_graph(sub)
    assert 1 <= sub.num_nodes <= 18 and sub.num_nodes == int(nodes.sum())
    assert torch.equal(edges, nodes[g.col] & nodes[g.row()])
    same, n2, e2 = random_walk_subgraph(g, training=False)
    assert same is g and bool(n2.all()) and bool(e2.all())


def test_determinism():
    g = random_graph(200, 600, 1, undirected=True)
    _, a, _ = random_walk_subgraph(g, 0.05, 5, generator=gen(3))
    _, b, _ = random_walk_subgraph(g, 0.05, 5, generator=gen(3))
    _, c, _ = random_walk_subgraph(g, 0.05, 5, generator=gen(4))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_errors():
    g = random_graph(5, 10, 0)
    with pytest.raises(ValueError, match=r"root_ratio must lie in \(0, 1\]"):
        RandomWalkSubgraph(0.0)
    with pytest.raises(ValueError, match="walk_length must be >= 0"):
        RandomWalkSubgraph(0.1, -1)
    with pytest.raises(ValueError, match=r"restart_p must lie in \[0, 1\)"):
        random_walk(g, torch.tensor([0]), 3, restart_p=1.0)
    with pytest.raises(ValueError, match="start nodes must lie"):
        random_walk(g, torch.tensor([7]), 3)
    with pytest.raises(ValueError, match="single graph"):
        random_walk_subgraph(g, num_roots=2, batch=torch.zeros(5, dtype=torch.long))
    block = Graph.from_edge_index(torch.tensor([[0, 4], [0, 1]]), 2, num_src_nodes=5)
    with pytest.raises(ValueError, match="square graph"):
        RandomWalkSubgraph()(block, None)


@settings(max_examples=25, deadline=None)
@given(sizes=graph_sizes, seed=st.integers(0, 10 ** 6), ratio=st.floats(0.01, 1.0), length=st.integers(0, 5))
def test_batch_consistency(sizes, seed, ratio, length):
    b = make_batch(sizes, seed)
    nb = RandomWalkSubgraph(ratio, length).augment_batch(b, gen(seed))
    assert_batch_consistent(nb)
    assert_alignment(nb)
    before, after = b.num_nodes_per_graph(), nb.num_nodes_per_graph()
    assert bool((after <= before).all()) and bool(((after >= 1) | (before == 0)).all())
