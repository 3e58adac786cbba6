"""GRACE and GCA: the loss against GRACE's dense formula, the views' augmenters (uniform
and GCA's centrality-weighted edge and feature drops: rates, cap, centrality variants, the
centralities of the input graph), the packaged GCA configs, shapes, determinism, bad
configs, and a short real run on Cora."""
import pytest
import torch
import torch.nn.functional as F

from graphssl.augment.centrality import edge_drop_probabilities, feature_drop_probabilities
from graphssl.config import load_config, merge
from graphssl.methods import GCA, GRACE, build_method
from graphssl.pipeline import NodeInput
from graphssl.sparse import Graph
from graphssl.train import Trainer

from contrastive_toys import community_graph, cora_subset

pytestmark = pytest.mark.usefixtures("torch_backend_one_thread")


def _dense_grace(h1, h2, tau):
    """GRACE's semi_loss written out, averaged over both directions."""
    def semi(a, b):
        a, b = F.normalize(a), F.normalize(b)
        refl, between = torch.exp(a @ a.T / tau), torch.exp(a @ b.T / tau)
        return -torch.log(between.diag() / (refl.sum(1) + between.sum(1) - refl.diag()))
    return (0.5 * (semi(h1, h2) + semi(h2, h1))).mean()


@pytest.mark.parametrize("cls", [GRACE, GCA])
def test_loss_matches_the_dense_grace_formula(cls):
    data = community_graph()
    m = cls(in_dim=12, hidden_dim=16, out_dim=8, proj_dim=8, tau=0.5, chunk_size=7, seed=4)
    loss = m.loss(data)
    m.generator.manual_seed(4)  # the same two views again
    z1, z2 = m.views(data)
    expected = _dense_grace(m.projector(z1), m.projector(z2), 0.5)
    assert float(loss.detach()) == pytest.approx(float(expected.detach()), rel=1e-5)


def test_views_use_the_configured_drops():
    data = community_graph(n=300)
    m = GRACE(in_dim=12, drop_edge_rates=[0.0, 0.5], drop_feature_rates=[0.5, 0.0], seed=0)
    g1, x1 = m.augment1.augment(data.graph, data.x, m.generator)
    g2, x2 = m.augment2.augment(data.graph, data.x, m.generator)
    assert g1.num_edges == data.graph.num_edges and torch.equal(x2, data.x)
    assert 0.4 < g2.num_edges / data.graph.num_edges < 0.6
    assert bool(((x1 == 0).all(0) | (x1 == data.x).all(0)).all())  # whole columns masked


def test_gca_drops_edges_into_hubs_less():
    data = community_graph(n=300)
    m = GCA(in_dim=12, drop_edge_rates=0.4, drop_feature_rates=0.3, seed=0)
    assert m.adaptive == "degree" and "adaptive='degree'" in repr(m.augment1)
    deg = data.graph.in_degree().float()
    hub = deg[data.graph.row()] > deg.median()
    kept = torch.zeros(data.graph.num_edges)
    for _ in range(20):
        g, _ = m.augment1.augment(data.graph, data.x, m.generator)
        key = set(zip(g.row().tolist(), g.col.tolist()))
        kept += torch.tensor([(r, c) in key for r, c in zip(data.graph.row().tolist(), data.graph.col.tolist())]).float()
    assert kept[hub].mean() > kept[~hub].mean()


def _star_with_features(n: int = 60):
    """A star (node 0 the hub, undirected) plus a ring through the leaves; feature 0 is
    carried by the hub only, feature 1 by five leaves only, features 2-5 by every node."""
    leaves = torch.arange(1, n)
    ring = torch.stack([leaves, leaves % (n - 1) + 1])
    g = Graph.from_edge_index(torch.cat([torch.stack([leaves, torch.zeros_like(leaves)]), ring], 1), n)
    x = torch.ones(n, 6)
    x[1:, 0] = 0
    x[:, 1] = 0
    x[1:6, 1] = 1
    return NodeInput(g.to_undirected(), x)


def test_gca_masks_features_of_hubs_less():
    data = _star_with_features()
    m = GCA(in_dim=6, drop_edge_rates=0.0, drop_feature_rates=0.3, max_drop_rate=0.9, seed=0)
    masked = torch.zeros(6)
    for _ in range(400):
        _, x = m.augment1.augment(data.graph, data.x, m.generator)
        masked += (x == 0).all(0).float()
    rate = masked / 400
    expected = feature_drop_probabilities(data.graph, data.x, 0.3, "degree", max_p=0.9)
    assert float(rate[0]) < float(rate[1])  # the hub's feature survives more often
    assert float((rate - expected).abs().max()) < 0.08
    assert abs(float(rate.mean()) - 0.3) < 0.06  # GCA keeps the mean rate at p


def test_gca_edge_drop_rate_is_p_on_average_and_capped():
    data = community_graph(n=300)
    m = GCA(in_dim=12, drop_edge_rates=0.4, drop_feature_rates=0.0, max_drop_rate=0.7, seed=0)
    prob = edge_drop_probabilities(data.graph, 0.4, "degree", max_p=0.7)
    assert float(prob.max()) <= 0.7 + 1e-6 and float(prob.min()) >= 0
    kept = [m.augment1.augment(data.graph, data.x, m.generator)[0].num_edges for _ in range(20)]
    observed = 1 - sum(kept) / (20 * data.graph.num_edges)
    assert abs(observed - float(prob.mean())) < 0.02 and abs(observed - 0.4) < 0.05


