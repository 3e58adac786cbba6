"""Reproduction benchmark of the contrastive family (issue 4).

Node level: DGI, GRACE, GCA, BGRL, MVGRL and CCA-SSG pretrained with their packaged
(published) configs, then
  * Cora / CiteSeer / PubMed: linear probe on the public Planetoid split;
  * Amazon-Photo/Computers, Coauthor-CS/Physics, WikiCS: the 10% / 10% / 80% random-split
    protocol (l2-normalised embeddings, logistic regression with C chosen on validation).
Graph level: GraphCL and InfoGraph (and MVGRL where a graph-level config exists) on MUTAG
and PROTEINS with the SVM 10-fold protocol, through the same pipeline.

Every (method, dataset) pair runs over several seeds; the mean is compared with the
published number (within 1 point is the issue's bar). Methods not registered in this
install and datasets missing under the data root are reported as skipped.

Reference (--impls graphssl,pyg): GRACE also built from PyG's GCNConv as its paper describes
it (``bench_common.pyg_grace``), trained with the same config and scored by the same probe,
so a gap to the published number can be told apart from a gap in graphssl's code.

Memory (--memory): peak resident memory of a few GRACE epochs with the PubMed setting
(19,717 nodes; the issue's bar is 2 GB), measured in a fresh child process (maxrss of
the child from getrusage), next to the peak of the same run with 0 epochs (interpreter,
torch, dataset, model and probe) so the training's share is visible.

Prints one JSON object per line with --json (keys bench, dataset, impl, method, metric,
value, std, seeds, published, delta, within_tolerance, seconds). Examples:
  python benchmarks/contrastive.py --methods grace,cca_ssg --datasets cora --seeds 0-4 --json
  python benchmarks/contrastive.py --methods grace --datasets cora --impls graphssl,pyg --json
  python benchmarks/contrastive.py --memory --json            # GRACE on PubMed, peak_rss_mb
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from importlib import resources
from typing import Any, Dict, List, Optional

import torch

from graphssl.cli import parse_seeds
from graphssl.config import load_config, merge
from graphssl.datasets import load_dataset
from graphssl.devices import default_device, device_argument
from graphssl.eval import mean_std
from graphssl.methods import METHODS
from graphssl.pipeline import pretrain_graph, pretrain_node, probe_node_embeddings
from graphssl.transforms import prepare

from bench_common import add_checkpoint_arguments, resumed_field, with_checkpoint  # on sys.path as a script

#: Published mean accuracies (%): the public-split numbers are those of the issue (the
#: CCA-SSG / GraphMAE tables); random-split numbers come from each method's paper (GCA:
#: GCA-DE; GRACE on the co-purchase/co-author graphs: as reproduced in the BGRL paper).
PUBLISHED: Dict[str, Dict[str, float]] = {
    "dgi": {"cora": 82.3, "citeseer": 71.8, "pubmed": 76.8},
    "grace": {"cora": 81.9, "citeseer": 71.2, "pubmed": 80.6, "amazon-computers": 89.53,
              "amazon-photo": 92.78, "coauthor-cs": 91.12, "wikics": 80.14},
    "gca": {"amazon-computers": 87.85, "amazon-photo": 92.49, "coauthor-cs": 93.10, "coauthor-physics": 95.68,
            "wikics": 78.30},
    "bgrl": {"cora": 82.7, "citeseer": 71.1, "pubmed": 79.6, "amazon-computers": 90.34, "amazon-photo": 93.17,
             "coauthor-cs": 93.31, "coauthor-physics": 95.73, "wikics": 79.98},
    "mvgrl": {"cora": 83.5, "citeseer": 73.3, "pubmed": 80.1, "mutag": 89.7},
    "cca_ssg": {"cora": 84.0, "citeseer": 73.1, "pubmed": 81.0, "amazon-computers": 88.74, "amazon-photo": 93.14,
                "coauthor-cs": 93.31, "coauthor-physics": 95.38},
    "graphcl": {"mutag": 86.80, "proteins": 74.39},
    "infograph": {"mutag": 89.01, "proteins": 74.44},
}
TOLERANCE = 1.0  # points, from the issue
NODE_METHODS = ["dgi", "grace", "gca", "bgrl", "mvgrl", "cca_ssg"]
GRAPH_METHODS = ["graphcl", "infograph"]
PUBLIC_SPLIT = ["cora", "citeseer", "pubmed"]
RANDOM_SPLIT = ["amazon-photo", "amazon-computers", "coauthor-cs", "coauthor-physics", "wikics"]
GRAPH_DATASETS = ["mutag", "proteins"]


def _print(rec: Dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(rec), flush=True)
        return
    keys = ("bench", "dataset", "method", "metric", "value", "std", "published", "delta", "status", "reason", "seconds")
    print("  ".join(f"{k}={rec[k]:.4g}" if isinstance(rec.get(k), float) else f"{k}={rec[k]}"
                    for k in keys if k in rec), flush=True)


def _packaged(method: str, dataset: str) -> bool:
    """Whether ``graphssl/configs/<method>/<dataset>.yaml`` exists (a setting for that pair)."""
    return resources.files("graphssl.configs").joinpath(method, f"{dataset}.yaml").is_file()


def default_pairs(methods: List[str], datasets: Optional[List[str]]) -> List[tuple]:
    """The (method, dataset) pairs to run: every pair with a published number or a packaged
    setting, restricted to ``datasets`` when given (then every node method runs on every
    node dataset and graph-level methods on graph datasets)."""
    pairs = []
    for m in methods:
        if datasets is None:
            chosen = [d for d in PUBLIC_SPLIT + RANDOM_SPLIT + GRAPH_DATASETS
                      if d in PUBLISHED.get(m, {}) or _packaged(m, d)]
        else:
            chosen = [d for d in datasets if (d in GRAPH_DATASETS) == (m in GRAPH_METHODS)
                      or _packaged(m, d) or d in PUBLISHED.get(m, {})]
        pairs.extend((m, d) for d in chosen)
    return pairs


def _config(method: str, dataset: str, epochs: Optional[int], probe_epochs: Optional[int] = None) -> Dict[str, Any]:
    cfg = load_config(method, dataset)
    if dataset in RANDOM_SPLIT:  # the protocol for these datasets, whatever the paper probed with
        cfg = merge(cfg, {"probe": {"protocol": "logistic_regression"}})
    if epochs is not None:
        cfg = merge(cfg, {"train": {"epochs": epochs}})
    if probe_epochs is not None:
        cfg = merge(cfg, {"probe": {"epochs": probe_epochs}})
    return cfg


def _node_metric(cfg: Dict[str, Any]) -> str:
    """The metric name of a node-level config's probe protocol."""
    return "logreg_test_acc" if cfg.get("probe", {}).get("protocol") == "logistic_regression" else "linear_probe_test_acc"


