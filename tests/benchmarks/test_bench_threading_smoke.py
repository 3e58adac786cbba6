"""benchmarks/bench_threading.py runs each configuration in its own process with the asked
threading layer and spin setting, and prints parseable JSON lines."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = str(ROOT / "benchmarks" / "bench_threading.py")


def test_bench_threading_json_smoke():
    cmd = [sys.executable, SCRIPT, "--json", "--rounds", "1", "--threads", "1", "--datasets", "none",
           "--configs", "workqueue:passive,workqueue:1234"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert [r["config"] for r in rows] == ["workqueue:passive", "workqueue:1234"]
    for r in rows:
        assert {"bench", "dataset", "impl", "metric", "value", "ms", "rounds"} <= set(r), r
        assert r["bench"] == "threading" and r["workload"] == "small_loop" and r["value"] > 0
        assert r["layer"] == "workqueue"
    assert rows[0]["wait"] == "PASSIVE" and rows[0]["spin"] is None
    assert rows[1]["spin"] == "1234" and rows[1]["wait"] is None


def test_bench_threading_rejects_a_bad_config():
    proc = subprocess.run([sys.executable, SCRIPT, "--configs", "openmp:fast"], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode != 0 and "bad config 'openmp:fast'" in proc.stderr
