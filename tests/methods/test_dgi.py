"""DGI: the discriminator against nn.Bilinear, the loss against its BCE formula, shapes,
determinism, batches of graphs, bad configs, and a short real run on Cora."""
import pytest
import torch
import torch.nn.functional as F

from graphssl.config import load_config, merge
from graphssl.methods import DGI, build_method
from graphssl.methods.dgi import BilinearDiscriminator, sigmoid_mean_summary
from graphssl.train import Trainer

from contrastive_toys import community_graph, ring_batch

pytestmark = pytest.mark.usefixtures("torch_backend_one_thread")


def test_discriminator_matches_nn_bilinear():
    torch.manual_seed(0)
    d, ref = BilinearDiscriminator(6), torch.nn.Bilinear(6, 6, 1)
    with torch.no_grad():
        ref.weight.copy_(d.weight)
        d.bias.fill_(0.2)
        ref.bias.fill_(0.2)
    h, s = torch.randn(5, 6), torch.randn(1, 6)
    assert torch.allclose(d(h, s), ref(h, s.expand(5, -1)).view(-1), atol=1e-6)
    s2, idx = torch.randn(2, 6), torch.tensor([0, 1, 1, 0, 1])
    assert torch.allclose(d(h, s2, idx), ref(h, s2[idx]).view(-1), atol=1e-6)
    with pytest.raises(ValueError, match="index"):
        d(h, s2)


def test_loss_is_the_bce_of_real_against_shuffled_nodes():
    data = community_graph()
    m = DGI(in_dim=12, hidden_dim=16, seed=3)
    loss = m.loss(data)
    # Recompute by hand with the same corruption draw.
    m.generator.manual_seed(3)
    x_neg = m.corruption.augment(data.graph, data.x, m.generator)[1]
    h, hn = m.encoder(data.graph, data.x), m.encoder(data.graph, x_neg)
    s = torch.sigmoid(h.mean(0, keepdim=True))
    logits = torch.cat([m.discriminator(h, s), m.discriminator(hn, s)]).detach()
    labels = torch.cat([torch.ones(90), torch.zeros(90)])
    assert float(loss.detach()) == pytest.approx(float(F.binary_cross_entropy_with_logits(logits, labels)), rel=1e-5)
    assert sorted(x_neg.sum(1).tolist()) == pytest.approx(sorted(data.x.sum(1).tolist()))


def test_shapes_and_determinism_under_a_seed():
    data = community_graph()

    def run():
        torch.manual_seed(0)
        m = DGI(in_dim=12, hidden_dim=16, seed=1)
        return Trainer(m, epochs=3, lr=0.01, progress=False, seed=0).fit(data).losses, m.embed(data)

    (l1, e1), (l2, e2) = run(), run()
    assert l1 == l2 and torch.equal(e1, e2) and e1.shape == (90, 16)


def test_loss_decreases():
    data = community_graph()
    m = DGI(in_dim=12, hidden_dim=32, seed=0)
    hist = Trainer(m, epochs=40, lr=0.01, progress=False, seed=0).fit(data)
    assert hist.losses[0] == pytest.approx(0.693, abs=0.05)
    assert hist.losses[-1] < 0.7 * hist.losses[0]


def test_batch_of_graphs_gets_one_summary_per_graph():
    batch = ring_batch((5, 7, 4))
    m = DGI(in_dim=3, hidden_dim=8, seed=0)
    assert torch.isfinite(m.loss(batch))
    h = m.embed(batch)
    assert h.shape == (16, 8)
    assert sigmoid_mean_summary(h, batch.ptr).shape == (3, 8)


@pytest.mark.parametrize("kw,msg", [({"dropout": 1.5}, "dropout"), ({"encoder": "transformer"}, "unknown"),
                                    ({"activation": "swishy"}, "activation"), ({"hidden": 3}, "bad config")])
def test_bad_configs_raise_clear_errors(kw, msg):
    with pytest.raises(ValueError, match=msg):
        build_method("dgi", in_dim=12, **kw)


def test_short_pretraining_on_cora_beats_a_random_encoder(data_root):
    from graphssl.datasets import load_dataset
    from graphssl.pipeline import pretrain_node

    ds = load_dataset("cora", root=data_root)
    cfg = merge(load_config("dgi", "cora"), {"method": {"hidden_dim": 64}, "train": {"lr": 0.01},
                                             "probe": {"epochs": 100}})
    random_init = pretrain_node(ds, "dgi", merge(cfg, {"train": {"epochs": 0}}), seed=0)
    trained = pretrain_node(ds, "dgi", merge(cfg, {"train": {"epochs": 20}}), seed=0)
    assert trained.test_acc > random_init.test_acc + 0.1, (trained.test_acc, random_init.test_acc)
    assert trained.test_acc > 0.65
