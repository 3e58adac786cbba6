"""benchmarks/rec.py runs end to end at a tiny size and prints the JSON lines it promises."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_rec_benchmark_json_smoke(data_root, tmp_path):
    cmd = [sys.executable, str(ROOT / "benchmarks" / "rec.py"), "--json", "--root", str(data_root), "--users", "120",
           "--max-steps", "1", "--models", "lightgcn", "--datasets", "gowalla", "--threads", "1",
           "--log-test", "--checkpoint-dir", str(tmp_path)]
    proc = subprocess.run(cmd + ["--epochs", "1"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    monitored = {r["metric"]: r for r in rows if r.get("monitoring")}
    best = {r["metric"]: r for r in rows if r.get("selection") == "best_test_epoch"}
    rows = [r for r in rows if r.get("selection") == "last_epoch"]
    assert set(monitored) == set(best) == {"recall@20", "ndcg@20"}  # --log-test: test split at each evaluation
    for r in rows:  # the last (and only) evaluation saw the final weights
        m = monitored[r["metric"]]
        assert m["epoch"] == 1 and m["dataset"] == r["dataset"]
        assert m["value"] == r["value"] == best[r["metric"]]["value"]
    runs = {(r["dataset"], r["model"]) for r in rows}
    assert runs == {("gowalla[:120]", "lightgcn")} and len(rows) == 2
    for r in rows:
        assert {"bench", "dataset", "impl", "metric", "value", "epochs", "seconds", "seconds_per_epoch"} <= set(r)
        assert r["bench"] == "rec" and r["metric"] in ("recall@20", "ndcg@20") and r["epochs"] == 1
        assert r["seconds_per_epoch"] > 0 and r["extrapolated"] == (r["steps_per_epoch"] > 1)
        assert r["resumed"] is False
    # started again with more epochs, the run resumes from its checkpoint
    assert (tmp_path / "gowalla_lightgcn_seed0.pt").is_file()
    proc = subprocess.run(cmd + ["--epochs", "2"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    monitored = [r for r in rows if r.get("monitoring")]
    assert {r["epoch"] for r in monitored} == {2}  # epoch 1 was not trained again
    last = [r for r in rows if r.get("selection") == "last_epoch"]
    assert len(last) == 2 and all(r["resumed"] is True and r["epochs"] == 2 for r in last)


def test_rec_benchmark_timing_reports_ratios(data_root):
    cmd = [sys.executable, str(ROOT / "benchmarks" / "rec.py"), "--json", "--root", str(data_root), "--users", "150",
           "--timing", "--timing-steps", "1", "--rounds", "1", "--models", "simgcl,xsimgcl", "--datasets", "gowalla",
           "--threads", "1"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = {r["model"]: r for r in (json.loads(line) for line in proc.stdout.splitlines() if line.strip())}
    assert set(rows) == {"lightgcn", "simgcl", "xsimgcl"}  # LightGCN is added as the reference
    for r in rows.values():
        assert {"bench", "dataset", "impl", "metric", "value", "seconds", "ms_per_step", "ratio_to_lightgcn",
                "cpu_ratio_to_lightgcn", "extrapolated_from_steps", "steps_per_epoch"} <= set(r)
        assert r["metric"] == "seconds_per_epoch" and r["value"] > 0 and r["extrapolated_from_steps"] == 1
    assert rows["lightgcn"]["ratio_to_lightgcn"] == 1.0
    assert rows["simgcl"]["published_ratio_to_lightgcn"] == 2.05
