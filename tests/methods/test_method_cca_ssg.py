"""CCA-SSG: the loss against the authors' formula, the encoder layout (linear last layer,
MLP variant), shapes, determinism, bad configs, and a short real run on Cora."""
import pytest
import torch

from graphssl.config import load_config, merge
from graphssl.methods import CCASSG, build_method
from graphssl.sparse import Graph
from graphssl.train import Trainer

from contrastive_toys import community_graph, cora_subset

pytestmark = pytest.mark.usefixtures("torch_backend_one_thread")


def _official(h1, h2, lam):
    """CCA-SSG main.py written out: standardise, then -tr(C) + lam * (||I - C1||^2 + ||I - C2||^2)."""
    n = h1.size(0)
    z1, z2 = (h1 - h1.mean(0)) / h1.std(0), (h2 - h2.mean(0)) / h2.std(0)
    c, c1, c2 = z1.T @ z2 / n, z1.T @ z1 / n, z2.T @ z2 / n
    eye = torch.eye(c.size(0))
    return -torch.diagonal(c).sum() + lam * ((eye - c1).pow(2).sum() + (eye - c2).pow(2).sum())


def test_loss_matches_the_official_formula():
    data = community_graph()
    m = CCASSG(in_dim=12, hidden_dim=16, out_dim=8, lam=5e-3, seed=7)
    loss = m.loss(data)
    m.generator.manual_seed(7)
    g1, x1 = m.augment1.augment(data.graph, data.x, m.generator)
    g2, x2 = m.augment2.augment(data.graph, data.x, m.generator)
    expected = _official(m.encoder(g1, x1), m.encoder(g2, x2), 5e-3)
    assert float(loss.detach()) == pytest.approx(float(expected.detach()), rel=1e-4)


def test_last_layer_is_linear_and_mlp_variant_ignores_edges():
    data = community_graph()
    m = CCASSG(in_dim=12, hidden_dim=16, out_dim=8, seed=0)
    assert (m.embed(data) < 0).any()  # no activation after the last layer
    mlp = build_method("cca_ssg", in_dim=12, hidden_dim=16, out_dim=8, encoder="mlp", norm="batchnorm")
    edgeless = type(data)(Graph.from_edge_index(torch.empty(2, 0, dtype=torch.long), 90), data.x)
    assert torch.allclose(mlp.embed(data), mlp.embed(edgeless))


def test_shapes_and_determinism_under_a_seed():
    data = community_graph()

    def run():
        torch.manual_seed(0)
        m = CCASSG(in_dim=12, hidden_dim=16, out_dim=8, seed=1)
        return Trainer(m, epochs=3, lr=0.01, progress=False, seed=0).fit(data).losses, m.embed(data)

    (l1, e1), (l2, e2) = run(), run()
    assert l1 == l2 and torch.equal(e1, e2) and e1.shape == (90, 8)


def test_loss_decreases():
    # On this easy graph a random encoder's views already correlate well (loss near the
    # bound -out_dim = -16) and training converges within a few epochs, so how far the first
    # five epochs lie above the last five varies with the seed: average over three.
    data = community_graph()
    drops = []
    for seed in range(3):
        m = CCASSG(in_dim=12, hidden_dim=32, out_dim=16, drop_edge_rates=0.2, drop_feature_rates=0.1, seed=seed)
        losses = Trainer(m, epochs=40, lr=0.01, progress=False, seed=seed).fit(data).losses
        drops.append(sum(losses[:5]) / 5 - sum(losses[-5:]) / 5)
        assert sum(losses[-5:]) / 5 < -14.5  # close to the bound
    assert min(drops) > 0 and sum(drops) / 3 > 1.0, drops


@pytest.mark.parametrize("kw,msg", [({"lam": -1.0}, "lam"), ({"drop_feature_rates": 1.0}, "drop_feature_rates"),
                                    ({"encoder": "transformer"}, "unknown"), ({"lambd": 1e-3}, "bad config")])
def test_bad_configs_raise_clear_errors(kw, msg):
    with pytest.raises(ValueError, match=msg):
        build_method("cca_ssg", in_dim=12, **kw)


def test_short_pretraining_on_cora_beats_a_random_encoder(data_root):
    from graphssl.pipeline import pretrain_node

    ds = cora_subset(data_root)
    cfg = merge(load_config("cca_ssg", "cora"), {"method": {"hidden_dim": 256, "out_dim": 256},
                                                 "probe": {"epochs": 100}})
    random_init = pretrain_node(ds, "cca_ssg", merge(cfg, {"train": {"epochs": 0}}), seed=0)
    trained = pretrain_node(ds, "cca_ssg", merge(cfg, {"train": {"epochs": 20}}), seed=0)
    assert trained.test_acc > random_init.test_acc + 0.05, (trained.test_acc, random_init.test_acc)
