"""benchmarks/minibatch_memory.py runs end to end at a tiny size and prints parseable JSON lines."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_minibatch_memory_json_smoke():
    cmd = [sys.executable, str(ROOT / "benchmarks" / "minibatch_memory.py"), "--json", "--nodes", "20000",
           "--small-nodes", "4000", "--avg-degree", "4", "--features", "16", "--hidden", "16", "--batch-size", "64",
           "--fanouts", "3,3,3", "--steps", "2", "--threads", "1"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert len(rows) == 4
    for r in rows:
        assert {"bench", "dataset", "impl", "metric", "value"} <= set(r), r
        assert r["bench"] == "minibatch_memory"
    big, small, full, summary = rows
    assert big["impl"] == small["impl"] == "graphssl-minibatch" and full["impl"] == "graphssl-fullgraph"
    assert big["nodes"] == 20000 and full["nodes"] == 4000 and big["graph_mb"] > small["graph_mb"]
    assert 0 < big["mean_input_nodes"] <= 64 * (1 + 3 + 9 + 27)
    if big.get("status") != "unavailable":  # peak RSS needs a writable /proc/self/clear_refs
        assert big["value"] >= 0 and full["value"] >= 0
        assert summary["metric"] == "fullgraph_extrapolated_over_minibatch_peak"
        assert summary["fullgraph_extrapolated_mb"] == round(full["value"] * 5, 1)
