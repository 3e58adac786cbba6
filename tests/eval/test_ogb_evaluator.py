"""OGBEvaluator (the official ogb Evaluator on graphssl tensors) against hand computations,
its errors and install hint, and the pipeline's linear probe scoring OGB datasets with it."""
import builtins
import json

import numpy as np
import pytest
import torch

from graphssl.eval import OGBEvaluator, hits_at_k, linear_probe, ogb_eval_metric, roc_auc
from graphssl.eval import ogb_evaluator as ogb_eval_module

pytest.importorskip("ogb")
pytestmark = pytest.mark.filterwarnings("ignore:.*no checksum is known.*:UserWarning")


def test_metric_names_without_ogb():
    assert ogb_eval_metric("ogbn-arxiv") == "acc" and ogb_eval_metric("OGBN_PRODUCTS") == "acc"
    assert ogb_eval_metric("ogbl-collab") == "hits@50" and ogb_eval_metric("cora") is None


def test_node_accuracy_matches_hand_computation():
    gen = torch.Generator().manual_seed(0)
    y = torch.randint(0, 5, (200,), generator=gen)
    pred = torch.where(torch.rand(200, generator=gen) < 0.7, y, torch.randint(0, 5, (200,), generator=gen))
    ev = OGBEvaluator("ogbn-arxiv")
    assert ev.metric == "acc" and ev.num_tasks == 1 and ev.kind == "node"
    expected = float((pred == y).double().mean())
    assert ev.eval_nodes(y, pred) == {"acc": pytest.approx(expected, abs=1e-12)}
    assert ev.eval_nodes(y.view(-1, 1).numpy(), pred.view(-1, 1).numpy())["acc"] == pytest.approx(expected)
    logits = torch.nn.functional.one_hot(pred, 5).float() + 0.01 * torch.rand(200, 5, generator=gen)
    assert ev.eval_nodes(y, logits)["acc"] == pytest.approx(expected)  # class scores: argmax
    assert ev.probe_score(logits, y) == pytest.approx(expected)


def test_node_rocauc_matches_per_task_mann_whitney():
    gen = torch.Generator().manual_seed(1)
    y = torch.randint(0, 2, (300, 112), generator=gen).float()
    y[:, 5] = 1.0  # a task without negatives is skipped, as OGB does
    scores = y + torch.randn(300, 112, generator=gen)
    ev = OGBEvaluator("ogbn-proteins")
    expected = np.mean([roc_auc(scores[y[:, t] == 1, t], scores[y[:, t] == 0, t]) for t in range(112) if t != 5])
    assert ev.eval_nodes(y, scores)["rocauc"] == pytest.approx(expected, abs=1e-12)
    with pytest.raises(ValueError, match="rocauc"):
        ev.probe_score(scores, y[:, 0])


def test_link_hits_matches_hand_computation():
    gen = torch.Generator().manual_seed(2)
    pos, neg = torch.randn(500, generator=gen) + 1.5, torch.randn(1000, generator=gen)
    ev = OGBEvaluator("ogbl-collab")
    kth = torch.sort(neg, descending=True).values[49]
    expected = float((pos > kth).double().mean())
    out = ev.eval_links(pos, neg)
    assert out == {"hits@50": pytest.approx(expected, abs=1e-12)}
    assert out["hits@50"] == pytest.approx(hits_at_k(pos, neg, 50))  # graphssl's own Hits@K agrees
    assert ev.eval_links(pos.numpy(), neg[:10].numpy()) == {"hits@50": 1.0}  # fewer negatives than K


def test_link_mrr_matches_hand_ranks():
    pos = torch.tensor([0.9, 0.2, 0.5])
    neg = torch.tensor([[0.1, 0.2, 0.3], [0.5, 0.6, 0.1], [0.5, 0.7, 0.8]])
    # ranks: 1; 3 (0.5, 0.6 above); ties count half: 0.5 ties once, 0.7/0.8 above -> 3.5
    ranks = torch.tensor([1.0, 3.0, 3.5])
    out = OGBEvaluator("ogbl-citation2").eval_links(pos, neg)
    assert out["mrr"] == pytest.approx(float((1 / ranks).mean()))
    assert out["hits@1"] == pytest.approx(1 / 3) and out["hits@3"] == pytest.approx(2 / 3)
    assert out["hits@10"] == 1.0


