"""The ``--tasks`` option of ``graphssl evaluate``: ParetoGNN's four downstream tasks on
saved embeddings (``graphssl evaluate --embeddings emb.pt --dataset amazon-photo
--tasks all``)."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import torch

from .downstream import DOWNSTREAM_TASKS, evaluate_downstream, parse_tasks

__all__ = ["add_evaluate_tasks_arguments", "run_evaluate_tasks"]


def add_evaluate_tasks_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--tasks``, ``--link-embeddings``, ``--split-seed`` and ``--num-parts``."""
    parser.add_argument("--tasks", default="linear_probe",
                        help="linear_probe (the default: the dataset's split), or 'all' / a comma-separated list of "
                             f"{', '.join(DOWNSTREAM_TASKS)} (random 10/10/80 splits, one per --seeds entry)")
    parser.add_argument("--link-embeddings",
                        help="embeddings computed on the training graph of the edge split (split_edges(graph, "
                             "seed=--split-seed)) by an encoder pretrained on it; without them link prediction "
                             "uses --embeddings and is flagged link_prediction_edges_seen")
    parser.add_argument("--split-seed", type=int, default=0, help="seed of the link-prediction edge split")
    parser.add_argument("--num-parts", type=int, default=10, help="parts of the partition-prediction task")


def run_evaluate_tasks(args: argparse.Namespace, dataset: Any, embeddings: torch.Tensor) -> List[Dict[str, Any]]:
    """Evaluate ``embeddings`` of ``dataset``'s nodes on the tasks in ``args.tasks``.

    Returns:
        One record per metric (keys ``command``, ``dataset``, ``impl``, ``metric``,
        ``value``, and ``std`` where it applies), the means last.

    Raises:
        ValueError: unknown tasks, embeddings of the wrong shape.
        FileNotFoundError: a missing ``--link-embeddings`` file.
    """
    from ..cli import parse_seeds
    from .link_prediction import split_edges

    names = parse_tasks(args.tasks)
    seeds = parse_seeds(args.seeds)
    link_emb, split = None, None
    if "link_prediction" in names:
        split = split_edges(dataset.graph, seed=args.split_seed)
        if args.link_embeddings:
            path = Path(args.link_embeddings)
            if not path.is_file():
                raise FileNotFoundError(f"no link embeddings file at {path}")
            link_emb = (torch.from_numpy(np.load(path)) if path.suffix == ".npy"
                        else torch.load(path, map_location="cpu", weights_only=True))
            if not isinstance(link_emb, torch.Tensor) or link_emb.shape[0] != dataset.num_nodes:
                raise ValueError(f"{path} must hold a [{dataset.num_nodes}, D] tensor")
    res = evaluate_downstream(embeddings.float(), dataset.graph, dataset.y, names, link_embeddings=link_emb,
                              edge_split=split, seed=seeds[0], num_splits=len(seeds), clustering_seeds=seeds,
                              num_parts=args.num_parts)
    base = {"command": "evaluate", "dataset": args.dataset, "impl": "graphssl"}
    records = []
    for key, value in res.items():
        if key.endswith("_std") or key.endswith("_seconds") or key in ("mean", "harmonic_mean"):
            continue
        rec = {**base, "metric": key, "value": value}
        if f"{key}_std" in res:
            rec["std"] = res[f"{key}_std"]
        records.append(rec)
    tasks = list(names)
    records.append({**base, "metric": "mean", "value": res["mean"], "tasks": tasks, "seeds": seeds})
    records.append({**base, "metric": "harmonic_mean", "value": res["harmonic_mean"], "tasks": tasks, "seeds": seeds})
    return records
