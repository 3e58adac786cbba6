"""benchmarks/ogb_nodes.py: GraphMAE2 mini-batch on a small dataset written in OGB's
on-disk format, scored by OGB's Evaluator; missing files give an `unavailable` line."""
import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("ogb", reason="the ogb package scores the probe (pip install graphssl[ogb])")
ROOT = Path(__file__).resolve().parents[2]


def _bench():
    spec = importlib.util.spec_from_file_location("ogb_nodes_bench", ROOT / "benchmarks" / "ogb_nodes.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _rows(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_fixture_run_prints_per_seed_and_mean_rows(capsys):
    assert _bench().main(["--fixture", "--datasets", "ogbn-arxiv", "--seeds", "0", "--fixture-nodes", "200",
                          "--json"]) == 0
    run, mean = _rows(capsys)
    assert run["bench"] == "ogb_nodes" and run["impl"] == "graphssl" and run["fixture"] is True
    assert run["evaluator"] == "ogb" and run["nodes"] == 200 and run["epochs"] == 2
    assert 25.0 < run["value"] <= 100.0  # 4 separable classes: above chance
    assert mean["metric"] == "test_acc_mean" and mean["seeds"] == [0] and mean["value"] == run["value"]


def test_missing_files_are_reported_not_raised(capsys, tmp_path):
    assert _bench().main(["--root", str(tmp_path), "--no-download", "--datasets", "ogbn-products", "--json"]) == 0
    (row,) = _rows(capsys)
    assert row["status"] == "unavailable" and row["value"] is None and "not found" in row["reason"]
