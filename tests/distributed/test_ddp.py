"""DistributedDataParallel with 2 CPU processes (gloo): identical weights on both ranks,
disjoint seed shares, one checkpoint; and `torchrun -m graphssl pretrain` prints once."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
RUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]


def _env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))


def test_ddp_two_cpu_ranks_train_identically(tmp_path):
    proc = subprocess.run(RUN + [str(ROOT / "tests" / "distributed" / "ddp_worker.py"), str(tmp_path)],
                          capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0 = torch.load(tmp_path / "rank0.pt", weights_only=False)
    r1 = torch.load(tmp_path / "rank1.pt", weights_only=False)
    assert r0["world_size"] == r1["world_size"] == 2
    for name in ("graphmae", "bgrl", "multitask"):
        a, b = r0[name], r1[name]
        assert a["state"].keys() == b["state"].keys()
        for k in a["state"]:  # parameters, EMA targets and (averaged) batch-norm statistics
            assert torch.equal(a["state"][k], b["state"][k]), (name, k)
        assert a["losses"] == b["losses"] and len(a["losses"]) == 2  # averaged over the ranks
        # every epoch: each rank its own half of the 120 nodes, in the same number of steps
        per_epoch = len(a["seen"]) // 2
        assert per_epoch == len(b["seen"]) // 2 == 4  # ceil(60 / 16)
        for e in range(2):
            sa = torch.cat(a["seen"][e * per_epoch:(e + 1) * per_epoch])
            sb = torch.cat(b["seen"][e * per_epoch:(e + 1) * per_epoch])
            assert sa.numel() == sb.numel() == 60
            assert len(set(sa.tolist()) | set(sb.tolist())) == 120
        ckpt = torch.load(tmp_path / f"{name}.ckpt", weights_only=False)
        assert ckpt["epoch"] == 2
        for k, v in ckpt["method"].items():
            assert torch.equal(v, a["state"][k]), (name, k)
    assert not list(tmp_path.glob("*.tmp"))


def test_torchrun_cli_pretrain_prints_once(tmp_path, data_root):
    if not (data_root / "cora").is_dir():
        pytest.skip("cora is not under GRAPHSSL_DATA")
    cfg = tmp_path / "small.yaml"
    cfg.write_text("method: {hidden_dim: 32, heads: 2}\nprobe: {epochs: 50}\n")
    ckpt = tmp_path / "ck.pt"
    proc = subprocess.run(RUN + ["-m", "graphssl", "pretrain", "--method", "graphmae", "--dataset", "cora", "--root",
                                 str(data_root), "--no-download", "--epochs", "1", "--batch-size", "700",
                                 "--fanouts", "5,5,5", "--config", str(cfg), "--checkpoint", str(ckpt), "--json",
                                 "--device", "cpu"],
                          capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(rows) == 2, proc.stdout  # one seed's record and the summary, from rank 0 only
    assert rows[0]["metric"] == "linear_probe_test_acc" and 0.0 <= rows[0]["value"] <= 1.0
    state = torch.load(ckpt, weights_only=False)
    assert state["epoch"] == 1 and len(state["history"]["losses"]) == 1
