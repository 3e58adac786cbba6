"""Multi-task Pareto SSL benchmark (ParetoGNN, Ju et al., ICLR 2023, Table 2's setting).

For each dataset and seed: split the edges (5% validation, 10% test, removed from the
training graph in both directions), pretrain one shared GCN encoder on the training graph
with each of ParetoGNN's five pretext tasks alone and with all five reconciled by MGDA,
then score every encoder on the four downstream tasks (graphssl.eval.evaluate_downstream):
node classification accuracy and node clustering NMI on the full graph's embeddings,
partition prediction accuracy (METIS labels), link prediction AUC (and Hits@20) from
embeddings of the training graph. ParetoGNN's headline number is the arithmetic mean of
the four; the harmonic mean is reported alongside. Its claim: the combination has the
best mean on every dataset.

Also timed, side by side in this process (interleaved, median of --repeats steps after a
warm-up): one training step of the combination against the sum of one step of each single
task.

ParetoGNN trains 10,000 steps on a GPU with sampled subgraphs; this benchmark trains
full-graph for --epochs steps, so short CPU runs are a wiring and speed check, not the
published table. Prints one JSON object per line with --json. Example (a quick check):
  python benchmarks/multitask.py --datasets amazon-photo --epochs 20 --seeds 0 --json

Long runs in pieces: with --checkpoint-dir DIR each (dataset, config, seed) run writes its
training state every --checkpoint-every epochs and its result row when it finishes, under
names that carry a hash of the settings; the same command started again reuses finished
rows ("resumed": "result"), goes on from a checkpoint ("resumed": true) and trains the rest.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from typing import Any, Dict, List, Optional, Tuple

import torch

# bench_common: this folder is on sys.path when run as a script
from bench_common import add_checkpoint_arguments, finished_row, save_row, settings_digest
from graphssl.cli import parse_seeds
from graphssl.datasets import load_dataset
from graphssl.devices import default_device, device_argument
from graphssl.eval import HEADLINE_METRICS, evaluate_downstream, mean_std, split_edges
from graphssl.multitask import PARETOGNN_TASKS, MultiTask
from graphssl.pipeline import NodeInput
from graphssl.train import Trainer, seed_everything

DATASETS = ["pubmed", "amazon-photo", "amazon-computers", "coauthor-cs"]
COMBINATION = "paretognn"
#: Reported columns, in the table's order.
COLUMNS = ["node_classification_acc", "node_clustering_nmi", "link_prediction_auc", "link_prediction_hits@20",
           "partition_prediction_acc", "mean", "harmonic_mean"]


def _print(rec: Dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(rec), flush=True)
    else:
        print("  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in rec.items()), flush=True)


def _configs(args) -> Dict[str, List[str]]:
    names = args.configs.split(",") if args.configs else list(PARETOGNN_TASKS) + [COMBINATION]
    out = {}
    for n in names:
        if n == COMBINATION:
            out[n] = list(PARETOGNN_TASKS)
        elif n in PARETOGNN_TASKS:
            out[n] = [n]
        else:
            raise ValueError(f"unknown config {n!r}; choose from {', '.join(PARETOGNN_TASKS)}, {COMBINATION}")
    return out


def _build(tasks: List[str], in_dim: int, seed: int, args) -> MultiTask:
    torch.manual_seed(seed)
    encoder = {"name": "gcn", "hidden_dim": args.hidden, "out_dim": args.out_dim, "num_layers": 2,
               "norm": "batchnorm", "activation": "prelu"}
    options = {"subgraph_mi": {"max_nodes": args.max_nodes}} if "subgraph_mi" in tasks else {}
    weighting = {"name": args.weighting, "normalization": args.normalization} if args.weighting == "mgda" \
        else args.weighting
    return MultiTask(encoder, tasks, weighting=weighting if len(tasks) > 1 else "fixed", in_dim=in_dim,
                     task_options=options, seed=seed)


def _settings(args) -> Dict[str, Any]:
    """What decides a quality row besides dataset, config and seed."""
    return {k: getattr(args, k) for k in ("epochs", "lr", "weight_decay", "hidden", "out_dim", "weighting",
                                         "normalization", "max_nodes", "num_splits", "kmeans_seeds")}


def _run_files(args, name: str, config: str, seed: int) -> Optional[Tuple[str, str]]:
    """``(checkpoint, result)`` paths of one run under ``--checkpoint-dir`` (None without it);
    the names carry a hash of the settings, so a changed setting never resumes a stale run."""
    if not args.checkpoint_dir:
        return None
    digest = settings_digest(_settings(args))
    stem = os.path.join(args.checkpoint_dir, f"multitask_{name}_{config}_seed{seed}_{digest}")
    return stem + ".pt", stem + ".json"


def run_quality(name: str, seeds: List[int], args) -> None:
    ds = load_dataset(name, root=args.root)
    configs = _configs(args)
    table: Dict[str, Dict[str, List[float]]] = {c: {k: [] for k in COLUMNS} for c in configs}
    for seed in seeds:
        split = split_edges(ds.graph, val=0.05, test=0.1, seed=seed)
        train_data = NodeInput(split.train_graph.to(args.device), ds.x.to(args.device))
        full_data = NodeInput(ds.graph.to(args.device), ds.x.to(args.device))
        for config, tasks in configs.items():
            files = _run_files(args, name, config, seed)
            rec = finished_row(files and files[1])
            if rec is not None:
                rec["resumed"] = "result"
                for k in COLUMNS:
                    table[config][k].append(float(rec[k]))
                _print(rec, args.json)
                continue
            seed_everything(seed)
            method = _build(tasks, ds.x.size(1), seed, args).to(args.device)
            t0 = time.perf_counter()
            ckpt = {} if files is None else {"checkpoint": files[0], "checkpoint_every": args.checkpoint_every}
            resumed = {} if files is None else {"resumed": os.path.isfile(files[0])}
            Trainer(method, epochs=args.epochs, lr=args.lr, weight_decay=args.weight_decay, optimizer="adamw",
                    seed=seed, progress=not args.json, **ckpt).fit(train_data)
            train_s = time.perf_counter() - t0
            t1 = time.perf_counter()
            res = evaluate_downstream(method.embed(full_data).cpu(), ds.graph, ds.y,
                                      link_embeddings=method.embed(train_data).cpu(), edge_split=split, seed=seed,
                                      num_splits=args.num_splits, clustering_seeds=tuple(range(args.kmeans_seeds)))
            for k in COLUMNS:
                table[config][k].append(float(res[k]))
            rec = {"bench": "multitask", "dataset": name, "impl": "graphssl", "config": config, "seed": seed,
                   **{k: round(float(res[k]), 4) for k in COLUMNS}, "epochs": args.epochs,
                   "train_seconds": round(train_s, 2), "eval_seconds": round(time.perf_counter() - t1, 2), **resumed}
            if len(tasks) > 1:
                rec["final_weights"] = {k: round(v, 4) for k, v in method.last_weights.items()}
            save_row(files and files[1], rec)
            _print(rec, args.json)
    means = {c: mean_std(v["mean"])[0] for c, v in table.items()}
    for config, cols in table.items():
        rec = {"bench": "multitask", "dataset": name, "impl": "graphssl", "config": config, "metric": "table",
               "seeds": seeds, "epochs": args.epochs}
        for k in COLUMNS:
            m, s = mean_std(cols[k])
            rec[k], rec[f"{k}_std"] = round(m, 4), round(s, 4)
        _print(rec, args.json)
    best = max(means, key=means.get)
    _print({"bench": "multitask", "dataset": name, "impl": "graphssl", "metric": "best_mean_config", "value": best,
            "means": {c: round(v, 4) for c, v in means.items()}, "headline": list(HEADLINE_METRICS.values()),
            "combination_best": best == COMBINATION if COMBINATION in means else None, "seeds": seeds,
            "epochs": args.epochs}, args.json)


def run_speed(name: str, args) -> None:
    ds = load_dataset(name, root=args.root)
    split = split_edges(ds.graph, seed=0)
    data = NodeInput(split.train_graph.to(args.device), ds.x.to(args.device))
    configs = _configs(args)
    runs = {}
    for config, tasks in configs.items():
        method = _build(tasks, ds.x.size(1), 0, args).to(args.device)
        trainer = Trainer(method, epochs=1, lr=args.lr, optimizer="adamw", progress=False)
        runs[config] = trainer
    times: Dict[str, List[float]] = {c: [] for c in runs}
    for it in range(args.warmup + args.repeats):
        for config, trainer in runs.items():  # interleaved, so load drift hits every config alike
            if args.device != "cpu":
                torch.cuda.synchronize()
            t = time.perf_counter()
            trainer.step(data)
            if args.device != "cpu":
                torch.cuda.synchronize()
            if it >= args.warmup:
                times[config].append(time.perf_counter() - t)
    med = {c: 1000 * statistics.median(v) for c, v in times.items()}
    for c, ms in med.items():
        _print({"bench": "multitask-step", "dataset": name, "impl": "graphssl", "config": c, "metric": "ms_per_step",
                "value": round(ms, 2), "repeats": args.repeats, "threads": torch.get_num_threads()}, args.json)
    singles = [c for c in med if c != COMBINATION]
    if COMBINATION in med and singles:
        total = sum(med[c] for c in singles)
        _print({"bench": "multitask-step", "dataset": name, "impl": "graphssl", "metric": "combination_vs_singles",
                "combination_ms": round(med[COMBINATION], 2), "sum_of_singles_ms": round(total, 2),
                "ratio": round(med[COMBINATION] / total, 3), "singles": singles,
                "weighting": args.weighting, "threads": torch.get_num_threads()}, args.json)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", choices=["quality", "speed", "all"], default="all")
    p.add_argument("--datasets", help=f"comma-separated (default: {','.join(DATASETS)})")
    p.add_argument("--configs", help=f"comma-separated subset of {','.join(PARETOGNN_TASKS)},{COMBINATION}")
    p.add_argument("--seeds", default="0-2")
    p.add_argument("--epochs", type=int, default=200, help="training steps (full-graph epochs)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=1e-5)
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--out-dim", type=int, default=256)
    p.add_argument("--weighting", default="mgda", help="weighting of the combination (mgda, pcgrad, fixed, ...)")
    p.add_argument("--normalization", default="l2", help="MGDA gradient normalisation (l2, loss, loss+, none)")
    p.add_argument("--max-nodes", type=int, default=4096,
                   help="nodes contrasted per step by subgraph_mi (its InfoNCE is quadratic in them)")
    p.add_argument("--num-splits", type=int, default=10, help="random splits of the classification probes")
    p.add_argument("--kmeans-seeds", type=int, default=5)
    p.add_argument("--repeats", type=int, default=5, help="timed steps per config (speed)")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--root", default=os.environ.get("GRAPHSSL_DATA"))
    p.add_argument("--device", type=device_argument, default=default_device(), help="cpu, cuda or cuda:N")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--json", action="store_true")
    add_checkpoint_arguments(p, every=20, names="DIR/multitask_<dataset>_<config>_seed<N>_<settings hash>.pt")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    seeds = parse_seeds(args.seeds)
    datasets = args.datasets.split(",") if args.datasets else DATASETS
    for name in datasets:
        if args.task in ("speed", "all"):
            run_speed(name, args)
        if args.task in ("quality", "all"):
            run_quality(name, seeds, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
