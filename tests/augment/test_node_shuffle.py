"""shuffle_nodes / NodeShuffle: a permutation of feature rows, within each graph of a batch."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from augment_graphs import assert_batch_consistent, gen, graph_sizes, make_batch, random_graph
from graphssl.augment import NodeShuffle, shuffle_nodes


def test_permutes_rows_graph_unchanged():
    g = random_graph(50, 100, 0)
    x = torch.randn(50, 4)
    g2, xs = NodeShuffle()(g, x, gen(0))
    assert g2 is g
    xs2, perm = shuffle_nodes(x, generator=gen(0))
    assert torch.equal(xs, xs2) and torch.equal(xs, x[perm])
    assert sorted(perm.tolist()) == list(range(50))
    assert not torch.equal(perm, torch.arange(50))


def test_determinism_and_training_flag():
    x = torch.randn(40, 2)
    _, a = shuffle_nodes(x, generator=gen(1))
    _, b = shuffle_nodes(x, generator=gen(1))
    _, c = shuffle_nodes(x, generator=gen(2))
    assert torch.equal(a, b) and not torch.equal(a, c)
    same, perm = shuffle_nodes(x, training=False)
    assert same is x and torch.equal(perm, torch.arange(40))


def test_uniform_over_positions():
    # Over many draws each node lands on each position about equally often.
    counts = torch.zeros(5, 5)
    for s in range(1000):
        _, perm = shuffle_nodes(torch.zeros(5, 1), generator=gen(s))
        counts[torch.arange(5), perm] += 1
    assert float((counts / 1000 - 0.2).abs().max()) < 0.06


@settings(max_examples=25, deadline=None)
@given(sizes=graph_sizes, seed=st.integers(0, 10 ** 6))
def test_batch_shuffles_within_graphs(sizes, seed):
    b = make_batch(sizes, seed)
    nb = NodeShuffle().augment_batch(b, gen(seed))
    assert_batch_consistent(nb)
    origin = nb.x[:, 0].long() - 1  # the global id of the node whose features moved here
    assert torch.equal(b.batch[origin], nb.batch)
    assert sorted(origin.tolist()) == list(range(b.num_nodes))


def test_needs_features():
    with pytest.raises(ValueError, match="needs node features"):
        NodeShuffle()(random_graph(3, 3, 0), None)
    with pytest.raises(ValueError, match="x must be"):
        shuffle_nodes(torch.tensor(1.0))
