"""benchmarks/bench_core.py runs end to end at a tiny size and prints parseable JSON lines."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_core_json_smoke():
    env = {k: v for k, v in os.environ.items() if k != "GRAPHSSL_DGL_PYTHON"}
    cmd = [sys.executable, str(ROOT / "benchmarks" / "bench_core.py"), "--json", "--nodes", "300", "--edges", "3000",
           "--dim", "8", "--repeats", "1", "--copy-mib", "4", "--threads", "1"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert rows, "no output"
    for r in rows:
        assert {"bench", "dataset", "impl"} <= set(r), r
    ours = {r["bench"]: r for r in rows if r["impl"] == "graphssl"}
    assert set(ours) == {"spmm_fwd", "spmm_fwd_bwd", "gcn_layer_fwd_bwd", "gat_layer_fwd_bwd", "graphmae_step"}
    for name, r in ours.items():
        assert r["metric"] == "median_ms" and r["ms"] > 0 and r["value"] == r["ms"]
        if name.startswith(("spmm", "gcn")):
            assert r["ratio_to_best_peer"] > 0  # torch-csr always runs these
    assert ours["spmm_fwd"]["bandwidth_gbs"] > 0 and "bandwidth_fraction_of_copy" in ours["spmm_fwd"]
    dgl = [r for r in rows if r["impl"] == "dgl"]
    assert dgl and all(r["status"] == "unavailable" and r["reason"] for r in dgl)
    assert any(r["bench"] == "memcopy" and r["value"] > 0 for r in rows)
