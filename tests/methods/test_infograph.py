"""InfoGraph: the encoder's readout, the local-global loss against the official formula,
shapes, determinism, bad configs, and short real runs on MUTAG with the SVM protocol."""
import math

import pytest
import torch
import torch.nn.functional as F

from graphssl.config import load_config, merge
from graphssl.loader import GraphLoader
from graphssl.methods import InfoGraph, InfoGraphEncoder, build_method
from graphssl.nn import global_pool
from graphssl.sparse import Graph, GraphItem, collate
from graphssl.train import Trainer


pytestmark = pytest.mark.usefixtures("torch_backend_one_thread")


def _toy_batch(num_graphs=6, seed=0, f=5):
    gen = torch.Generator().manual_seed(seed)
    items = []
    for i in range(num_graphs):
        n = 3 + i % 4
        ring = torch.stack([torch.arange(n), (torch.arange(n) + 1) % n])
        g = Graph.from_edge_index(torch.cat([ring, ring.flip(0)], 1), n)
        items.append(GraphItem(g, torch.rand(n, f, generator=gen), torch.tensor(i % 2)))
    return collate(items)


def test_encoder_concatenates_every_layer_and_sum_pools_each():
    b = _toy_batch()
    enc = InfoGraphEncoder(5, hidden_dim=4, num_layers=3)
    g, node = enc(b.graph, b.x, b.ptr)
    assert g.shape == (6, 12) and node.shape == (b.num_nodes, 12)
    # the graph readout is the per-graph sum of the node readout (sum pooling is linear)
    assert torch.allclose(g, global_pool(node, b.ptr, "sum"), atol=1e-5)
    # layer 2's block is a function of layer 1's: ReLU then BatchNorm, as in the paper's code
    h1 = node[:, :4]
    h2 = enc.norms[1](F.relu(enc.convs[1](b.graph, h1)))
    assert torch.allclose(node[:, 4:8], h2, atol=1e-5)


def _official_local_global(l_enc, g_enc, batch):
    """InfoGraph's local_global_loss_ with measure 'JSD', written out densely."""
    n, b = l_enc.size(0), g_enc.size(0)
    pos_mask = torch.zeros(n, b, dtype=l_enc.dtype)
    pos_mask[torch.arange(n), batch] = 1.0
    res = l_enc @ g_enc.T
    log2 = math.log(2.0)
    e_pos = (log2 - F.softplus(-(res * pos_mask))).mul(pos_mask).sum() / n
    neg = res * (1 - pos_mask)
    e_neg = (F.softplus(-neg) + neg - log2).mul(1 - pos_mask).sum() / (n * (b - 1))
    return e_neg - e_pos


def test_loss_matches_the_official_formula_up_to_its_constant():
    b = _toy_batch()
    m = InfoGraph(in_dim=5, hidden_dim=4, num_layers=2).double()
    ours = m.loss(GraphItemBatch(b))
    g, node = m.encoder(b.graph, b.x.double(), b.ptr)
    ref = _official_local_global(m.local_head(node), m.global_head(g), b.batch)
    # graphssl's jsd_loss is E_pos[sp(-T)] + E_neg[sp(T)] = the official E_neg - E_pos + 2 log 2
    assert ours.detach().item() == pytest.approx(ref.detach().item() + 2 * math.log(2.0), rel=1e-9)


class GraphItemBatch:
    """A batch with float64 features (the loss is compared in double precision)."""

    def __init__(self, b):
        self.graph, self.x, self.ptr, self.batch = b.graph, b.x.double(), b.ptr, b.batch


def test_embed_shape_grads_and_prior():
    b = _toy_batch()
    m = InfoGraph(in_dim=5, hidden_dim=8, num_layers=3, prior=True, seed=0)
    assert m.embed(b).shape == (6, 24) and m.out_dim == 24
    loss = m.loss(b)
    assert loss.dim() == 0 and math.isfinite(loss.detach().item())
    loss.backward()
    assert all(p.grad is not None for p in m.parameters())
    # without the prior there is no prior discriminator and the loss is the JSD term alone
    assert InfoGraph(in_dim=5, hidden_dim=8).prior_head is None


def test_deterministic_under_a_seed():
    b = _toy_batch()

    def run():
        torch.manual_seed(0)
        m = InfoGraph(in_dim=5, hidden_dim=8, prior=True, seed=5)
        return m.loss(b).detach().item(), m.embed(b)

    (l1, e1), (l2, e2) = run(), run()
    assert l1 == l2 and torch.equal(e1, e2)


def test_a_single_graph_batch_gives_zero_loss():
    b = _toy_batch(num_graphs=1)
    loss = InfoGraph(in_dim=5, hidden_dim=8).loss(b)
    assert loss.detach().item() == 0.0
    loss.backward()


def test_a_plain_graph_is_one_graph():
    b = _toy_batch(num_graphs=1)

    class Plain:
        graph, x = b.graph, b.x

    assert InfoGraph(in_dim=5, hidden_dim=8).embed(Plain()).shape == (1, 24)


@pytest.mark.parametrize("kw,msg", [
    ({"hidden_dim": 0}, "hidden_dim"), ({"num_layers": -1}, "num_layers"), ({"conv": "transformer"}, "unknown"),
    ({"pooling": "median"}, "pooling"), ({"gamma": -1.0}, "gamma"), ({"norm": "groupnorm"}, "norm"),
    ({"activation": "swishy"}, "activation"), ({"mask_rate": 0.5}, "bad config"),
])
def test_bad_configs_raise_clear_errors(kw, msg):
    with pytest.raises(ValueError, match=msg):
        build_method("infograph", in_dim=5, **kw)


def test_wrong_feature_width_is_named():
    with pytest.raises(ValueError, match="expects"):
        InfoGraph(in_dim=7).loss(_toy_batch())


@pytest.mark.parametrize("dataset", ["mutag", "proteins", "nci1", "imdb-binary"])
def test_published_configs_build(dataset):
    cfg = load_config("infograph", dataset)
    assert {"data", "method", "train", "probe"} <= set(cfg)
    m = build_method("infograph", in_dim=7, **cfg["method"])
    assert m.out_dim == 96 and not m.prior
    assert cfg["train"]["epochs"] == 20 and cfg["data"]["batch_size"] == 128


# ---------------------------------------------------------------------------- real data
def test_loss_decreases_on_mutag(data_root):
    from graphssl.datasets import load_dataset
    from graphssl.pipeline import _graph_samples
    cfg = load_config("infograph", "mutag")
    items, f = _graph_samples(load_dataset("mutag", root=data_root), cfg["data"])
    torch.manual_seed(0)
    m = build_method("infograph", in_dim=f, **cfg["method"])
    hist = Trainer(m, progress=False, seed=0, **merge(cfg["train"], {"epochs": 8})).fit(
        GraphLoader(items, 128, shuffle=True, seed=0))
    assert hist.losses[-1] < 0.85 * hist.losses[0]


def test_svm_accuracy_on_mutag_is_sane(data_root):
    from graphssl.datasets import load_dataset
    from graphssl.pipeline import pretrain_graph
    cfg = merge(load_config("infograph", "mutag"), {"train": {"epochs": 10}, "probe": {"fold_seed": 0}})
    r = pretrain_graph(load_dataset("mutag", root=data_root), "infograph", cfg, seed=0)
    assert r.embeddings.shape == (188, 96)
    assert r.test_acc > 0.80  # majority class: 66.5%; a random-init encoder: about 85%
