"""benchmarks/bench_core.py runs end to end at a tiny size and prints parseable JSON lines."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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


def _bench_core_module():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_core
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return bench_core


def test_bench_core_runs_every_dim_and_names_the_graph_by_size():
    env = {k: v for k, v in os.environ.items() if k != "GRAPHSSL_DGL_PYTHON"}
    cmd = [sys.executable, str(ROOT / "benchmarks" / "bench_core.py"), "--json", "--nodes", "300", "--edges", "3000",
           "--dims", "8,16", "--repeats", "1", "--copy-mib", "4", "--threads", "1", "--only", "graphssl,torch-csr"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert {r["dataset"] for r in rows} == {"random-300n-3000e"}
    for dim in (8, 16):
        spmm = [r for r in rows if r["dim"] == dim and r["bench"] == "spmm_fwd"]
        assert {r["impl"] for r in spmm} == {"graphssl", "torch-csr"} and all(r["ms"] > 0 for r in spmm)
    copies = [r for r in rows if r["bench"] == "memcopy"]
    assert [r["dim"] for r in copies] == [8, 16]
    if sys.platform.startswith("linux"):  # the default cap: the memory available at the start
        assert all(r["memory_limit_gb"] > 0 for r in copies)


def test_bench_core_rejects_bad_dims():
    cmd = [sys.executable, str(ROOT / "benchmarks" / "bench_core.py"), "--dims", "8,x"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2 and "--dims must be comma-separated integers" in proc.stderr
    proc = subprocess.run(cmd[:-1] + ["8,10"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2 and "multiple of the GAT rows' 4 heads" in proc.stderr


def test_an_allocation_failure_becomes_an_out_of_memory_row():
    bc = _bench_core_module()
    oom = RuntimeError("[enforce fail at alloc_cpu.cpp:127] DefaultCPUAllocator: can't allocate memory: "
                       "you tried to allocate 123 bytes")

    def fails(e):
        def fn():
            raise e
        return fn
    row = bc.timed("spmm_fwd", fails(oom), repeats=1, warmup=0, variant="v")
    assert row["status"] == "out_of_memory" and "can't allocate memory" in row["reason"] and "ms" not in row
    assert row["variant"] == "v" and row["bench"] == "spmm_fwd"
    with pytest.raises(RuntimeError, match="shape mismatch"):
        bc.timed("spmm_fwd", fails(RuntimeError("shape mismatch")), repeats=1, warmup=0)
    # a failed model set-up gives rows for its own benches only (the caller keeps the others)
    att = bc.oom_guarded(bc.ATTENTION_BENCHES, fails(oom))
    assert [r["bench"] for r in att] == ["gat_layer_fwd_bwd", "graphmae_step"]
    assert all(r["status"] == "out_of_memory" for r in att)
    rows = bc.guarded("pyg", fails(MemoryError()))()
    assert [r["bench"] for r in rows] == list(bc.BENCHES)
    assert all(r["impl"] == "pyg" and r["status"] == "out_of_memory" for r in rows)
    # finished rows: the out-of-memory peer is not the best peer, and keeps its status
    done = bc.finish([{"bench": "spmm_fwd", "impl": "graphssl", "ms": 2.0},
                      {"bench": "spmm_fwd", "impl": "torch-csr", "ms": 5.0}, rows[0]],
                     {"bench": "memcopy", "impl": "torch", "value": 10.0, "ms": 1.0}, 10, 20, 8)
    assert done[0]["ratio_to_best_peer"] == 2.5 and done[2]["status"] == "out_of_memory"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_DATA caps allocations on Linux")
def test_the_memory_cap_turns_a_too_large_allocation_into_an_error():
    code = ("import sys, torch; sys.path.insert(0, 'benchmarks'); import bench_core as bc\n"
            "assert bc.limit_host_memory(0.5) == 0.5\n"
            "try:\n    torch.ones(2 * 10**9, dtype=torch.uint8)\nexcept RuntimeError as e:\n"
            "    assert bc.is_out_of_memory(e), e\n    print('refused')\n"
            "print(int(torch.ones(10**6, dtype=torch.uint8).sum()))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["refused", "1000000"]