#: Methods with a reference built from PyG layers (``--impls pyg``).
PYG_REFERENCES = ("grace",)


def _summary(base: Dict[str, Any], metric: str, accs: List[float], seeds: List[int], cfg: Dict[str, Any],
             seconds: float, method: str, dataset: str) -> Dict[str, Any]:
    m, s = mean_std(accs)
    pub = PUBLISHED.get(method, {}).get(dataset)
    rec = {**base, "metric": f"{metric}_mean", "value": round(m, 2), "std": round(s, 2), "seeds": seeds,
           "published": pub, "epochs": cfg["train"].get("epochs"), "seconds": round(seconds, 1),
           "threads": torch.get_num_threads()}
    if pub is not None:
        rec["delta"] = round(m - pub, 2)
        rec["within_tolerance"] = abs(m - pub) <= TOLERANCE
    return rec


def run_pyg_reference(method: str, dataset: str, ds: Any, seeds: List[int], args) -> None:
    """Train the PyG-built reference of ``method`` with graphssl's config for ``dataset`` and
    score it with the same probe; one line per seed and a mean line, ``impl`` "pyg"."""
    base = {"bench": f"contrastive-{method}", "dataset": dataset, "impl": "pyg", "method": method}
    if method not in PYG_REFERENCES or not hasattr(ds, "graph"):
        _print({**base, "status": "skipped", "reason": f"no PyG reference for {method} on {dataset} "
                f"(references: {', '.join(PYG_REFERENCES)}, node level)"}, args.json)
        return
    if importlib.util.find_spec("torch_geometric") is None:
        _print({**base, "status": "skipped", "reason": "torch-geometric is not installed: pip install graphssl[pyg]"},
               args.json)
        return
    from bench_common import pyg_grace  # this folder is on sys.path when run as a script
    cfg = _config(method, dataset, args.epochs, args.probe_epochs)
    device = torch.device(args.device)
    graph, x = prepare(ds.graph, ds.x, cfg.get("data", {}))
    x, edge_index = x.to(device), graph.to_edge_index()[0].to(device)
    metric = _node_metric(cfg)
    accs, t_all = [], time.perf_counter()
    for seed in seeds:
        torch.manual_seed(seed)
        generator = torch.Generator(device=device).manual_seed(seed)
        model, t0 = pyg_grace(x.size(1), cfg["method"]).to(device), time.perf_counter()
        opt = torch.optim.Adam(model.parameters(), lr=cfg["train"]["lr"], weight_decay=cfg["train"].get("weight_decay", 0.0))
        for _ in range(cfg["train"]["epochs"]):
            opt.zero_grad()
            model.loss(x, edge_index, generator).backward()
            opt.step()
        epoch_s = (time.perf_counter() - t0) / max(cfg["train"]["epochs"], 1)
        with torch.no_grad():
            emb = model.embed(x, edge_index)
        test_acc = probe_node_embeddings(emb, ds, cfg.get("probe", {}), seed)[0]
        accs.append(100 * test_acc)
        _print({**base, "metric": metric, "value": round(100 * test_acc, 2), "seed": seed,
                "epochs": cfg["train"]["epochs"], "epoch_ms": round(1000 * epoch_s, 2),
                "seconds": round(time.perf_counter() - t0, 2)}, args.json)
    _print(_summary(base, metric, accs, seeds, cfg, time.perf_counter() - t_all, method, dataset), args.json)