@pytest.mark.parametrize("centrality", ["degree", "pagerank", "eigenvector"])
def test_gca_centrality_variants_weight_by_the_input_graph(centrality, monkeypatch):
    import graphssl.augment.centrality as cmod

    calls = []
    fn = getattr(cmod, f"{centrality}_centrality")
    monkeypatch.setattr(cmod, f"{centrality}_centrality", lambda g, *a, **k: calls.append(g) or fn(g, *a, **k))
    data = _star_with_features()
    m = GCA(in_dim=6, adaptive=centrality, drop_edge_rates=0.5, drop_feature_rates=0.3, max_drop_rate=0.9, seed=0)
    assert f"adaptive={centrality!r}" in repr(m.augment1) and f"adaptive={centrality!r}" in repr(m.augment2)
    # The feature weights are those of the input graph's centralities (GCA computes them
    # once), not of an edge-dropped view's: the view's features are masked with exactly the
    # probabilities feature_drop_probabilities gives for the original graph.
    expected = feature_drop_probabilities(data.graph, data.x, 0.3, centrality, max_p=0.9)
    gen = torch.Generator().manual_seed(3)
    masked = torch.zeros(6)
    for _ in range(300):
        _, x = m.augment1.augment(data.graph, data.x, gen)
        masked += (x == 0).all(0).float()
    assert float((masked / 300 - expected).abs().max()) < 0.09
    assert float(expected[0]) < float(expected[1])
    assert calls and all(g is data.graph for g in calls)  # computed on (and cached for) the input graph only


def test_gca_packaged_configs_build():
    default = load_config("gca", "cora")["method"]
    m = build_method("gca", in_dim=12, **default)
    assert m.adaptive == "degree" and m.tau == pytest.approx(0.4)
    wikics = build_method("gca", in_dim=12, **load_config("gca", "wikics")["method"])
    assert all(v.augmenters[0].weighting == "magnitude" for v in (wikics.augment1, wikics.augment2))
    cs = build_method("gca", in_dim=12, **load_config("gca", "coauthor-cs")["method"])
    assert any(isinstance(mod, torch.nn.RReLU) for mod in cs.modules())


def test_shapes_and_determinism_under_a_seed():
    data = community_graph()

    def run(cls):
        torch.manual_seed(0)
        m = cls(in_dim=12, hidden_dim=16, out_dim=8, proj_dim=8, seed=1)
        return Trainer(m, epochs=3, lr=0.01, progress=False, seed=0).fit(data).losses, m.embed(data)

    for cls in (GRACE, GCA):
        (l1, e1), (l2, e2) = run(cls), run(cls)
        assert l1 == l2 and torch.equal(e1, e2) and e1.shape == (90, 8)


@pytest.mark.parametrize("name", ["grace", "gca"])
def test_loss_decreases(name):
    data = community_graph()
    m = build_method(name, in_dim=12, hidden_dim=32, out_dim=16, proj_dim=16, tau=0.5, drop_edge_rates=0.2,
                     drop_feature_rates=0.1, seed=0)
    losses = Trainer(m, epochs=40, lr=0.01, progress=False, seed=0).fit(data).losses
    # Views are random, so compare the first and last five epochs; log(2N - 1) = 5.19 is the
    # value of collapsed embeddings.
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5 - 0.3


@pytest.mark.parametrize("name,kw,msg", [
    ("grace", {"tau": 0.0}, "tau"), ("grace", {"drop_edge_rates": 1.0}, "drop_edge_rates"),
    ("grace", {"drop_feature_rates": [0.1, 0.2, 0.3]}, "pair"), ("grace", {"adaptive": "closeness"}, "adaptive"),
    ("grace", {"encoder": "transformer"}, "unknown"), ("grace", {"augmenters": ["edge_drop"]}, "two specs"),
    ("gca", {"adaptive": None}, "centrality"), ("grace", {"max_drop_rate": 2.0}, "max_drop_rate"),
])
def test_bad_configs_raise_clear_errors(name, kw, msg):
    with pytest.raises(ValueError, match=msg):
        build_method(name, in_dim=12, **kw)


def test_augmenter_specs_override_the_drops():
    m = build_method("grace", in_dim=12, augmenters=[[{"name": "edge_drop", "p": 0.3}], "identity"])
    assert repr(m.augment2) == "Identity()" and "EdgeDrop(p=0.3)" in repr(m.augment1)


def test_short_pretraining_on_cora_beats_a_random_encoder(data_root):
    from graphssl.pipeline import pretrain_node

    ds = cora_subset(data_root)  # the quadratic loss on half of Cora keeps this test fast
    cfg = merge(load_config("grace", "cora"), {"train": {"lr": 0.001}, "probe": {"epochs": 100}})
    random_init = pretrain_node(ds, "grace", merge(cfg, {"train": {"epochs": 0}}), seed=0)
    trained = pretrain_node(ds, "grace", merge(cfg, {"train": {"epochs": 20}}), seed=0)
    assert trained.test_acc > random_init.test_acc + 0.05, (trained.test_acc, random_init.test_acc)
