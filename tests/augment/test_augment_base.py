"""The Augmenter base class, the registry and build_augmenter."""
import pytest
import torch

from augment_graphs import assert_batch_consistent, gen, make_batch, random_graph
from graphssl.augment import (AUGMENTERS, Augmenter, Compose, EdgeDrop, GraphView, build_augmenter,
                              register_augmenter)

EXPECTED = {"edge_drop", "edge_add", "node_drop", "node_shuffle", "feature_mask", "feature_dropout",
            "feature_noise", "random_walk_subgraph", "ppr_diffusion", "heat_diffusion", "edge_attr_mask",
            "compose", "random_choice", "identity"}


def test_every_augmenter_is_registered():
    assert EXPECTED <= set(AUGMENTERS.names())
    for name in AUGMENTERS.names():
        cls = AUGMENTERS.get(name)
        assert issubclass(cls, Augmenter) and cls.name == name


def test_build_from_name_mapping_and_instance():
    a = build_augmenter("edge_drop", p=0.2)
    assert isinstance(a, EdgeDrop) and a.p == 0.2
    b = build_augmenter({"name": "EDGE_DROP", "p": 0.3})
    assert isinstance(b, EdgeDrop) and b.p == 0.3
    assert build_augmenter({"name": "edge_drop", "p": 0.3}, p=0.1).p == 0.1
    assert build_augmenter(a) is a
    c = build_augmenter({"name": "compose", "augmenters": [{"name": "edge_drop", "p": 0.1}, "feature_mask"]})
    assert isinstance(c, Compose) and len(c.augmenters) == 2


@pytest.mark.parametrize("spec, kwargs, match", [
    ("no_such_aug", {}, "unknown augmenter 'no_such_aug'; known: "),
    ({"p": 0.1}, {}, "'name'"),
    ("edge_drop", {"q": 1}, "bad arguments for augmenter 'edge_drop'"),
    ("edge_drop", {"p": 1.0}, r"p must lie in \[0, 1\)"),
    ("edge_drop", {"p": -0.1}, r"p must lie in \[0, 1\)"),
    ("edge_drop", {"p": float("nan")}, "p must be finite"),
    ("node_drop", {"p": 1.5}, "p must lie"),
    ("feature_mask", {"mode": "diag"}, "unknown mask mode 'diag'"),
    ("edge_drop", {"adaptive": "closeness"}, "unknown adaptive centrality 'closeness'"),
    (42, {}, "augmenter is given by name"),
])
def test_bad_specs_raise_value_error(spec, kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_augmenter(spec, **kwargs)


def test_register_rejects_duplicates_and_non_augmenters():
    with pytest.raises(ValueError, match="already registered"):
        @register_augmenter("edge_drop")
        class Other(Augmenter):
            pass
    with pytest.raises(ValueError, match="needs an Augmenter subclass"):
        register_augmenter("not_an_augmenter_xyz")(object)


def test_call_dispatches_on_input_type():
    g = random_graph(10, 30, 0)
    x = torch.randn(10, 4)
    aug = EdgeDrop(0.5)
    g1, x1 = aug(g, x, gen(0))
    g2, x2 = aug.augment(g, x, gen(0))
    assert torch.equal(g1.col, g2.col) and x1 is x and x2 is x
    b = make_batch([3, 4])
    nb = aug(b, generator=gen(0))
    assert_batch_consistent(nb)
    v = aug(GraphView(g, x), generator=gen(0))
    assert isinstance(v, GraphView) and torch.equal(v.graph.col, g1.col)
    with pytest.raises(ValueError, match="GraphBatch alone"):
        aug(b, x)


@pytest.mark.parametrize("bad, match", [
    (lambda g: (g, torch.randn(9, 4)), "x has 9 rows but the graph has 10"),
    (lambda g: ("graph", torch.randn(10, 4)), "expects a graphssl.sparse.Graph"),
    (lambda g: (make_batch([2]), None), None),  # fine: dispatched to augment_batch
])
def test_bad_inputs_raise_value_error(bad, match):
    g = random_graph(10, 30, 0)
    args = bad(g)
    if match is None:
        EdgeDrop(0.1)(*args)
        return
    with pytest.raises(ValueError, match=match):
        EdgeDrop(0.1).augment(*args)


def test_graph_batch_passed_to_augment_gets_a_hint():
    with pytest.raises(ValueError, match="augment_batch"):
        EdgeDrop(0.1).augment(make_batch([2, 3]), None)


def test_bad_generator_and_view_shapes():
    g = random_graph(5, 10, 0)
    with pytest.raises(ValueError, match="generator must be a torch.Generator"):
        EdgeDrop(0.1).augment(g, None, generator=3)
    with pytest.raises(ValueError, match="edge_attr must have one row per edge"):
        EdgeDrop(0.1).apply(GraphView(g, None, edge_attr=torch.zeros(g.num_edges + 1, 2)))
    with pytest.raises(ValueError, match="batch must have shape"):
        EdgeDrop(0.1).apply(GraphView(g, None, batch=torch.zeros(4, dtype=torch.long)))
    with pytest.raises(ValueError, match="batch must be sorted"):
        EdgeDrop(0.1).apply(GraphView(g, None, batch=torch.tensor([0, 1, 0, 1, 1]), num_graphs=2))


def test_repr_is_readable():
    assert repr(EdgeDrop(0.2, adaptive="pagerank")) == "EdgeDrop(p=0.2, adaptive='pagerank', max_p=0.7)"
    assert repr(build_augmenter("random_choice", augmenters=["identity", "node_shuffle"])) == \
        "RandomChoice([Identity(), NodeShuffle()], num_choices=1)"
