"""MVGRL: the two views (normalised adjacency, PPR diffusion), the node-level loss against
its BCE formula, node subsets, the graph-level variant on a batch of graphs, bad configs,
and a short real run on Cora."""
import pytest
import torch
import torch.nn.functional as F

from graphssl.augment import ppr_matrix
from graphssl.config import load_config, merge
from graphssl.methods import MVGRL, build_method
from graphssl.train import Trainer

from contrastive_toys import community_graph, cora_subset, ring_batch

pytestmark = pytest.mark.usefixtures("torch_backend_one_thread")


def test_views_are_the_normalised_adjacency_and_the_exact_ppr():
    data = community_graph(n=30)
    m = MVGRL(in_dim=12, hidden_dim=8, alpha=0.2)
    adj, diff = m.views(data)
    assert torch.allclose(adj.to_dense(), data.graph.gcn_norm(True).to_dense(), atol=1e-6)
    assert torch.allclose(diff.to_dense(torch.float64), ppr_matrix(data.graph, 0.2), atol=1e-5)
    assert m.views(data)[1] is diff  # a fixed graph is diffused once


def test_node_loss_is_the_cross_view_bce():
    data = community_graph()
    m = MVGRL(in_dim=12, hidden_dim=16, diffusion_eps=1e-3, seed=5)
    loss = m.loss(data)
    m.generator.manual_seed(5)
    perm = torch.randperm(90, generator=m.generator)
    adj, diff = m.views(data)
    h1, h2 = m.encoder_adj(adj, data.x), m.encoder_diff(diff, data.x)
    h3, h4 = m.encoder_adj(adj, data.x[perm]), m.encoder_diff(diff, data.x[perm])
    c1, c2 = torch.sigmoid(h1.mean(0, keepdim=True)), torch.sigmoid(h2.mean(0, keepdim=True))
    d = m.discriminator
    logits = torch.cat([d(h2, c1), d(h1, c2), d(h4, c1), d(h3, c2)]).detach()
    labels = torch.cat([torch.ones(180), torch.zeros(180)])
    assert float(loss.detach()) == pytest.approx(float(F.binary_cross_entropy_with_logits(logits, labels)), rel=1e-5)
    emb = m.embed(data)
    assert emb.shape == (90, 16)
    assert torch.allclose(emb, (h1 + h2).detach(), atol=1e-5)  # eval mode = train mode here (no dropout)


def test_node_subsets_and_determinism():
    data = community_graph()

    def run():
        torch.manual_seed(0)
        m = MVGRL(in_dim=12, hidden_dim=16, sample_size=40, num_samples=3, seed=1)
        return Trainer(m, epochs=3, lr=0.01, progress=False, seed=0).fit(data).losses, m.embed(data)

    (l1, e1), (l2, e2) = run(), run()
    assert l1 == l2 and torch.equal(e1, e2) and e1.shape == (90, 16)


def test_loss_decreases():
    data = community_graph()
    m = MVGRL(in_dim=12, hidden_dim=32, seed=0)
    losses = Trainer(m, epochs=40, lr=0.01, progress=False, seed=0).fit(data).losses
    assert losses[0] == pytest.approx(0.693, abs=0.05)
    assert losses[-1] < 0.7 * losses[0]


def test_graph_level_on_a_batch_of_graphs():
    batch = ring_batch()
    m = MVGRL(in_dim=3, hidden_dim=8, num_layers=2, level="graph", seed=0)
    losses = Trainer(m, epochs=15, lr=0.01, progress=False, seed=0).fit(batch).losses
    assert all(torch.isfinite(torch.tensor(losses))) and losses[-1] < losses[0]
    emb = m.embed(batch)
    assert emb.shape == (4, 8)


def test_level_mismatch_raises():
    with pytest.raises(ValueError, match="level='graph'"):
        MVGRL(in_dim=3, hidden_dim=8).loss(ring_batch())
    with pytest.raises(ValueError, match="GraphBatch"):
        MVGRL(in_dim=12, hidden_dim=8, level="graph").loss(community_graph())


@pytest.mark.parametrize("kw,msg", [({"level": "edge"}, "level"), ({"diffusion": "katz"}, "diffusion"),
                                    ({"alpha": 1.5}, "alpha"), ({"sample_size": 1}, "sample_size"),
                                    ({"num_samples": 0}, "num_samples"), ({"diffusion_topk": 0}, "topk"),
                                    ({"diffusion": "heat", "diffusion_method": "approx"}, "exact")])
def test_bad_configs_raise_clear_errors(kw, msg):
    with pytest.raises(ValueError, match=msg):
        build_method("mvgrl", in_dim=12, **kw)


def test_short_pretraining_on_cora_beats_a_random_encoder(data_root):
    from graphssl.pipeline import pretrain_node

    ds = cora_subset(data_root)
    cfg = merge(load_config("mvgrl", "cora"), {"method": {"hidden_dim": 64, "diffusion_eps": 1e-3},
                                               "train": {"lr": 0.005, "loss_patience": None},
                                               "probe": {"epochs": 100}})
    random_init = pretrain_node(ds, "mvgrl", merge(cfg, {"train": {"epochs": 0}}), seed=0)
    trained = pretrain_node(ds, "mvgrl", merge(cfg, {"train": {"epochs": 20}}), seed=0)
    assert trained.test_acc > random_init.test_acc + 0.05, (trained.test_acc, random_init.test_acc)
