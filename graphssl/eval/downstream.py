"""ParetoGNN's four downstream tasks on one set of embeddings, and their means.

Node classification (accuracy), node clustering (NMI), link prediction (AUC) and
partition prediction (accuracy) probe different things an embedding may keep; ParetoGNN
reports their arithmetic mean as its headline number. The harmonic mean is reported too:
it punishes an embedding that is good at three tasks and poor at the fourth.
"""
from __future__ import annotations

import time
from typing import Any, Dict, Optional, Sequence, Union

from torch import Tensor

from ..sparse import Graph
from .link_prediction import EdgeSplit, link_prediction, split_edges
from .node_classification import node_classification
from .node_clustering import node_clustering
from .partition_prediction import partition_prediction

__all__ = ["DOWNSTREAM_TASKS", "HEADLINE_METRICS", "evaluate_downstream", "harmonic_mean", "parse_tasks"]

#: The four downstream tasks, in ParetoGNN's order of discussion.
DOWNSTREAM_TASKS = ("node_classification", "node_clustering", "link_prediction", "partition_prediction")
#: The metric of each task that enters the means.
HEADLINE_METRICS = {"node_classification": "node_classification_acc", "node_clustering": "node_clustering_nmi",
                    "link_prediction": "link_prediction_auc", "partition_prediction": "partition_prediction_acc"}


def parse_tasks(tasks: Union[str, Sequence[str]]) -> tuple:
    """``"all"`` or a comma-separated string or list of task names -> a tuple of names.

    Raises:
        ValueError: an unknown or repeated name, or none.
    """
    names = [t.strip() for t in tasks.split(",")] if isinstance(tasks, str) else [str(t) for t in tasks]
    names = [t for t in names if t]
    if names == ["all"]:
        return DOWNSTREAM_TASKS
    unknown = sorted(set(names) - set(DOWNSTREAM_TASKS))
    if unknown or not names or len(set(names)) != len(names):
        raise ValueError(f"bad downstream tasks {tasks!r}; choose 'all' or some of {', '.join(DOWNSTREAM_TASKS)}")
    return tuple(names)


def harmonic_mean(values: Sequence[float]) -> float:
    """``k / sum(1 / v)`` of positive values; 0 when any value is <= 0.

    Raises:
        ValueError: no value.
    """
    vals = [float(v) for v in values]
    if not vals:
        raise ValueError("harmonic_mean needs at least one value")
    if min(vals) <= 0.0:
        return 0.0
    return len(vals) / sum(1.0 / v for v in vals)


def evaluate_downstream(embeddings: Tensor, graph: Graph, labels: Optional[Tensor],
                        tasks: Union[str, Sequence[str]] = "all", link_embeddings: Optional[Tensor] = None,
                        edge_split: Optional[EdgeSplit] = None, partition_labels: Optional[Tensor] = None,
                        seed: int = 0, num_splits: int = 10, clustering_seeds: Sequence[int] = (0, 1, 2, 3, 4),
                        num_parts: int = 10, link_options: Optional[Dict[str, Any]] = None,
                        probe_options: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Run the downstream tasks and report each metric and the means of the headline ones.

    Args:
        embeddings: ``[N, D]`` node embeddings for the node-level tasks.
        graph: the full graph (partitioned for partition prediction; split for link
            prediction when ``edge_split`` is None).
        labels: ``[N]`` node classes (needed for classification and clustering).
        tasks: ``"all"`` or names from :data:`DOWNSTREAM_TASKS`.
        link_embeddings: embeddings computed on ``edge_split.train_graph`` by an encoder
            pretrained without the held-out edges. Without them ``embeddings`` are used and
            the result carries ``"link_prediction_edges_seen": True``: the encoder saw the
            test edges, so the AUC is optimistic.
        edge_split: the split for link prediction (default ``split_edges(graph, seed=seed)``).
        partition_labels: precomputed partition labels (default: METIS with ``num_parts``).
        seed: seeds the splits, probes and scorer.
        num_splits: random splits of the classification probes.
        clustering_seeds: k-means seeds.
        num_parts: parts of the partition task.
        link_options, probe_options: extra options of :func:`link_prediction` and of the
            linear probes.

    Returns:
        A flat dict: ``node_classification_acc`` (+ ``_std``), ``node_clustering_nmi``,
        ``node_clustering_ari`` (+ stds), ``link_prediction_auc``, ``link_prediction_hits@K``,
        ``partition_prediction_acc`` (+ ``_std``), ``<task>_seconds``, and over the headline
        metrics of the tasks run ``mean`` (arithmetic, ParetoGNN's number) and
        ``harmonic_mean``.

    Raises:
        ValueError: unknown tasks, missing labels for a label task, shapes that disagree.
    """
    names = parse_tasks(tasks)
    if labels is None and {"node_classification", "node_clustering"} & set(names):
        raise ValueError("node classification and clustering need node labels")
    if embeddings.dim() != 2 or embeddings.size(0) != graph.num_nodes:
        raise ValueError(f"embeddings must be [{graph.num_nodes}, D], got {tuple(embeddings.shape)}")
    probe = dict(probe_options or {})
    out: Dict[str, Any] = {}
    for name in names:
        t0 = time.perf_counter()
        if name == "node_classification":
            r = node_classification(embeddings, labels, num_splits=num_splits, seed=seed, **probe)
            out.update(node_classification_acc=r["acc"], node_classification_acc_std=r["std"])
        elif name == "node_clustering":
            r = node_clustering(embeddings, labels, seeds=clustering_seeds)
            out.update(node_clustering_nmi=r["nmi"], node_clustering_nmi_std=r["nmi_std"],
                       node_clustering_ari=r["ari"], node_clustering_ari_std=r["ari_std"])
        elif name == "link_prediction":
            split = edge_split if edge_split is not None else split_edges(graph, seed=seed)
            emb = link_embeddings if link_embeddings is not None else embeddings
            r = link_prediction(emb, split, seed=seed, **dict(link_options or {}))
            out.update({f"link_prediction_{k}": v for k, v in r.items()})
            out["link_prediction_edges_seen"] = link_embeddings is None
        else:
            r = partition_prediction(embeddings, graph, num_parts=num_parts, labels=partition_labels,
                                     partition_seed=seed, num_splits=num_splits, seed=seed, **probe)
            out.update(partition_prediction_acc=r["acc"], partition_prediction_acc_std=r["std"])
        out[f"{name}_seconds"] = round(time.perf_counter() - t0, 3)
    headline = [float(out[HEADLINE_METRICS[n]]) for n in names]
    out["mean"] = sum(headline) / len(headline)
    out["harmonic_mean"] = harmonic_mean(headline)
    return out
