"""GraphCL: the loss against the official formula, per-graph augmentation pools, shapes,
determinism, bad configs, and short real runs on MUTAG with the SVM protocol."""
import math

import pytest
import torch

from graphssl.config import load_config, merge
from graphssl.loader import GraphLoader
from graphssl.methods import GRAPHCL_AUGMENTATIONS, GraphCL, build_method, graphcl_loss
from graphssl.sparse import Graph, GraphItem, collate
from graphssl.train import Trainer


pytestmark = pytest.mark.usefixtures("torch_backend_one_thread")


def _toy_batch(num_graphs=6, seed=0, f=5):
    gen = torch.Generator().manual_seed(seed)
    items = []
    for i in range(num_graphs):
        n = 4 + i % 5
        ring = torch.stack([torch.arange(n), (torch.arange(n) + 1) % n])
        g = Graph.from_edge_index(torch.cat([ring, ring.flip(0)], 1), n).add_self_loops()
        items.append(GraphItem(g, torch.rand(n, f, generator=gen), torch.tensor(i % 2)))
    return collate(items)


def _dense_official(z1, z2, tau):
    """GraphCL's unsupervised TU loss written out: -log(exp(s_ii) / sum_{j != i} exp(s_ij))."""
    sim = (z1 @ z2.T) / (z1.norm(dim=1)[:, None] * z2.norm(dim=1)[None, :])
    e = torch.exp(sim / tau)
    pos = e.diagonal()
    return -torch.log(pos / (e.sum(1) - pos)).mean()


def test_loss_matches_the_official_formula():
    gen = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(7, 4, generator=gen, dtype=torch.float64), torch.randn(7, 4, generator=gen, dtype=torch.float64)
    assert float(graphcl_loss(z1, z2, 0.2)) == pytest.approx(float(_dense_official(z1, z2, 0.2)), rel=1e-10)
    sym = 0.5 * (_dense_official(z1, z2, 0.5) + _dense_official(z2, z1, 0.5))
    assert float(graphcl_loss(z1, z2, 0.5, symmetric=True)) == pytest.approx(float(sym), rel=1e-10)
    # gradients flow to both views
    a, b = z1.clone().requires_grad_(), z2.clone().requires_grad_()
    graphcl_loss(a, b).backward()
    assert a.grad.abs().sum() > 0 and b.grad.abs().sum() > 0


def test_loss_rejects_bad_inputs():
    with pytest.raises(ValueError, match="same shape"):
        graphcl_loss(torch.randn(3, 4), torch.randn(4, 4))
    with pytest.raises(ValueError, match="at least two"):
        graphcl_loss(torch.randn(1, 4), torch.randn(1, 4))


def test_embed_shape_and_loss_is_finite():
    b = _toy_batch()
    m = GraphCL(in_dim=5, hidden_dim=8, num_layers=3, seed=0)
    emb = m.embed(b)
    assert emb.shape == (6, 24) and m.out_dim == 24
    loss = m.loss(b)
    assert loss.dim() == 0 and math.isfinite(loss.detach().item())
    loss.backward()
    assert all(p.grad is not None for p in m.encoder.parameters())


def test_per_graph_pool_keeps_graphs_aligned():
    b = _toy_batch(num_graphs=9)
    # Two augmenters that change nothing: every graph of the second view must come back as
    # the same graph at the position its order says.
    m = GraphCL(in_dim=5, hidden_dim=8, augment_2=["identity", {"name": "node_drop", "p": 0.0}], seed=1)
    _, o1, v2, o2 = m.views(b)
    assert o1 is None and o2 is not None
    assert sorted(o2.tolist()) == list(range(9)) and o2.tolist() != list(range(9))
    ptr = v2.ptr()
    for k, g in enumerate(o2.tolist()):
        assert torch.equal(v2.x[ptr[k]:ptr[k + 1]], b.x[b.ptr[g]:b.ptr[g + 1]])
    # With aligned views of identical graphs the two projections agree row by row.
    m.eval()
    z_same = m.projector(m.embed(b))
    assert m.loss(b).detach().item() == pytest.approx(graphcl_loss(z_same, z_same, m.tau).item(), rel=1e-5)


