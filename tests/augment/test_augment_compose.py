"""Compose, RandomChoice and Identity."""
import pytest
import torch

from augment_graphs import assert_batch_consistent, gen, make_batch, random_graph
from graphssl.augment import (Compose, EdgeDrop, FeatureMask, GraphView, Identity, NodeDrop, RandomChoice,
                              build_augmenter, drop_edges, mask_features)


def test_compose_applies_in_order_with_one_generator():
    g = random_graph(50, 200, 0)
    x = torch.randn(50, 20)
    g1, x1 = Compose([EdgeDrop(0.3), FeatureMask(0.4)])(g, x, gen(0))
    rng = gen(0)
    g_ref, _ = drop_edges(g, 0.3, generator=rng)
    x_ref, _ = mask_features(x, 0.4, generator=rng)
    assert torch.equal(g1.col, g_ref.col) and torch.equal(x1, x_ref)


def test_compose_on_batch_and_empty():
    b = make_batch([3, 5, 4])
    nb = Compose([NodeDrop(0.3), EdgeDrop(0.3), "feature_mask"]).augment_batch(b, gen(1))
    assert_batch_consistent(nb)
    g = random_graph(5, 10, 0)
    assert Compose([])(g, None)[0] is g
    with pytest.raises(ValueError, match="takes a list"):
        Compose("edge_drop")


def test_random_choice_picks_uniform_subsets():
    aug = RandomChoice(["identity", "edge_drop", "node_drop", "feature_mask"], num_choices=2)
    counts = {}
    rng = gen(0)
    for _ in range(1200):
        key = tuple(aug.choose(rng))
        assert len(key) == 2 and list(key) == sorted(set(key))
        counts[key] = counts.get(key, 0) + 1
    assert len(counts) == 6 and all(abs(c / 1200 - 1 / 6) < 0.05 for c in counts.values())


def test_random_choice_applies_the_chosen_ones():
    g = random_graph(40, 160, 0)
    x = torch.randn(40, 8)
    aug = RandomChoice([EdgeDrop(0.5), FeatureMask(0.5)], num_choices=1)
    for s in range(10):
        idx = aug.choose(gen(s))
        ref = aug.augmenters[idx[0]]
        rng = gen(s)
        aug.choose(rng)  # the choice consumes the same draws first
        g_ref, x_ref = ref(g, x, rng)
        g2, x2 = aug(g, x, gen(s))
        assert torch.equal(g2.col, g_ref.col) and torch.equal(x2, x_ref)


def test_random_choice_determinism_and_errors():
    b = make_batch([6, 4, 5], seed=3)
    aug = build_augmenter({"name": "random_choice", "augmenters": ["node_drop", "edge_drop", "random_walk_subgraph"],
                           "num_choices": 2})
    a1, a2 = aug.augment_batch(b, gen(5)), aug.augment_batch(b, gen(5))
    assert torch.equal(a1.graph.col, a2.graph.col) and torch.equal(a1.ptr, a2.ptr)
    assert_batch_consistent(a1)
    with pytest.raises(ValueError, match="at least one augmenter"):
        RandomChoice([])
    with pytest.raises(ValueError, match="num_choices=3 exceeds"):
        RandomChoice(["identity", "edge_drop"], num_choices=3)
    with pytest.raises(ValueError, match="unknown augmenter"):
        RandomChoice(["identity", "nope"])


def test_identity():
    g = random_graph(5, 10, 0)
    v = GraphView(g, torch.ones(5, 2))
    assert Identity().apply(v) is v
