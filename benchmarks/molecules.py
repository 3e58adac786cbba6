"""Molecular transfer benchmark (issue 9): no-pretraining baseline vs every registered molecule
pretraining method, on the 8 MoleculeNet / OGB molecule sets.

Protocol (Hu et al. 2020; GraphMAE's transfer table): a 5-layer GIN with bond features
(300 hidden) is pretrained once per method on the pretraining corpus, then fine-tuned per
dataset and seed with a linear head (BCE with missing labels masked, Adam 1e-3, batch 32,
--epochs epochs, 100 by default) on the deterministic scaffold split; the test ROC-AUC (AP
for MUV) at the best validation epoch is reported as mean +- std over seeds, and the
average across the datasets run (its ``std`` is the mean of the per-dataset standard deviations).

Corpus: the union of the --corpus sets (default all 8), de-duplicated by canonical SMILES,
with every test molecule of the fine-tuning sets excluded (one corpus serves every set).
GraphMAE's 73.8 average comes from ZINC-2M pretraining, which is not available offline.

Methods are discovered from graphssl.molecules' registry (MOLECULE_PRETRAINERS);
``none`` is the no-pretraining baseline. Unknown methods are reported as skipped.

Long runs in pieces: with --state-dir DIR each method's pretrained encoder and each finished
(dataset, method, seed) fine-tuning row are kept under DIR, in files named with a hash of the
settings; the same command started again (or another process with the same options and other
--methods) reuses them ("resumed": "state" / "result") and runs only what is missing.

Prints one JSON object per line with --json (keys bench, dataset, impl, method, metric,
value, std, seeds, seconds, ...). Examples:
  python benchmarks/molecules.py --datasets bbbp,bace --methods none --seeds 0-2 --epochs 100 --json
  python benchmarks/molecules.py --methods none,attr_masking --pretrain-epochs 5 --max-molecules 500
  python benchmarks/molecules.py --methods graphmae --state-dir runs/mol --json    # in pieces, resumable
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from typing import Any, Dict, List, Optional, Tuple

import torch

# bench_common: this folder is on sys.path when run as a script
from bench_common import finished_row, save_row, settings_digest
from graphssl.atomic_save import atomic_torch_save
from graphssl.cli import parse_seeds
from graphssl.devices import default_device, device_argument
from graphssl.molecules import (OGB_NAMES, finetune, load_molecule_graphs, molecule_metric, pretrain,
                                pretrainer_names, pretraining_corpus, summarize_results)
from graphssl.molecules.transfer import FinetuneResult

ALL = [name[len("ogbg-mol"):] for name in OGB_NAMES]  # hiv, bbbp, bace, tox21, toxcast, sider, clintox, muv
BASELINE = "none"


def _print(rec: Dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(rec), flush=True)
        return
    keys = ("dataset", "method", "metric", "value", "std", "seed", "best_epoch", "status", "reason", "seconds")
    print("  ".join(f"{k}={rec[k]:.4g}" if isinstance(rec.get(k), float) else f"{k}={rec[k]}"
                    for k in keys if k in rec), file=sys.stderr, flush=True)


def _pct(v: float) -> Optional[float]:
    return None if v is None or math.isnan(v) else round(100 * v, 2)


def _table(means: Dict[str, Dict[str, Dict[str, float]]], datasets: List[str], methods: List[str]) -> str:
    """A markdown table: one row per dataset, one column per method, mean +- std (%)."""
    head = "| dataset | " + " | ".join(methods) + " |\n|---|" + "---|" * len(methods) + "\n"
    rows = []
    for d in datasets:
        cells = [f"{means[m][d]['mean']:.1f} ± {means[m][d]['std']:.1f}" if d in means.get(m, {}) else "-"
                 for m in methods]
        rows.append(f"| {d} | " + " | ".join(cells) + " |")
    avg = []
    for m in methods:
        vals = [means[m][d]["mean"] for d in datasets if d in means.get(m, {})]
        avg.append(f"{sum(vals) / len(vals):.1f}" if vals and len(vals) == len(datasets) else "-")
    rows.append("| average | " + " | ".join(avg) + " |")
    return head + "\n".join(rows)


def _pretrain_settings(args, datasets: List[str], method: str) -> Dict[str, Any]:
    """What decides a pretrained encoder: the method, the corpus (its sources, their cap, the
    fine-tuning sets whose test molecules it leaves out) and the pretraining settings."""
    return {"method": method, "corpus": args.corpus, "corpus_max_molecules": args.corpus_max_molecules,
            "excluded_test_of": datasets, "max_molecules": args.max_molecules, "epochs": args.pretrain_epochs,
            "seed": args.pretrain_seed, "batch_size": args.pretrain_batch_size, "num_layers": args.num_layers,
            "hidden": args.hidden}


def _state_file(args, method: str, digest: str) -> Optional[str]:
    return os.path.join(args.state_dir, f"molecules_pretrain_{method}_{digest}.pt") if args.state_dir else None


def _row_file(args, dataset: str, method: str, seed: int, state_digest: Optional[str]) -> Optional[str]:
    """Where a finished fine-tuning run's row goes under --state-dir (None without it)."""
    if not args.state_dir:
        return None
    digest = settings_digest({"state": state_digest, "max_molecules": args.max_molecules, "epochs": args.epochs,
                              "batch_size": args.batch_size, "num_layers": args.num_layers, "hidden": args.hidden})
    return os.path.join(args.state_dir, f"molecules_{dataset}_{method}_seed{seed}_{digest}.json")