def run_pair(method: str, dataset: str, ds: Any, seeds: List[int], args) -> None:
    base = {"bench": f"contrastive-{method}", "dataset": dataset, "impl": "graphssl", "method": method}
    if method not in METHODS.names():
        _print({**base, "status": "skipped", "reason": f"method {method!r} is not registered"}, args.json)
        return
    graph_level = not hasattr(ds, "graph")
    cfg = _config(method, dataset, args.epochs, args.probe_epochs)
    run = pretrain_graph if graph_level else pretrain_node
    metric = "svm_test_acc" if graph_level else _node_metric(cfg)
    accs, t0 = [], time.perf_counter()
    for seed in seeds:
        try:
            cfg_seed = with_checkpoint(cfg, args, method, dataset, seed)
            resumed = resumed_field(cfg_seed)
            r = run(ds, method, cfg_seed, seed, args.device, progress=not args.json and sys.stderr.isatty())
        except ValueError as e:  # a method that cannot run on this kind of data (e.g. level)
            _print({**base, "status": "skipped", "reason": str(e)}, args.json)
            return
        accs.append(100 * r.test_acc)
        _print({**base, "metric": metric, "value": round(100 * r.test_acc, 2), "seed": seed,
                "epochs": cfg["train"].get("epochs"), "epoch_ms": round(1000 * r.epoch_seconds, 2),
                "rankme": round(r.rankme, 1), "seconds": round(r.seconds, 2), **resumed,
                **({"best_epoch": r.best_epoch} if getattr(r, "best_epoch", None) else {})}, args.json)
    _print(_summary(base, metric, accs, seeds, cfg, time.perf_counter() - t0, method, dataset), args.json)


MEMORY_LIMIT_MB = 2048  # the bar for GRACE on PubMed


def _memory_child(method: str, dataset: str, epochs: int, root: Optional[str]) -> None:
    """Run one seed of ``method`` on ``dataset`` for ``epochs`` epochs with the packaged
    setting (what --memory measures); prints the run's JSON record."""
    torch.set_num_threads(1)
    ds = load_dataset(dataset, root=root, download=False)
    r = pretrain_node(ds, method, _config(method, dataset, epochs), seed=0)
    print(json.dumps({"epochs": epochs, "epoch_seconds": r.epoch_seconds, "test_acc": r.test_acc,
                      "num_nodes": ds.graph.num_nodes}), flush=True)


def _peak_rss_of_child(method: str, dataset: str, epochs: int, root: Optional[str]) -> Dict[str, Any]:
    """Run :func:`_memory_child` in a fresh process and return its record plus
    ``peak_rss_mb``: the ``ru_maxrss`` of that one child from ``os.wait4`` (kilobytes on
    Linux), so nothing of this process or of other children is counted.

    Raises:
        RuntimeError: the child failed.
    """
    import tempfile

    cmd = [sys.executable, os.path.abspath(__file__), "--memory-child", f"{method}:{dataset}:{epochs}"]
    if root:
        cmd += ["--root", root]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise RuntimeError(f"memory child failed ({proc.returncode}): {err.read()[-1000:]}")
        rec = json.loads(out.read().strip().splitlines()[-1])
    scale = 1024 if sys.platform == "darwin" else 1  # ru_maxrss: bytes on macOS, KB on Linux
    rec["peak_rss_mb"] = round(usage.ru_maxrss / scale / 1024, 1)
    return rec


