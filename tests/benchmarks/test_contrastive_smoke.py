"""benchmarks/contrastive.py runs end to end at a tiny size (node level on Cora, graph
level on MUTAG when GraphCL is registered) and prints parseable JSON lines."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _bench(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run benchmarks/contrastive.py with ``args`` from the repo root."""
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / "contrastive.py"), *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_contrastive_benchmark_json_smoke(data_root):
    proc = _bench("--json", "--methods", "cca_ssg,graphcl,nosuch", "--datasets", "cora,mutag", "--seeds", "0",
                  "--epochs", "1", "--probe-epochs", "20", "--threads", "1", "--root", str(data_root))
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
    proc = _bench("--json", "--memory", "--memory-dataset", "cora", "--memory-epochs", "1", "--root", str(data_root))
    assert proc.returncode == 0, proc.stderr[-2000:]
    (rec,) = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert rec["metric"] == "peak_rss_mb" and rec["method"] == "grace" and rec["dataset"] == "cora"
    # Above what the interpreter alone needs, below the machine; the 1-epoch run peaks at
    # least as high as the 0-epoch one, give or take allocator noise.
    assert 50 < rec["peak_rss_mb_0_epochs"] < 8000 and rec["value"] >= 0.9 * rec["peak_rss_mb_0_epochs"]
    assert rec["limit_mb"] == 2048 and rec["within_limit"] == (rec["value"] < 2048) and rec["num_nodes"] == 2708


def test_contrastive_benchmark_pyg_reference_runs_beside_graphssl(data_root):
    # --impls graphssl,pyg: the PyG-built GRACE reports under impl "pyg" with the same
    # metric as graphssl's; methods without a reference are skipped with a reason.
    pytest.importorskip("torch_geometric")
    proc = _bench("--json", "--methods", "grace,dgi", "--datasets", "cora", "--seeds", "0", "--epochs", "1",
                  "--threads", "1", "--impls", "graphssl,pyg", "--root", str(data_root))
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    means = {(r["method"], r["impl"]): r for r in rows if r.get("metric", "").endswith("_mean")}
    ours, ref = means[("grace", "graphssl")], means[("grace", "pyg")]
    assert ours["metric"] == ref["metric"] == "logreg_test_acc_mean" and 0 < ref["value"] <= 100
    assert ref["published"] == 81.9 and ref["seeds"] == [0]
    assert any(r["method"] == "dgi" and r["impl"] == "pyg" and r.get("status") == "skipped" for r in rows)


def test_contrastive_benchmark_rejects_unknown_impl():
    proc = _bench("--impls", "graphssl,pygcl", timeout=120)
    assert proc.returncode == 2 and "unknown --impls ['pygcl']" in proc.stderr


def test_pyg_grace_reference_optimises_graphssl_nt_xent():
    # With nothing dropped both views are the same; the reference's objective then equals
    # graphssl's NT-Xent of the projected embeddings.
    pytest.importorskip("torch_geometric")
    import torch

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from bench_common import pyg_grace
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    from graphssl.losses import nt_xent_loss

    torch.manual_seed(0)
    m = {"hidden_dim": 16, "out_dim": 8, "proj_dim": 8, "activation": "prelu", "drop_edge_rates": [0.0, 0.0],
         "drop_feature_rates": [0.0, 0.0], "tau": 0.5}
    model = pyg_grace(5, m)
    x = torch.rand(12, 5)
    edge_index = torch.randint(0, 12, (2, 40))
    got = model.loss(x, edge_index, torch.Generator().manual_seed(0))
    h = model.fc2(torch.nn.functional.elu(model.fc1(model.embed(x, edge_index))))
    torch.testing.assert_close(got, nt_xent_loss(h, h, tau=0.5))


def test_contrastive_benchmark_resumes_from_its_checkpoints(data_root, tmp_path):
    """--checkpoint-dir: each seed's training state is kept; a longer run started again
    goes on from it (resumed: true) and trains only the epochs that are left."""
    common = ("--json", "--methods", "cca_ssg", "--datasets", "cora", "--seeds", "0", "--probe-epochs", "10",
              "--threads", "1", "--root", str(data_root), "--checkpoint-dir", str(tmp_path), "--checkpoint-every", "1")
    first = _bench(*common, "--epochs", "2")
    assert first.returncode == 0, first.stderr[-2000:]
    (row,) = [json.loads(line) for line in first.stdout.splitlines() if '"seed"' in line]
    assert row["resumed"] is False and (tmp_path / "cora_cca_ssg_seed0.pt").is_file()
    second = _bench(*common, "--epochs", "3")
    assert second.returncode == 0, second.stderr[-2000:]
    (row,) = [json.loads(line) for line in second.stdout.splitlines() if '"seed"' in line]
    assert row["resumed"] is True and row["epochs"] == 3
    import torch
    state = torch.load(tmp_path / "cora_cca_ssg_seed0.pt", weights_only=False)
    assert state["epoch"] == 3 and len(state["history"]["losses"]) == 3
