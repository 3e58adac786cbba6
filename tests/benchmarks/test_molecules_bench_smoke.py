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