def _load_state(path: Optional[str]) -> Optional[Tuple[Dict[str, Any], Dict[str, Any]]]:
    """``(state_dict, info)`` saved by an earlier run at ``path``, if any."""
    if path is None or not os.path.isfile(path):
        return None
    saved = torch.load(path, map_location="cpu", weights_only=True)
    return saved["state"], saved["info"]


def _result_from_row(rec: Dict[str, Any]) -> FinetuneResult:
    r = rec["raw"]
    return FinetuneResult(dataset=rec["dataset"], seed=rec["seed"], metric=r["metric"], best_epoch=rec["best_epoch"],
                          valid=r["valid"], test=r["test"], final_test=r["final_test"], seconds=rec["seconds"],
                          pretrained=rec["method"] != BASELINE)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", default=",".join(ALL), help="comma-separated (default: all 8)")
    p.add_argument("--methods", help=f"comma-separated; '{BASELINE}' is the baseline (default: {BASELINE} + every "
                                     "registered pretrainer)")
    p.add_argument("--seeds", default="0-2", help="fine-tuning seeds, e.g. 0-2 or 0,3")
    p.add_argument("--epochs", type=int, default=100, help="fine-tuning epochs")
    p.add_argument("--pretrain-epochs", type=int, default=100)
    p.add_argument("--pretrain-seed", type=int, default=0)
    p.add_argument("--max-molecules", type=int, default=None,
                   help="use this many evenly spaced molecules of each set (quick runs)")
    p.add_argument("--corpus", default=",".join(ALL), help="sets whose molecules form the pretraining corpus")
    p.add_argument("--corpus-max-molecules", type=int, default=None,
                   help="molecules per corpus set (default: --max-molecules)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--pretrain-batch-size", type=int, default=256)
    p.add_argument("--num-layers", type=int, default=5, help="GIN layers (protocol: 5)")
    p.add_argument("--hidden", type=int, default=300, help="GIN width (protocol: 300)")
    p.add_argument("--root", default=os.environ.get("GRAPHSSL_DATA"))
    p.add_argument("--cache-dir", default=None, help="converted datasets (default $GRAPHSSL_CACHE or "
                                                     "~/.cache/graphssl/processed)")
    p.add_argument("--device", type=device_argument, default=default_device(), help="cpu, cuda or cuda:N")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    p.add_argument("--state-dir", help="keep pretrained encoders (DIR/molecules_pretrain_<method>_<settings hash>.pt) "
                                       "and finished fine-tuning rows there, and reuse them when run again")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    seeds = parse_seeds(args.seeds)
    datasets = [d.strip().lower().replace("ogbg-mol", "") for d in args.datasets.split(",") if d.strip()]
    methods = args.methods.split(",") if args.methods else [BASELINE] + pretrainer_names()
    encoder_kwargs = {"num_layers": args.num_layers, "hidden": args.hidden}
    progress = not args.json and sys.stderr.isatty()
    common = {"bench": "molecules", "impl": "graphssl"}
    t_start = time.perf_counter()

    loaded = {}
    for d in datasets:
        try:
            loaded[d] = load_molecule_graphs(d, args.root, cache_dir=args.cache_dir, max_molecules=args.max_molecules,
                                             progress=progress, download=False)
        except (FileNotFoundError, ValueError, OSError, ImportError) as e:
            _print({**common, "dataset": d, "method": "-", "status": "skipped", "reason": f"dataset unavailable: {e}"},
                   args.json)
    known = set(pretrainer_names())
    states: Dict[str, Any] = {BASELINE: None}
    state_digests: Dict[str, Optional[str]] = {BASELINE: None}
    corpus = None
    for m in methods:
        if m == BASELINE:
            continue
        if m not in known:
            _print({**common, "dataset": "-", "method": m, "status": "skipped",
                    "reason": f"method {m!r} is not registered (known: {', '.join(sorted(known)) or 'none'})"},
                   args.json)
            continue
        state_digests[m] = settings_digest(_pretrain_settings(args, list(loaded), m))
        path = _state_file(args, m, state_digests[m])
        saved = _load_state(path)
        if saved is not None:
            states[m] = saved[0]
            _print({**common, "dataset": "corpus", "method": m, "metric": "pretrain_seconds", **saved[1],
                    "resumed": "state"}, args.json)
            continue
        if corpus is None:
            t0 = time.perf_counter()
            sources = [c.strip() for c in args.corpus.split(",") if c.strip()]
            cmax = args.corpus_max_molecules if args.corpus_max_molecules is not None else args.max_molecules
            srcs = [loaded[s] if s in loaded else s for s in sources] if cmax == args.max_molecules else sources
            corpus = pretraining_corpus(srcs, exclude_test_of=list(loaded.values()), root=args.root,
                                        cache_dir=args.cache_dir, max_molecules=cmax, progress=progress)
            _print({**common, "dataset": "corpus", "method": "-", "metric": "num_molecules", "value": len(corpus),
                    **corpus.info, "max_molecules": cmax, "seconds": round(time.perf_counter() - t0, 1)}, args.json)
        t0 = time.perf_counter()
        states[m] = pretrain(m, corpus, epochs=args.pretrain_epochs, seed=args.pretrain_seed, device=args.device,
                             batch_size=args.pretrain_batch_size, progress=progress, encoder_kwargs=encoder_kwargs)
        secs = round(time.perf_counter() - t0, 1)
        info = {"value": secs, "pretrain_epochs": args.pretrain_epochs, "corpus_size": len(corpus), "seconds": secs}
        if path is not None:
            atomic_torch_save({"state": states[m], "info": info}, path)
        _print({**common, "dataset": "corpus", "method": m, "metric": "pretrain_seconds", **info,
                **({} if path is None else {"resumed": False})}, args.json)

    run_methods = [m for m in methods if m in states]
    means: Dict[str, Dict[str, Dict[str, float]]] = {m: {} for m in run_methods}
    for d, ds in loaded.items():
        metric = "test_" + molecule_metric(d)
        for m in run_methods:
            t0 = time.perf_counter()
            results = []
            for seed in seeds:
                row_path = _row_file(args, d, m, seed, state_digests[m])
                rec = finished_row(row_path)
                if rec is not None:
                    results.append(_result_from_row(rec))
                    _print({**{k: v for k, v in rec.items() if k != "raw"}, "resumed": "result"}, args.json)
                    continue
                (r,) = finetune(states[m], ds, seeds=[seed], epochs=args.epochs, batch_size=args.batch_size,
                                encoder_kwargs=encoder_kwargs, device=args.device, progress=progress)
                results.append(r)
                rec = {**common, "dataset": d, "method": m, "metric": metric, "value": _pct(r.test),
                       "seed": r.seed, "best_epoch": r.best_epoch, "valid": _pct(r.valid),
                       "final_test": _pct(r.final_test), "seconds": round(r.seconds, 1)}
                save_row(row_path, {**rec, "raw": {"metric": r.metric, "test": r.test, "valid": r.valid,
                                                   "final_test": r.final_test}})
                _print({**rec, **({} if row_path is None else {"resumed": False})}, args.json)
            s = summarize_results(results)
            if s["n"]:
                means[m][d] = {"mean": 100 * s["mean"], "std": 100 * s["std"]}
            _print({**common, "dataset": d, "method": m, "metric": metric + "_mean", "value": _pct(s["mean"]),
                    "std": _pct(s["std"]), "seeds": seeds, "unscored_seeds": s["n_unscored"], "epochs": args.epochs,
                    "pretrain_epochs": None if m == BASELINE else args.pretrain_epochs,
                    "num_molecules": len(ds), "split": [int(ds.split[k].numel()) for k in ("train", "valid", "test")],
                    "max_molecules": args.max_molecules, "seconds": round(time.perf_counter() - t0, 1)}, args.json)
    names = list(loaded)
    base_avg, base_sets = None, []
    for m in run_methods:
        scored = [d for d in names if d in means[m]]
        if not scored:
            continue
        avg = sum(means[m][d]["mean"] for d in scored) / len(scored)
        std = sum(means[m][d]["std"] for d in scored) / len(scored)
        rec = {**common, "dataset": "average", "method": m, "metric": "test_score_mean_over_datasets",
               "value": round(avg, 2), "std": round(std, 2), "datasets": scored, "seeds": seeds,
               "epochs": args.epochs, "pretrain_epochs": None if m == BASELINE else args.pretrain_epochs,
               "max_molecules": args.max_molecules, "published_graphmae_zinc2m": 73.8}
        if m == BASELINE:
            base_avg, base_sets = avg, scored
        elif base_avg is not None and scored == base_sets:
            rec["delta_vs_baseline"] = round(avg - base_avg, 2)
        _print(rec, args.json)
    if not args.json and names and run_methods:
        print(_table(means, names, run_methods))
        print(f"\n(ROC-AUC %, AP % for muv; seeds {seeds}; {args.epochs} fine-tuning epochs; "
              f"{time.perf_counter() - t_start:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
