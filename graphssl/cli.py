"""The `graphssl` command line: `datasets`, `pretrain`, `evaluate`, `recommend`.

Every command that reports results accepts ``--json`` and then prints one JSON object
per line (keys ``command``, ``dataset``, ``impl``, ``metric``, ``value`` and, where they
apply, ``std``, ``seeds``, ``seconds``).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import torch

from .devices import default_device, device_argument

__all__ = ["main", "parse_seeds"]


def parse_seeds(spec: str) -> List[int]:
    """``"0-4"`` -> [0..4], ``"1,3,5"`` -> [1, 3, 5], ``"7"`` -> [7].

    Raises:
        ValueError: malformed or empty specification.
    """
    seeds: List[int] = []
    try:
        for part in str(spec).split(","):
            part = part.strip()
            if "-" in part:
                lo, hi = (int(v) for v in part.split("-", 1))
                if hi < lo:
                    raise ValueError
                seeds.extend(range(lo, hi + 1))
            elif part:
                seeds.append(int(part))
    except ValueError:
        raise ValueError(f"bad --seeds {spec!r}: use e.g. 0-4 or 0,1,2") from None
    if not seeds:
        raise ValueError(f"bad --seeds {spec!r}: no seed given")
    return seeds


def _emit(records: Sequence[Dict[str, Any]], as_json: bool, table_keys: Sequence[str]) -> None:
    if as_json:
        for r in records:
            print(json.dumps(r), flush=True)
        return
    if not records:
        print("(nothing to report)")
        return
    keys = [k for k in table_keys if any(k in r for r in records)]
    rows = [[_fmt(r.get(k, "")) for k in keys] for r in records]
    widths = [max(len(k), *(len(row[i]) for row in rows)) for i, k in enumerate(keys)]
    print("  ".join(k.ljust(w) for k, w in zip(keys, widths)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4f}"
    if isinstance(v, list):
        return ",".join(map(str, v))
    return str(v)


# ---------------------------------------------------------------------------- datasets
def _cmd_datasets(args: argparse.Namespace) -> int:
    from .datasets import summarize

    records = summarize(args.root)
    _emit(records, args.json, ["name", "num_nodes", "num_edges", "num_features", "num_classes", "num_graphs",
                               "num_users", "num_items", "num_interactions", "num_molecules", "num_tasks"])
    return 0


# ---------------------------------------------------------------------------- methods
def _cmd_methods(args: argparse.Namespace) -> int:
    from .config import packaged_datasets
    from .methods import METHODS

    records = []
    for name in METHODS.names():
        cls = METHODS.get(name)
        summary = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
        records.append({"command": "methods", "method": name, "class": cls.__name__,
                        "levels": list(getattr(cls, "levels", ("node", "graph"))),
                        "configs": packaged_datasets(name), "summary": summary})
    if not args.json:  # a table a terminal can show: the summary's first 60 characters
        records = [{**r, "summary": r["summary"][:57] + "..." if len(r["summary"]) > 60 else r["summary"]}
                   for r in records]
    _emit(records, args.json, ["method", "levels", "configs", "summary"])
    return 0


def _version() -> str:
    from . import __version__
    from .sparse import available_backends
    backends = ", ".join(available_backends("cpu"))
    if torch.cuda.is_available():
        backends += "; on cuda: " + ", ".join(available_backends("cuda"))
    return f"graphssl {__version__} (torch {torch.__version__}; sparse backends here: {backends})"


class _VersionAction(argparse.Action):
    """``--version``: the versions and backends are looked up only when asked for (finding
    the backends imports their packages, Triton's among them)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="print graphssl's and torch's versions and the sparse backends, then exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: Optional[str] = None) -> None:
        print(_version())
        parser.exit()


# ---------------------------------------------------------------------------- pretrain / evaluate
def _load_node_dataset(name: str, root: Optional[str], download: bool = True):
    from .datasets import load_dataset
    ds = load_dataset(name, root=root, download=download)
    if not hasattr(ds, "graph") or not hasattr(ds, "x") or not hasattr(ds, "y"):
        raise ValueError(f"dataset {name!r} is not a node-level dataset; evaluate needs one "
                         "(graph-level embeddings are scored by `graphssl pretrain` with the SVM protocol)")
    return ds


def _cmd_pretrain(args: argparse.Namespace) -> int:
    from .config import load_config, merge
    from .distributed import cleanup, init_from_env
    from .methods import METHODS
    from .minibatch_cli import checkpoint_for_seed, minibatch_overrides

    METHODS.get(args.method)  # a misspelt method fails now, not after the dataset is loaded (or downloaded)
    seeds = parse_seeds(args.seeds)
    cfg = load_config(args.method, args.dataset, args.config)
    if args.epochs is not None:
        cfg = merge(cfg, {"train": {"epochs": args.epochs}})
    cfg = merge(cfg, minibatch_overrides(args))
    dist = init_from_env(args.device)  # under torchrun: join the group, one device per rank
    try:
        return _pretrain_runs(args, cfg, seeds, dist.device, main=dist.rank == 0,
                              checkpoint=lambda s: checkpoint_for_seed(args.checkpoint, s, len(seeds)))
    finally:
        cleanup()


def _pretrain_runs(args: argparse.Namespace, cfg: Dict[str, Any], seeds: List[int], device: torch.device,
                   main: bool, checkpoint) -> int:
    from .config import merge
    from .eval import mean_std
    from .datasets import GraphDataset, load_dataset
    from .pipeline import pretrain_graph, pretrain_node

    ds = load_dataset(args.dataset, root=args.root, download=not args.no_download)
    node_level = hasattr(ds, "graph") and hasattr(ds, "x") and hasattr(ds, "y")
    if not node_level and not isinstance(ds, GraphDataset):
        raise ValueError(f"dataset {args.dataset!r} is neither a node- nor a graph-classification dataset; "
                         "pretrain needs one (recommendation data: graphssl recommend)")
    # node tasks: linear probe on the split; graph tasks: SVM 10-fold on pooled embeddings
    run, metric = (pretrain_node, "linear_probe_test_acc") if node_level else (pretrain_graph, "svm_10fold_acc")
    if node_level and cfg.get("probe", {}).get("protocol") == "logistic_regression":
        metric = "logreg_test_acc"  # l2-normalised embeddings, logistic regression (BGRL/GCA protocol)
    records, accs = [], []
    t_all = time.perf_counter()
    for seed in seeds:
        cfg_seed = merge(cfg, {"train": {"checkpoint": checkpoint(seed)}}) if args.checkpoint else cfg
        r = run(ds, args.method, cfg_seed, seed, device, progress=main and not args.json and sys.stderr.isatty())
        if not main:  # another DDP rank: rank 0 reports
            continue
        accs.append(r.test_acc)
        records.append({"command": "pretrain", "dataset": args.dataset, "impl": "graphssl", "method": args.method,
                        "metric": metric, "value": r.test_acc,
                        **({"val_acc": r.val_acc} if node_level else {"fold_std": r.test_std}),
                        "rankme": round(r.rankme, 2), "seed": seed, "seconds": round(r.seconds, 3),
                        **({"evaluator": r.evaluator} if getattr(r, "evaluator", None) else {}),
                        **({"best_epoch": r.best_epoch} if getattr(r, "best_epoch", None) else {})})
        if args.save_embeddings and seed == seeds[0]:
            _save_embeddings(r.embeddings, Path(args.save_embeddings))
    if not main:
        return 0
    m, s = mean_std(accs)
    summary = {"command": "pretrain", "dataset": args.dataset, "impl": "graphssl", "method": args.method,
               "metric": metric, "value": m, "std": s, "seeds": seeds,
               "seconds": round(time.perf_counter() - t_all, 3)}
    if args.json:
        _emit(records + [summary], True, [])
    else:
        _emit(records, False, ["dataset", "method", "seed", "value", "val_acc" if node_level else "fold_std",
                               "rankme", "seconds"])
        protocol = {"linear_probe_test_acc": "linear-probe test accuracy", "svm_10fold_acc": "SVM 10-fold accuracy",
                    "logreg_test_acc": "logistic-regression test accuracy"}[metric]
        print(f"\n{args.method} on {args.dataset}: {protocol} "
              f"{100 * m:.2f} ± {100 * s:.2f} over {len(seeds)} seed(s)")
    return 0


def _save_embeddings(emb: torch.Tensor, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".npy":
        import numpy as np
        np.save(path, emb.detach().cpu().numpy())
    else:
        torch.save(emb.detach().cpu(), path)


def _load_embeddings(path: Path) -> torch.Tensor:
    if not path.is_file():
        raise FileNotFoundError(f"no embeddings file at {path}")
    if path.suffix == ".npy":
        import numpy as np
        return torch.from_numpy(np.load(path))
    emb = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(emb, torch.Tensor):
        raise ValueError(f"{path} does not hold a tensor")
    return emb


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .config import load_config
    from .eval import linear_probe, mean_std
    from .pipeline import node_splits

    ds = _load_node_dataset(args.dataset, args.root, not args.no_download)
    emb = _load_embeddings(Path(args.embeddings))
    if emb.dim() != 2 or emb.size(0) != ds.num_nodes:
        raise ValueError(f"embeddings have shape {tuple(emb.shape)}, expected [{ds.num_nodes}, D] for {args.dataset}")
    if args.tasks != "linear_probe":  # ParetoGNN's downstream tasks (graphssl.eval.downstream)
        from .eval.downstream_cli import run_evaluate_tasks
        _emit(run_evaluate_tasks(args, ds, emb), args.json, ["dataset", "metric", "value", "std"])
        return 0
    probe_cfg = load_config(args.method, args.dataset)["probe"] if args.method else {}
    seeds = parse_seeds(args.seeds)
    accs = []
    from .datasets import is_ogb_dataset
    from .eval import OGBEvaluator
    score = OGBEvaluator(ds.name).probe_score if is_ogb_dataset(ds) else None  # OGB's official metric
    for s in seeds:
        tr, va, te = node_splits(ds, s)
        accs.append(linear_probe(emb, ds.y, tr, va, te, seed=s, score=score, **probe_cfg).test_acc)
    m, s = mean_std(accs)
    rec = {"command": "evaluate", "dataset": args.dataset, "impl": "graphssl", "metric": "linear_probe_test_acc",
           "value": m, "std": s, "seeds": seeds, **({"evaluator": "ogb"} if score is not None else {})}
    _emit([rec], args.json, ["dataset", "metric", "value", "std", "seeds"])
    return 0


# ---------------------------------------------------------------------------- entry point
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="graphssl", description="Self-supervised learning on graphs.")
    p.add_argument("--version", action=_VersionAction)
    sub = p.add_subparsers(dest="command", required=True)

    m = sub.add_parser("methods", help="list the SSL methods, what they embed and their packaged configs")
    m.add_argument("--json", action="store_true", help="one JSON object per line")
    m.set_defaults(func=_cmd_methods)

    d = sub.add_parser("datasets", help="list the datasets present under the data root, with statistics")
    d.add_argument("--root", help="data root (default: $GRAPHSSL_DATA or ~/.cache/graphssl)")
    d.add_argument("--json", action="store_true", help="one JSON object per line")
    d.set_defaults(func=_cmd_datasets)

    t = sub.add_parser("pretrain", help="pretrain a method, then linear-probe its embeddings")
    t.add_argument("--method", default="graphmae", help="method name (see graphssl.methods.METHODS)")
    t.add_argument("--dataset", default="cora")
    t.add_argument("--root", help="data root")
    t.add_argument("--no-download", action="store_true", help="fail instead of downloading missing files")
    t.add_argument("--seeds", default="0", help="e.g. 0-4 or 0,1,2")
    t.add_argument("--config", help="YAML file overriding the packaged configuration")
    t.add_argument("--epochs", type=int, help="override the configured number of epochs")
    t.add_argument("--device", type=device_argument, default=default_device(), help="cpu, cuda or cuda:N")
    t.add_argument("--save-embeddings", help="write the first seed's embeddings (.pt or .npy)")
    t.add_argument("--json", action="store_true")
    from .minibatch_cli import add_minibatch_arguments
    add_minibatch_arguments(t)
    t.set_defaults(func=_cmd_pretrain)

    e = sub.add_parser("evaluate", help="linear-probe saved embeddings")
    e.add_argument("--embeddings", required=True)
    e.add_argument("--dataset", default="cora")
    e.add_argument("--root")
    e.add_argument("--no-download", action="store_true", help="fail instead of downloading missing files")
    e.add_argument("--method", help="take the probe settings of this method's config")
    e.add_argument("--seeds", default="0")
    e.add_argument("--json", action="store_true")
    from .eval.downstream_cli import add_evaluate_tasks_arguments
    add_evaluate_tasks_arguments(e)
    e.set_defaults(func=_cmd_evaluate)

    from .rec.pipeline import add_recommend_arguments
    add_recommend_arguments(sub.add_parser(
        "recommend", help="train a recommender (LightGCN/MF, optionally with an SSL head) and rank all items"))
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the CLI; errors in the user's input print one line and exit with status 2."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, ImportError, ConnectionError, FloatingPointError) as e:
        print(f"graphssl {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
