"""graphssl/rec/pipeline.py and presets.py: presets, overrides, every registered model end to
end on small data, the `recommend` command's options and output, graceful absence of heads."""
import argparse
import json
import math

import pytest
import torch

from graphssl.rec import model_names, preset, recommend
from graphssl.rec import pipeline
from graphssl.rec.pipeline import add_recommend_arguments, parse_overrides, run_recommend


def test_presets():
    lg = preset("lightgcn", "yelp2018")
    assert lg["backbone"] == {"name": "lightgcn", "dim": 64, "num_layers": 3, "include_ego": True, "init": "xavier"}
    assert lg["train"]["batch_size"] == 2048 and lg["train"]["lr"] == 1e-3 and lg["train"]["reg"] == 1e-4
    assert preset("simgcl")["backbone"]["include_ego"] is False and preset("xsimgcl")["train"]["epochs"] == 20
    assert preset("mf")["backbone"]["name"] == "mf"
    assert preset("lightgcn", overrides={"train": {"lr": 0.01}})["train"]["lr"] == 0.01
    assert preset("lightgcn")["train"]["lr"] == 1e-3  # the base is not mutated
    with pytest.raises(ValueError, match="unknown preset sections"):
        preset("lightgcn", overrides={"optim": {}})


def test_parse_overrides():
    assert parse_overrides(["train.lr=0.002", "head.eps=0.2", "backbone.include_ego=false", "head.aug=ed"]) == {
        "train": {"lr": 0.002}, "head": {"eps": 0.2, "aug": "ed"}, "backbone": {"include_ego": False}}
    assert parse_overrides(["train.lr=1e-3", "train.l2=1E-4"]) == {"train": {"lr": 1e-3, "l2": 1e-4}}
    with pytest.raises(ValueError, match="section.key=value"):
        parse_overrides(["lr=0.1"])


def _quick(model):
    cfg = {"train": {"epochs": 2, "batch_size": 64}, "backbone": {"dim": 8, "num_layers": 2}}
    if model == "ncl":
        cfg["head"] = {"num_clusters": 4}
    if model == "lightgcl":
        cfg["head"] = {"rank": 3}
    return cfg


@pytest.mark.parametrize("model", ["mf", "lightgcn", "simgcl", "xsimgcl", "sgl", "ncl", "lightgcl", "directau"])
def test_every_model_trains(small, model):
    if model not in model_names():
        pytest.skip(f"head {model!r} is not registered")
    r = recommend(small, model, _quick(model), seed=0)
    assert r.epochs == 2 and r.steps_per_epoch == len(r.trainer.sampler)
    assert all(math.isfinite(v) for v in r.history.losses)
    assert 0.0 <= r.metrics["recall@20"] <= 1.0 and r.metrics["num_users"] > 0
    assert r.seconds_per_epoch > 0 and r.config["train"]["epochs"] == 2
    if model in ("simgcl", "xsimgcl"):
        assert r.trainer.heads[0].include_ego is False  # the backbone's setting reaches the head


def test_unknown_model_and_missing_heads(small, monkeypatch):
    with pytest.raises(ValueError, match="unknown model 'ngcf'.*lightgcn"):
        recommend(small, "ngcf", _quick("ngcf"))
    monkeypatch.setattr(pipeline, "_heads_registry", lambda: None)
    assert model_names() == ["lightgcn", "mf"]
    with pytest.raises(ValueError, match="graphssl.rec.heads.*not available"):
        recommend(small, "simgcl", _quick("simgcl"))
    assert recommend(small, "mf", _quick("mf")).epochs == 2


def test_recommend_command(data_root, capsys, tmp_path):
    parser = add_recommend_arguments(argparse.ArgumentParser())
    args = parser.parse_args(["--model", "lightgcn", "--dataset", "gowalla", "--root", str(data_root), "--users", "150",
                              "--epochs", "1", "--max-steps-per-epoch", "2", "--topk", "10,20", "--json", "--no-download",
                              "--set", "backbone.dim=16", "--save-embeddings", str(tmp_path / "e.pt")])
    assert args.func is run_recommend
    assert run_recommend(args) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert {r["metric"] for r in rows} == {f"{m}@{k}" for m in ("recall", "ndcg", "precision", "hit") for k in (10, 20)}
    for r in rows:
        assert {"command", "dataset", "impl", "model", "value", "epochs", "seconds", "seconds_per_epoch"} <= set(r)
        assert r["command"] == "recommend" and r["epochs"] == 1 and 0.0 <= r["value"] <= 1.0
    assert (tmp_path / "e.pt").is_file()
    # --log-test: every evaluation's test metrics as they come (the last one saw the final weights)
    logged = parser.parse_args(["--model", "mf", "--dataset", "gowalla", "--root", str(data_root), "--users", "150",
                                "--epochs", "1", "--max-steps-per-epoch", "2", "--json", "--log-test"])
    assert run_recommend(logged) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    final = {r["metric"]: r["value"] for r in rows if not r.get("monitoring")}
    monitored = {r["metric"]: r for r in rows if r.get("monitoring")}
    assert set(monitored) == {f"test_{m}" for m in final} and all(r["epoch"] == 1 for r in monitored.values())
    assert all(monitored[f"test_{m}"]["value"] == v for m, v in final.items())
    # without --json the validation scores of each evaluation go to stderr
    human = parser.parse_args(["--model", "mf", "--dataset", "gowalla", "--root", str(data_root), "--users", "150",
                               "--epochs", "1", "--max-steps-per-epoch", "2", "--val-fraction", "0.2"])
    assert run_recommend(human) == 0
    err = capsys.readouterr().err
    assert "epoch 1: loss" in err and "val_recall@20" in err
    # --checkpoint: a second, longer run resumes the first
    ckpt = tmp_path / "mf.pt"
    for epochs in ("1", "2"):
        resumable = parser.parse_args(["--model", "mf", "--dataset", "gowalla", "--root", str(data_root), "--users",
                                       "150", "--epochs", epochs, "--max-steps-per-epoch", "2", "--json",
                                       "--checkpoint", str(ckpt), "--checkpoint-every", "1"])
        assert run_recommend(resumable) == 0
        rows = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
        assert {r["epochs"] for r in rows} == {int(epochs)} and ckpt.is_file()
    state = torch.load(ckpt, weights_only=False)
    assert state["epoch"] == 2 and len(state["history"]["losses"]) == 2
    typo = parser.parse_args(["--model", "simgcll", "--dataset", "yelp2018", "--root", str(tmp_path), "--no-download"])
    with pytest.raises(ValueError, match="unknown model 'simgcll'; known: .*simgcl"):
        run_recommend(typo)  # named before the (missing) dataset is looked for
    bad = parser.parse_args(["--dataset", "gowalla", "--root", str(data_root), "--topk", "x"])
    with pytest.raises(ValueError, match="--topk"):
        run_recommend(bad)
    from graphssl.datasets import DatasetNotFoundError
    missing = parser.parse_args(["--dataset", "yelp2018", "--root", str(tmp_path), "--no-download"])
    with pytest.raises(DatasetNotFoundError):
        run_recommend(missing)
