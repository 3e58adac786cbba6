"""benchmarks/contrastive.py runs end to end at a tiny size (node level on Cora, graph
level on MUTAG when GraphCL is registered) and prints parseable JSON lines."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_contrastive_benchmark_json_smoke(data_root):
    cmd = [sys.executable, str(ROOT / "benchmarks" / "contrastive.py"), "--json", "--methods", "cca_ssg,graphcl,nosuch",
           "--datasets", "cora,mutag", "--seeds", "0", "--epochs", "1", "--probe-epochs", "20", "--threads", "1",
           "--root", str(data_root)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    for r in rows:
        assert {"bench", "dataset", "impl", "method"} <= set(r), r
    summary = {(r["method"], r["dataset"]): r for r in rows if r.get("metric", "").endswith("_mean")}
    cca = summary[("cca_ssg", "cora")]
    assert cca["metric"] == "linear_probe_test_acc_mean" and 0 < cca["value"] <= 100
    assert cca["published"] == 84.0 and cca["seeds"] == [0] and "delta" in cca and cca["seconds"] >= 0
    skipped = [r for r in rows if r.get("status") == "skipped"]
    assert any(r["method"] == "nosuch" and "not registered" in r["reason"] for r in skipped)
    graph_rows = [r for r in rows if r["dataset"] == "mutag"]
    assert graph_rows  # either a result (GraphCL registered) or a skip line
    if ("graphcl", "mutag") in summary:
        assert summary[("graphcl", "mutag")]["metric"] == "svm_test_acc_mean"


def test_contrastive_benchmark_memory_mode_reports_peak_rss(data_root):
    # The --memory path (peak RSS of a child process) at a tiny size: GRACE, 1 epoch on Cora.
    cmd = [sys.executable, str(ROOT / "benchmarks" / "contrastive.py"), "--json", "--memory", "--memory-dataset", "cora",
           "--memory-epochs", "1", "--root", str(data_root)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    (rec,) = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert rec["metric"] == "peak_rss_mb" and rec["method"] == "grace" and rec["dataset"] == "cora"
    # Above what the interpreter alone needs, below the machine; the 1-epoch run peaks at
    # least as high as the 0-epoch one, give or take allocator noise.
    assert 50 < rec["peak_rss_mb_0_epochs"] < 8000 and rec["value"] >= 0.9 * rec["peak_rss_mb_0_epochs"]
    assert rec["limit_mb"] == 2048 and rec["within_limit"] == (rec["value"] < 2048) and rec["num_nodes"] == 2708