def run_memory(args) -> None:
    """GRACE on PubMed for ``--memory-epochs`` epochs: peak RSS against the 2 GB bar."""
    method, dataset = args.memory_method, args.memory_dataset
    base = {"bench": f"contrastive-{method}-memory", "dataset": dataset, "impl": "graphssl", "method": method}
    try:
        load_dataset(dataset, root=args.root, download=False)
    except (FileNotFoundError, ValueError, OSError) as e:
        _print({**base, "status": "skipped", "reason": f"dataset unavailable: {e}"}, args.json)
        return
    peaks = {}
    for epochs in (0, args.memory_epochs):
        t0 = time.perf_counter()
        rec = _peak_rss_of_child(method, dataset, epochs, args.root)
        peaks[epochs] = (rec, time.perf_counter() - t0)
    (idle, _), (run, seconds) = peaks[0], peaks[args.memory_epochs]
    _print({**base, "metric": "peak_rss_mb", "value": run["peak_rss_mb"], "epochs": args.memory_epochs,
            "peak_rss_mb_0_epochs": idle["peak_rss_mb"], "limit_mb": MEMORY_LIMIT_MB,
            "within_limit": run["peak_rss_mb"] < MEMORY_LIMIT_MB, "num_nodes": run.get("num_nodes"),
            "epoch_ms": round(1000 * run["epoch_seconds"], 1), "threads": 1, "seconds": round(seconds, 1)},
           args.json)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--methods", help=f"comma-separated (default: {','.join(NODE_METHODS + GRAPH_METHODS)})")
    p.add_argument("--datasets", help="comma-separated (default: every dataset with a published number or a "
                                      "packaged config for the method)")
    p.add_argument("--seeds", default="0-4")
    p.add_argument("--epochs", type=int, help="override the configured number of epochs (quick runs)")
    p.add_argument("--probe-epochs", type=int, help="override the linear probe's epochs (quick runs)")
    p.add_argument("--root", default=os.environ.get("GRAPHSSL_DATA"))
    p.add_argument("--device", type=device_argument, default=default_device(), help="cpu, cuda or cuda:N")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    p.add_argument("--json", action="store_true")
    add_checkpoint_arguments(p)
    p.add_argument("--impls", default="graphssl",
                   help="comma-separated: graphssl and/or pyg (GRACE built from PyG layers, same config and probe)")
    p.add_argument("--memory", action="store_true",
                   help="measure the peak RSS of a few epochs of --memory-method on --memory-dataset instead")
    p.add_argument("--memory-method", default="grace")
    p.add_argument("--memory-dataset", default="pubmed")
    p.add_argument("--memory-epochs", type=int, default=3)
    p.add_argument("--memory-child", help=argparse.SUPPRESS)  # method:dataset:epochs, run by --memory
    args = p.parse_args(argv)
    if args.memory_child:
        method, dataset, epochs = args.memory_child.split(":")
        _memory_child(method, dataset, int(epochs), args.root)
        return 0
    if args.memory:
        run_memory(args)
        return 0
    if args.threads:
        torch.set_num_threads(args.threads)
    seeds = parse_seeds(args.seeds)
    impls = args.impls.split(",")
    unknown = sorted(set(impls) - {"graphssl", "pyg"})
    if unknown:
        p.error(f"unknown --impls {unknown}: choose from graphssl, pyg")
    methods = args.methods.split(",") if args.methods else NODE_METHODS + GRAPH_METHODS
    datasets = args.datasets.split(",") if args.datasets else None
    loaded: Dict[str, Any] = {}
    for method, dataset in default_pairs(methods, datasets):
        if dataset not in loaded:
            try:
                loaded[dataset] = load_dataset(dataset, root=args.root, download=False)
            except (FileNotFoundError, ValueError, OSError) as e:
                loaded[dataset] = e
        ds = loaded[dataset]
        if isinstance(ds, Exception):
            _print({"bench": f"contrastive-{method}", "dataset": dataset, "impl": "graphssl", "method": method,
                    "status": "skipped", "reason": f"dataset unavailable: {ds}"}, args.json)
            continue
        if "graphssl" in impls:
            run_pair(method, dataset, ds, seeds, args)
        if "pyg" in impls:
            run_pyg_reference(method, dataset, ds, seeds, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
