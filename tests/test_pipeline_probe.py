"""pipeline.probe_node_embeddings (protocol and split chosen by a config's probe section)
and the loss-based early stopping of pretrain_node."""
from types import SimpleNamespace

import pytest
import torch

from graphssl.eval import linear_probe, logistic_regression
from graphssl.methods import build_method
from graphssl.pipeline import _loss_early_stopping, pretrain_node, probe_node_embeddings
from graphssl.sparse import Graph
from graphssl.train import Trainer


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _dataset(n=300, k=3, public=True, seed=0):
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % k
    emb = torch.randn(n, 8, generator=gen)
    emb[torch.arange(n), y] += 2.0
    ds = SimpleNamespace(y=y, train_mask=None, val_mask=None, test_mask=None)
    if public:
        ds.train_mask = torch.arange(n) < 60
        ds.val_mask = (torch.arange(n) >= 60) & (torch.arange(n) < 120)
        ds.test_mask = torch.arange(n) >= 120
    return ds, emb


def test_default_is_the_linear_probe_on_the_public_split():
    ds, emb = _dataset()
    test, val, std = probe_node_embeddings(emb, ds, {"epochs": 50}, seed=3)
    ref = linear_probe(emb, ds.y, ds.train_mask, ds.val_mask, ds.test_mask, epochs=50, seed=3)
    assert (test, val, std) == (ref.test_acc, ref.val_acc, None)


def test_logistic_regression_on_several_random_splits():
    ds, emb = _dataset(public=False)
    probe = {"protocol": "logistic_regression", "num_splits": 3, "c_grid": [1.0], "epochs": 300}
    test, val, std = probe_node_embeddings(emb, ds, probe, seed=0)  # "epochs" (the other protocol's) is ignored
    from graphssl.datasets import random_split
    accs = [logistic_regression(emb, ds.y, *random_split(ds.y, 0.1, 0.1, seed=i), c_grid=[1.0]).test_acc
            for i in range(3)]
    assert test == pytest.approx(sum(accs) / 3) and std is not None and std >= 0


def test_random_split_forced_on_a_dataset_with_a_public_one():
    ds, emb = _dataset()
    a = probe_node_embeddings(emb, ds, {"split": "random", "epochs": 30}, seed=1)
    b = probe_node_embeddings(emb, ds, {"epochs": 30}, seed=1)
    assert a != b


def test_several_public_splits_are_averaged():
    ds, emb = _dataset()
    ds.extras = {"train_masks": torch.stack([ds.train_mask, ds.val_mask], 1),
                 "val_masks": torch.stack([ds.val_mask, ds.train_mask], 1)}
    test, _, std = probe_node_embeddings(emb, ds, {"split": "public", "num_splits": 2, "epochs": 30}, seed=0)
    accs = [linear_probe(emb, ds.y, m1, m2, ds.test_mask, epochs=30, seed=0).test_acc
            for m1, m2 in ((ds.train_mask, ds.val_mask), (ds.val_mask, ds.train_mask))]
    assert test == pytest.approx(sum(accs) / 2) and std is not None


@pytest.mark.parametrize("probe,msg", [({"protocol": "svm"}, "protocol"), ({"split": "fixed"}, "split"),
                                       ({"learning_rate": 0.1}, "unknown probe options"),
                                       ({"num_splits": 0}, "num_splits")])
def test_bad_probe_sections_raise(probe, msg):
    ds, emb = _dataset()
    with pytest.raises(ValueError, match=msg):
        probe_node_embeddings(emb, ds, probe, seed=0)


def test_public_split_asked_for_but_missing():
    ds, emb = _dataset(public=False)
    with pytest.raises(ValueError, match="no public split"):
        probe_node_embeddings(emb, ds, {"split": "public"}, seed=0)


def test_loss_patience_stops_and_keeps_the_best_weights():
    gen = torch.Generator().manual_seed(0)
    n = 40
    graph = Graph.from_edge_index(torch.randint(0, n, (2, 160), generator=gen), n).to_undirected()
    data = SimpleNamespace(graph=graph, x=torch.randn(n, 6, generator=gen))
    method = build_method("dgi", in_dim=6, hidden_dim=8, seed=0)
    trainer = Trainer(method, epochs=300, lr=0.5, progress=False, seed=0)  # a large lr: the loss stalls
    _loss_early_stopping(trainer, 3)
    hist = trainer.fit(data)
    assert hist.stopped_early and len(hist.losses) < 300
    assert hist.best_epoch == min(range(len(hist.losses)), key=lambda i: hist.losses[i])


def _graph_dataset():
    """A 60-node random-split dataset with a random graph and 5 features."""
    gen = torch.Generator().manual_seed(0)
    ds, _ = _dataset(n=60, public=False)
    ds.graph = Graph.from_edge_index(torch.randint(0, 60, (2, 240), generator=gen), 60).to_undirected()
    ds.x = torch.randn(60, 5, generator=gen)
    return ds


def test_pretrain_node_reads_loss_patience_and_the_probe_section():
    ds = _graph_dataset()
    cfg = {"method": {"hidden_dim": 8}, "train": {"epochs": 5, "loss_patience": 2, "lr": 0.01},
           "probe": {"protocol": "logistic_regression", "c_grid": [1.0]}}
    r = pretrain_node(ds, "dgi", cfg, seed=0)
    assert 0.0 <= r.test_acc <= 1.0 and r.embeddings.shape == (60, 8)


def test_probe_every_keeps_the_epoch_with_the_best_validation_score(monkeypatch):
    import graphssl.pipeline as pipeline
    ds = _graph_dataset()
    cfg = {"method": {"hidden_dim": 8}, "train": {"epochs": 6, "probe_every": 2, "lr": 0.01},
           "probe": {"protocol": "logistic_regression", "c_grid": [1.0]}}
    scores = iter([0.2, 0.9, 0.5])  # validation scores after epochs 2, 4, 6; the final probe is real
    real = pipeline.probe_node_embeddings
    calls = []

    def fake(emb, ds_, probe, seed):
        calls.append(emb.clone())
        score = next(scores, None)
        return real(emb, ds_, probe, seed) if score is None else (0.0, score, None)

    monkeypatch.setattr(pipeline, "probe_node_embeddings", fake)
    r = pretrain_node(ds, "dgi", cfg, seed=0)
    assert r.best_epoch == 4 and len(calls) == 4
    torch.testing.assert_close(r.embeddings, calls[1])  # the weights of epoch 4 were kept
    for bad, why in ((0, "must be >= 1"), (1.5, "must be an integer"), (True, "must be an integer")):
        with pytest.raises(ValueError, match=f"train.probe_every {why}"):
            pretrain_node(ds, "dgi", {**cfg, "train": {"epochs": 2, "probe_every": bad}}, seed=0)
    with pytest.raises(ValueError, match="set only one"):
        pretrain_node(ds, "dgi", {**cfg, "train": {"epochs": 2, "probe_every": 1, "loss_patience": 2}}, seed=0)
