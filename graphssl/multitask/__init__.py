"""Multi-task self-supervised learning: several pretext tasks (or SSL methods) train one
shared encoder, reconciled by a task weighting (fixed, uncertainty, MGDA min-norm /
Pareto as in ParetoGNN, PCGrad).

* :class:`MultiTask` (registered method ``"multitask"``) and :class:`ParetoGNN`
  (``"paretognn"``: its five tasks with MGDA).
* :class:`PretextTask` and the ready tasks in :mod:`graphssl.multitask.tasks` (ParetoGNN's
  five and SelfTask-GNN's six), registered by name (:data:`TASKS`, :func:`build_task`).
* Weightings in :mod:`graphssl.multitask.weighting`; the min-norm solver in
  :mod:`graphssl.multitask.min_norm`.
* Graph utilities the tasks and the evaluators share: hop distances, edge removal and
  non-edge sampling (partition labels come from :func:`graphssl.sampling.partition_graph`).
"""
from . import tasks, weighting
from .edges import filter_edges, pair_keys, remove_pairs, sample_non_edges, undirected_pairs
from .method_task import MethodTask
from .min_norm import GRADIENT_NORMALIZATIONS, gradient_normalizers, min_norm_two, min_norm_weights, normalize_gram
from .multi_task import DEFAULT_ENCODER, MultiTask, ParetoGNN
from .shortest_paths import hop_distances
from .task import TASKS, GraphCache, PretextTask, build_task, register_task
from .tasks import PARETOGNN_TASKS, SELFTASK_TASKS
from .weighting import (WEIGHTINGS, FixedWeighting, MGDAWeighting, PCGradWeighting, UncertaintyWeighting, Weighting,
                        build_weighting, register_weighting)

__all__ = [
    "MultiTask", "ParetoGNN", "DEFAULT_ENCODER", "MethodTask",
    "PretextTask", "TASKS", "register_task", "build_task", "GraphCache", "PARETOGNN_TASKS", "SELFTASK_TASKS",
    "Weighting", "WEIGHTINGS", "register_weighting", "build_weighting", "FixedWeighting", "UncertaintyWeighting",
    "MGDAWeighting", "PCGradWeighting",
    "min_norm_weights", "min_norm_two", "gradient_normalizers", "normalize_gram", "GRADIENT_NORMALIZATIONS",
    "hop_distances", "filter_edges", "pair_keys", "remove_pairs", "sample_non_edges", "undirected_pairs",
    "tasks", "weighting",
]