def test_errors():
    with pytest.raises(ValueError, match="not an OGB"):
        OGBEvaluator("cora")
    with pytest.raises(ValueError, match="does not know"):
        OGBEvaluator("ogbn-nonexistent")
    ev = OGBEvaluator("ogbn-arxiv")
    with pytest.raises(ValueError, match=r"\[n, 1\]"):
        ev.eval_nodes(torch.zeros(4), torch.zeros(3))
    with pytest.raises(ValueError, match="eval_nodes"):
        OGBEvaluator("ogbn-arxiv").eval_links(torch.zeros(3), torch.zeros(3))
    with pytest.raises(ValueError, match="eval_links"):
        OGBEvaluator("ogbl-collab").eval_nodes(torch.zeros(3), torch.zeros(3))
    with pytest.raises(ValueError, match="refused"):
        OGBEvaluator("ogbl-collab").eval_links(torch.zeros(3), torch.zeros(3, 2))


def test_missing_ogb_gives_install_hint(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *a, **k):
        if name == "ogb" or name.startswith("ogb."):
            raise ImportError("No module named 'ogb'")
        return real_import(name, *a, **k)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    monkeypatch.setattr(ogb_eval_module.importlib, "import_module", lambda n: fake_import(n))
    with pytest.raises(ImportError, match="pip install ogb"):
        OGBEvaluator("ogbn-arxiv")


def test_linear_probe_score_hook_equals_accuracy_probe():
    gen = torch.Generator().manual_seed(3)
    y = torch.randint(0, 3, (90,), generator=gen)
    emb = torch.nn.functional.one_hot(y, 3).float() + 0.8 * torch.randn(90, 3, generator=gen)
    masks = [torch.arange(90) % 3 == i for i in range(3)]
    plain = linear_probe(emb, y, *masks, epochs=40, seed=0)
    ogb = linear_probe(emb, y, *masks, epochs=40, seed=0, score=OGBEvaluator("ogbn-arxiv").probe_score)
    assert ogb.best_epoch == plain.best_epoch
    assert ogb.test_acc == pytest.approx(plain.test_acc) and ogb.val_acc == pytest.approx(plain.val_acc)


def test_pipeline_probe_uses_ogb_evaluator_on_ogb_fixture(tmp_path, monkeypatch):
    from graphssl.datasets import load_dataset, make_ogb_node_fixture
    from graphssl.pipeline import probe_node_embeddings

    make_ogb_node_fixture(tmp_path, "ogbn-arxiv", num_nodes=200, num_features=6, num_classes=4, seed=0)
    ds = load_dataset("ogbn-arxiv", root=tmp_path)
    calls = []
    original = OGBEvaluator.eval_nodes
    monkeypatch.setattr(OGBEvaluator, "eval_nodes", lambda self, *a: calls.append(1) or original(self, *a))
    test, val, std = probe_node_embeddings(ds.x, ds, {"epochs": 60}, seed=0)
    assert len(calls) == 3 * 60  # train/valid/test scored by OGB's Evaluator every epoch
    assert test > 0.6 and std is None  # class-centred features: far above chance (0.25)
    ref = linear_probe(ds.x, ds.y, ds.train_mask, ds.val_mask, ds.test_mask, epochs=60, seed=0)
    assert test == pytest.approx(ref.test_acc)


def test_cli_pretrain_on_ogb_fixture_reports_ogb_evaluator(tmp_path, capsys):
    from graphssl.cli import main
    from graphssl.datasets import make_ogb_node_fixture

    make_ogb_node_fixture(tmp_path, "ogbn-arxiv", num_nodes=80, num_features=6, num_classes=3, seed=1)
    cfg = tmp_path / "small.yaml"
    cfg.write_text("method: {hidden_dim: 16, heads: 2}\nprobe: {epochs: 30}\n")
    rc = main(["pretrain", "--method", "graphmae", "--dataset", "ogbn-arxiv", "--root", str(tmp_path),
               "--epochs", "2", "--config", str(cfg), "--json"])
    assert rc == 0
    recs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert recs[0]["dataset"] == "ogbn-arxiv" and recs[0]["evaluator"] == "ogb"
    assert recs[0]["metric"] == "linear_probe_test_acc" and 0.0 <= recs[-1]["value"] <= 1.0