def test_random2_pool_draws_per_graph_and_keeps_every_graph():
    b = _toy_batch(num_graphs=40)
    m = GraphCL(in_dim=5, hidden_dim=8, augment_2="random2", seed=0)
    _, _, v2, o2 = m.views(b)
    assert v2.num_graphs == 40 and sorted(o2.tolist()) == list(range(40))
    assert v2.num_nodes < b.num_nodes  # nodes were dropped / subgraphs taken
    counts = torch.bincount(v2.batch, minlength=40)
    assert bool((counts >= 1).all())


def test_views_are_deterministic_under_a_seed():
    b = _toy_batch(num_graphs=12)

    def run(seed):
        torch.manual_seed(0)  # same weights
        m = GraphCL(in_dim=5, hidden_dim=8, augment_1="dnodes", augment_2="random4", seed=seed)
        _, o1, v2, o2 = m.views(b)
        return o2, v2.graph.col, v2.x, m.loss(b).detach().item()

    a, c, d = run(3), run(3), run(4)
    assert torch.equal(a[0], c[0]) and torch.equal(a[1], c[1]) and torch.equal(a[2], c[2]) and a[3] == c[3]
    assert not (torch.equal(a[0], d[0]) and torch.equal(a[1], d[1]))


def test_a_single_graph_batch_gives_zero_loss():
    b = _toy_batch(num_graphs=1)
    m = GraphCL(in_dim=5, hidden_dim=8, seed=0)
    loss = m.loss(b)
    assert loss.detach().item() == 0.0
    loss.backward()


@pytest.mark.parametrize("kw,msg", [
    ({"tau": 0.0}, "tau"), ({"augment_2": "no_such_aug"}, "unknown"), ({"augment_2": []}, "at least one"),
    ({"augment_2": ["random2"]}, "pool member"), ({"augment_1": 3}, "augment_1"), ({"conv": "transformer"}, "unknown"),
    ({"pooling": "median"}, "pooling"), ({"hidden_dim": 0}, "hidden_dim"), ({"proj_dim": -1}, "proj_dim"),
    ({"augment_2": {"name": "node_drop", "p": 1.5}}, "p"), ({"learning_rate": 0.1}, "bad config"),
])
def test_bad_configs_raise_clear_errors(kw, msg):
    with pytest.raises(ValueError, match=msg):
        build_method("graphcl", in_dim=5, **kw)


def test_features_are_required():
    b = _toy_batch()
    b.x = None
    with pytest.raises(ValueError, match="node features"):
        GraphCL(in_dim=5).loss(b)


@pytest.mark.parametrize("dataset", ["mutag", "proteins", "nci1", "imdb-binary"])
def test_published_configs_build(dataset):
    cfg = load_config("graphcl", dataset)
    assert {"data", "method", "train", "probe"} <= set(cfg)
    m = build_method("graphcl", in_dim=7, **cfg["method"])
    assert m.tau == 0.2 and m.out_dim == 96
    assert cfg["train"]["epochs"] == 20 and cfg["data"]["batch_size"] == 128
    assert set(GRAPHCL_AUGMENTATIONS) >= {"random2", "random3", "random4"}


# ---------------------------------------------------------------------------- real data
def _mutag(data_root, cfg):
    from graphssl.datasets import load_dataset
    from graphssl.pipeline import _graph_samples
    return _graph_samples(load_dataset("mutag", root=data_root), cfg["data"])


def test_loss_decreases_on_mutag(data_root):
    cfg = load_config("graphcl", "mutag")
    items, f = _mutag(data_root, cfg)
    torch.manual_seed(0)
    m = build_method("graphcl", in_dim=f, seed=0, **cfg["method"])
    hist = Trainer(m, progress=False, seed=0, **merge(cfg["train"], {"epochs": 8})).fit(
        GraphLoader(items, 128, shuffle=True, seed=0))
    # augmentations make the loss noisy: compare the last epochs' mean with the first epoch
    assert sum(hist.losses[-3:]) / 3 < 0.95 * hist.losses[0]


def test_svm_accuracy_on_mutag_is_sane(data_root):
    from graphssl.datasets import load_dataset
    from graphssl.pipeline import pretrain_graph
    cfg = merge(load_config("graphcl", "mutag"), {"train": {"epochs": 10}, "probe": {"fold_seed": 0}})
    r = pretrain_graph(load_dataset("mutag", root=data_root), "graphcl", cfg, seed=0)
    assert r.embeddings.shape == (188, 96)
    assert r.test_acc > 0.80  # majority class: 66.5%; a random-init encoder: about 85%
