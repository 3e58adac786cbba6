"""GraphMAE2 mini-batch pretraining + linear probe on OGB node datasets (ogbn-arxiv,
ogbn-products) with the published configuration (graphssl/configs/graphmae2/<name>.yaml:
local-clustering ego graphs, 4-layer GAT, OGB's official Evaluator for the probe).

For users who have the data under the data root in OGB's on-disk format (or the official
zip); a dataset whose files are missing is reported as unavailable. ``--fixture`` writes a
small seeded dataset in the same on-disk format to a temporary folder and runs a shrunken
configuration on it: a wiring check of loader -> sampler -> mini-batch training ->
layer-wise embedding -> Evaluator, not an accuracy figure.

    python benchmarks/ogb_nodes.py --root /data --datasets ogbn-arxiv --seeds 0-2 --json
    python benchmarks/ogb_nodes.py --fixture --json
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from typing import Any, Dict, List

import torch

from graphssl.config import load_config, merge
from graphssl.datasets import load_dataset
from graphssl.devices import default_device, device_argument
from graphssl.datasets.errors import DatasetNotFoundError
from graphssl.datasets.ogb_format import make_ogb_node_fixture
from graphssl.eval import mean_std
from graphssl.pipeline import pretrain_node

PUBLISHED = {"ogbn-arxiv": 71.89, "ogbn-products": 81.59}  # GraphMAE2 (WWW 2023), linear probe accuracy
# The fixture run: the published model shrunk to seconds on a CPU.
FIXTURE_OVERRIDES: Dict[str, Any] = {
    "method": {"hidden_dim": 32, "heads": 2, "num_layers": 2, "delayed_ema_epoch": 0},
    "train": {"epochs": 2},
    "minibatch": {"cluster_size": 16, "batch_size": 64, "embed_batch_size": 128},
    "probe": {"epochs": 50},
}


def _seeds(spec: str) -> List[int]:
    if "-" in spec:
        lo, hi = spec.split("-")
        return list(range(int(lo), int(hi) + 1))
    return [int(s) for s in spec.split(",") if s.strip()]


def _emit(row: Dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(row), flush=True)
    else:
        print("  ".join(f"{k}={v}" for k, v in row.items()), flush=True)


def run_dataset(name: str, root: str, seeds: List[int], args: argparse.Namespace) -> None:
    base = {"bench": "ogb_nodes", "dataset": name, "impl": "graphssl", "method": "graphmae2",
            "fixture": bool(args.fixture)}
    try:
        ds = load_dataset(name, root=root, download=not args.no_download, verify=not args.fixture)
    except DatasetNotFoundError as e:
        _emit({**base, "metric": "test_acc", "value": None, "status": "unavailable",
               "reason": str(e).splitlines()[0]}, args.json)
        return
    cfg = load_config("graphmae2", name)
    if args.fixture:
        cfg = merge(cfg, FIXTURE_OVERRIDES)
    if args.epochs is not None:
        cfg = merge(cfg, {"train": {"epochs": args.epochs}})
    accs = []
    for seed in seeds:
        t0 = time.perf_counter()
        res = pretrain_node(ds, "graphmae2", cfg, seed=seed, device=args.device, progress=args.progress)
        accs.append(100.0 * res.test_acc)
        _emit({**base, "metric": "test_acc", "value": round(accs[-1], 2), "val_acc": round(100.0 * res.val_acc, 2),
               "evaluator": res.evaluator, "seed": seed, "epochs": cfg["train"]["epochs"],
               "epoch_seconds": round(res.epoch_seconds, 3), "seconds": round(time.perf_counter() - t0, 1),
               "nodes": ds.graph.num_nodes, "edges": ds.graph.num_edges}, args.json)
    mean, std = mean_std(accs)
    row = {**base, "metric": "test_acc_mean", "value": round(mean, 2), "std": round(std, 2), "seeds": seeds}
    if not args.fixture:
        row.update(published=PUBLISHED[name], delta=round(mean - PUBLISHED[name], 2))
    _emit(row, args.json)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", default="ogbn-arxiv,ogbn-products")
    p.add_argument("--root", default=os.environ.get("GRAPHSSL_DATA"))
    p.add_argument("--seeds", default="0")
    p.add_argument("--epochs", type=int, help="override the configured pretraining epochs")
    p.add_argument("--fixture", action="store_true",
                   help="run on small seeded datasets written in OGB's on-disk format (wiring check)")
    p.add_argument("--fixture-nodes", type=int, default=400)
    p.add_argument("--no-download", action="store_true", help="fail instead of downloading missing files")
    p.add_argument("--device", type=device_argument, default=default_device(), help="cpu, cuda or cuda:N")
    p.add_argument("--threads", type=int, help="torch threads")
    p.add_argument("--progress", action="store_true", help="show the training progress bar")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    unknown = [n for n in names if n not in PUBLISHED]
    if unknown:
        p.error(f"unknown dataset(s) {unknown}; choose from {sorted(PUBLISHED)}")
    seeds = _seeds(args.seeds)
    if args.fixture:
        with tempfile.TemporaryDirectory() as tmp:
            for i, name in enumerate(names):
                make_ogb_node_fixture(tmp, name, num_nodes=args.fixture_nodes, num_features=16, num_classes=4,
                                      avg_degree=6.0, seed=i)
                run_dataset(name, tmp, seeds, args)
    else:
        if args.root is None:
            p.error("no data root: pass --root or set GRAPHSSL_DATA (or use --fixture)")
        for name in names:
            run_dataset(name, args.root, seeds, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
