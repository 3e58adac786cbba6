"""benchmarks/bench_sampling.py runs end to end at a tiny size and prints parseable JSON lines."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_sampling_json_smoke():
    env = {k: v for k, v in os.environ.items() if k != "GRAPHSSL_DGL_PYTHON"}
    cmd = [sys.executable, str(ROOT / "benchmarks" / "bench_sampling.py"), "--json", "--quick", "--nodes", "3000",
           "--edges", "30000", "--batch-size", "64", "--batches", "2", "--torch-batches", "1", "--warmup", "1",
           "--threads", "1"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert {r["impl"] for r in rows} == {"graphssl", "graphssl-torch", "pyg", "dgl"}
    for r in rows:
        assert {"bench", "dataset", "impl", "metric", "value", "ms"} <= set(r), r
        assert r["bench"] == "neighbor_sampling" and r["metric"] == "sampled_edges_per_s"
    ours = {r["impl"]: r for r in rows}
    for impl in ("graphssl", "graphssl-torch"):
        assert ours[impl]["value"] > 0 and ours[impl]["ms"] > 0 and ours[impl]["edges_per_batch"] > 0
    assert "meets_goal" in ours["graphssl"] and ours["graphssl"]["ratio_to_torch_fallback"] > 0
    dgl = ours["dgl"]
    assert dgl["status"] == "unavailable" and dgl["reason"] and dgl["value"] is None
    assert ours["pyg"].get("status") in (None, "unavailable")
