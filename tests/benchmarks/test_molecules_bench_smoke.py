"""benchmarks/molecules.py runs end to end on tiny subsets (baseline, one registered pretrainer,
an unknown method) and prints parseable JSON lines with per-seed, per-dataset and average records."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_molecules_benchmark_json_smoke(data_root, tmp_path):
    pytest.importorskip("rdkit")
    from graphssl.molecules import pretrainer_names
    methods = ["none", "nosuch"] + pretrainer_names()[:1]
    cmd = [sys.executable, str(ROOT / "benchmarks" / "molecules.py"), "--json", "--datasets", "bace,bbbp",
           "--methods", ",".join(methods), "--seeds", "0,1", "--epochs", "2", "--pretrain-epochs", "1",
           "--max-molecules", "120", "--corpus", "bace,bbbp", "--hidden", "16", "--num-layers", "2",
           "--threads", "1", "--root", str(data_root), "--cache-dir", str(tmp_path), "--device", "cpu"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    for r in rows:
        assert {"bench", "dataset", "impl", "method"} <= set(r) and r["bench"] == "molecules", r
    skipped = [r for r in rows if r.get("status") == "skipped"]
    assert [r["method"] for r in skipped] == ["nosuch"] and "not registered" in skipped[0]["reason"]
    per_seed = [r for r in rows if r.get("metric") == "test_rocauc"]
    assert len(per_seed) == 2 * 2 * (len(methods) - 1)  # datasets x seeds x runnable methods
    means = {(r["dataset"], r["method"]): r for r in rows if r.get("metric") == "test_rocauc_mean"}
    base = means[("bbbp", "none")]
    assert base["seeds"] == [0, 1] and base["split"] == [96, 12, 12] and base["num_molecules"] == 120
    assert base["value"] is None or 0 <= base["value"] <= 100
    avg = {r["method"]: r for r in rows if r["dataset"] == "average"}
    assert "none" in avg and avg["none"]["metric"] == "test_score_mean_over_datasets"
    if len(methods) > 2:
        m = methods[2]
        corpus = [r for r in rows if r["dataset"] == "corpus" and r["metric"] == "num_molecules"]
        assert corpus and corpus[0]["num_excluded"] > 0 and corpus[0]["value"] <= 240 - corpus[0]["num_excluded"]
        assert any(r["method"] == m and r.get("metric") == "pretrain_seconds" for r in rows)
        assert ("bace", m) in means


def _run(data_root, tmp_path, *extra):
    cmd = [sys.executable, str(ROOT / "benchmarks" / "molecules.py"), "--json", "--datasets", "bace",
           "--methods", "none,attr_masking", "--pretrain-epochs", "1", "--max-molecules", "80", "--corpus", "bace",
           "--hidden", "16", "--num-layers", "2", "--threads", "1", "--root", str(data_root),
           "--cache-dir", str(tmp_path / "cache"), "--device", "cpu", "--state-dir", str(tmp_path / "states"), *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def test_molecules_benchmark_state_dir_reuses_states_and_rows(data_root, tmp_path):
    pytest.importorskip("rdkit")
    first = _run(data_root, tmp_path, "--seeds", "0", "--epochs", "2")
    (pre,) = [r for r in first if r.get("metric") == "pretrain_seconds"]
    assert pre["resumed"] is False and pre["corpus_size"] > 0
    runs = {(r["method"], r["seed"]): r for r in first if r.get("metric") == "test_rocauc"}
    assert set(runs) == {("none", 0), ("attr_masking", 0)} and all(r["resumed"] is False for r in runs.values())

    again = _run(data_root, tmp_path, "--seeds", "0,1", "--epochs", "2")
    (pre2,) = [r for r in again if r.get("metric") == "pretrain_seconds"]
    assert pre2["resumed"] == "state" and pre2["value"] == pre["value"]
    assert not any(r.get("metric") == "num_molecules" for r in again)  # the corpus was not rebuilt
    runs2 = {(r["method"], r["seed"]): r for r in again if r.get("metric") == "test_rocauc"}
    for key, row in runs.items():
        assert runs2[key]["resumed"] == "result" and runs2[key]["value"] == row["value"]
    assert runs2[("none", 1)]["resumed"] is False and runs2[("attr_masking", 1)]["resumed"] is False
    means = {r["method"]: r for r in again if r.get("metric") == "test_rocauc_mean"}
    assert means["none"]["seeds"] == [0, 1]

    changed = _run(data_root, tmp_path, "--seeds", "0", "--epochs", "3")  # another setting: nothing reused
    rows = [r for r in changed if r.get("metric") == "test_rocauc"]
    assert rows and all(r["resumed"] is False for r in rows)
    assert [r["resumed"] for r in changed if r.get("metric") == "pretrain_seconds"] == ["state"]
