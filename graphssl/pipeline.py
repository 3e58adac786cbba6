"""End-to-end runs shared by the CLI and the benchmarks: pretrain a method on a dataset
with its configuration, then evaluate the frozen embeddings with the paper's protocol
(linear probe for node tasks, SVM cross-validation for graph tasks)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple, Union

import torch
from torch import Tensor

from .checks import check_int
from .eval import linear_probe, logistic_regression, mean_std, ogb_eval_metric, rankme, svm_cross_validation
from .loader import GraphLoader
from .methods import SSLMethod, build_method, check_level
from .sparse import Graph, GraphItem
from .devices import resolve_device
from .distributed import is_main_process
from .train import Trainer, seed_everything
from .transforms import prepare

__all__ = ["NodeInput", "RunResult", "node_splits", "probe_node_embeddings", "pretrain_node", "pretrain_graph",
           "PROBE_PROTOCOLS"]

#: Node-classification protocols a config's ``probe: protocol:`` can name.
PROBE_PROTOCOLS = ("linear_probe", "logistic_regression")
_SPLITS = ("auto", "public", "random")
# Options of each protocol; a config may carry the other protocol's (e.g. a default.yaml
# for the public splits under a dataset file that switches protocol): those are ignored.
_PROTOCOL_OPTIONS = {"linear_probe": ("epochs", "lr", "weight_decay", "device", "select", "repeats"),
                     "logistic_regression": ("c_grid", "normalize", "max_iter", "tol", "device")}
_GRAPH_PROBE_OPTIONS = ("folds", "fold_seed")  # the SVM protocol's, for graph-level configs


@dataclass
class NodeInput:
    """A (graph, features) pair: the minimal input an SSL method takes."""

    graph: Graph
    x: Tensor


@dataclass
class RunResult:
    """One seed's outcome."""

    method: SSLMethod
    embeddings: Tensor
    test_acc: float
    val_acc: Optional[float]
    test_std: Optional[float]
    rankme: float
    seconds: float
    epoch_seconds: float
    metric: str = "acc"
    evaluator: Optional[str] = None  # "ogb" when OGB's official Evaluator scored the probe
    best_epoch: Optional[int] = None  # 1-based epoch kept by validation (``train.probe_every``)


def node_splits(ds: Any, seed: int):
    """The dataset's public split, else a seeded 10% / 10% / 80% random split."""
    if getattr(ds, "train_mask", None) is not None:
        return ds.train_mask, ds.val_mask, ds.test_mask
    from .datasets import random_split
    return random_split(ds.y, train=0.1, val=0.1, seed=seed)


def probe_node_embeddings(emb: Tensor, ds: Any, probe: Dict[str, Any], seed: int
                          ) -> Tuple[float, float, Optional[float]]:
    """Score node embeddings with the protocol a config's ``probe`` section names.

    Keys of ``probe`` (all optional):

    * ``protocol``: ``"linear_probe"`` (default; Adam-trained linear layer, test accuracy
      at the best validation epoch; its settings ``epochs``, ``lr``, ``weight_decay``) or
      ``"logistic_regression"`` (L2-normalised embeddings, L-BFGS logistic regression with
      ``C`` chosen on the validation split; settings ``c_grid``, ``normalize``,
      ``max_iter``, ``tol``), the random-split protocol of BGRL/GCA on Amazon/Coauthor/
      WikiCS. Settings of the protocol not in use are ignored.
    * ``split``: ``"auto"`` (default: the dataset's public split if it has one, else
      random), ``"public"`` or ``"random"`` (``train_ratio`` / ``val_ratio``, default
      10% / 10%, the rest test).
    * ``num_splits``: splits to average over (default 1): random splits seeded
      ``split_seed`` (default: the run's seed), ``split_seed + 1``, ...; or, with the
      public split of a dataset that ships several (WikiCS's 20), the first ``num_splits``.

    On an OGB dataset (ogbn-arxiv, ogbn-products) the ``linear_probe`` protocol scores every
    split, and selects its epoch, with OGB's official Evaluator (its metric: accuracy); this
    needs the ``ogb`` package.

    Returns:
        ``(test_acc, val_acc, test_std)``: means over the splits (``test_std`` is None for
        a single split).

    Raises:
        ValueError: an unknown protocol, split or option, a public split the dataset lacks.
    """
    probe = dict(probe)
    protocol = probe.pop("protocol", "linear_probe")
    if protocol not in PROBE_PROTOCOLS:
        raise ValueError(f"unknown probe protocol {protocol!r}; expected one of {PROBE_PROTOCOLS}")
    split = probe.pop("split", "auto")
    if split not in _SPLITS:
        raise ValueError(f"unknown probe split {split!r}; expected one of {_SPLITS}")
    num_splits = check_int("probe num_splits", probe.pop("num_splits", 1))
    split_seed = check_int("probe split_seed", probe.pop("split_seed", seed), low=0)
    train_ratio, val_ratio = float(probe.pop("train_ratio", 0.1)), float(probe.pop("val_ratio", 0.1))
    has_public = getattr(ds, "train_mask", None) is not None
    if split == "public" and not has_public:
        raise ValueError("probe split 'public' asked for, but the dataset has no public split")
    use_public = has_public and split != "random"
    many = (getattr(ds, "extras", None) or {}).get("train_masks") if use_public else None
    if use_public and (many is None or num_splits == 1):
        num_splits = 1
    elif many is not None:  # several public splits (WikiCS: 20 train/val splits, one test set)
        num_splits = min(num_splits, many.size(1))
    known = set(_PROTOCOL_OPTIONS["linear_probe"]) | set(_PROTOCOL_OPTIONS["logistic_regression"])
    unknown = sorted(set(probe) - known - set(_GRAPH_PROBE_OPTIONS))
    if unknown:
        raise ValueError(f"unknown probe options {unknown}; known: protocol, split, num_splits, split_seed, "
                         f"train_ratio, val_ratio, {', '.join(sorted(known))}")
    opts = {k: v for k, v in probe.items() if k in _PROTOCOL_OPTIONS[protocol]}
    fn = linear_probe if protocol == "linear_probe" else logistic_regression
    if protocol == "linear_probe" and _is_ogb(ds):
        from .eval.ogb_evaluator import OGBEvaluator
        opts["score"] = OGBEvaluator(ds.name).probe_score
    y = ds.y.to(emb.device)
    tests, vals = [], []
    for i in range(num_splits):
        if use_public and many is not None and num_splits > 1:
            masks = (many[:, i], ds.extras["val_masks"][:, i], ds.test_mask)
        elif use_public:
            masks = (ds.train_mask, ds.val_mask, ds.test_mask)
        else:
            from .datasets import random_split
            masks = random_split(ds.y, train=train_ratio, val=val_ratio, seed=split_seed + i)
        tr, va, te = (m.to(emb.device) for m in masks)
        res = fn(emb, y, tr, va, te, **(dict(opts, seed=seed) if protocol == "linear_probe" else opts))
        tests.append(res.test_acc)
        vals.append(res.val_acc)
    test, std = mean_std(tests)
    return test, sum(vals) / len(vals), (std if num_splits > 1 else None)


def _is_ogb(ds: Any) -> bool:
    from .datasets.ogb import is_ogb_dataset
    return is_ogb_dataset(ds)


def _loss_early_stopping(trainer: Trainer, patience: int) -> None:
    """Stop when the training loss has not improved for ``patience`` epochs and keep the
    weights of the best-loss epoch (DGI's and MVGRL's schedule)."""
    trainer.validate = lambda _method: -trainer.history.losses[-1]
    trainer.validate_every, trainer.patience = 1, int(patience)


def pretrain_node(ds: Any, method_name: str, cfg: Dict[str, Any], seed: int,
                  device: Union[str, torch.device] = "cpu", progress: bool = False) -> RunResult:
    """Pretrain ``method_name`` on a node dataset (``.graph``, ``.x``, ``.y``, masks) and
    score its embeddings with the config's probe protocol (:func:`probe_node_embeddings`).

    Args:
        cfg: a configuration from :func:`graphssl.config.load_config`. Besides the
            :class:`Trainer` arguments, ``train`` may hold ``loss_patience``: stop when the
            training loss has not improved for that many epochs, keeping the best weights;
            or ``probe_every``: every that many epochs, score the embeddings with the
            config's probe on the *validation* split and keep the weights of the best epoch
            (the test split is read once, at the end).
            A ``minibatch`` section (:func:`graphssl.minibatch.sampler_from_config`:
            ``sampler``, ``batch_size``, ``fanouts``, ...) trains on sampled mini-batches
            and embeds layer-wise (:func:`graphssl.minibatch.embed_layerwise`).

    Under DDP (``torchrun``) every rank trains; only rank 0 embeds and probes (the other
    ranks return NaN scores and no embeddings).

    Raises:
        ValueError: a method that embeds no nodes, a ``device`` this machine cannot use
            (checked before any work), a bad ``train`` option.
    """
    check_level(method_name, "node")
    device = resolve_device(device)
    t0 = time.perf_counter()
    seed_everything(seed)
    graph, x = prepare(ds.graph, ds.x, cfg.get("data", {}))
    minibatch = cfg.get("minibatch")
    # Mini-batch runs sample the CPU graph and gather features there (each batch goes to
    # the device); full-graph runs move everything to the device.
    data = NodeInput(graph, x) if minibatch else NodeInput(graph.to(device), x.to(device))
    method = build_method(method_name, in_dim=x.size(1), **cfg.get("method", {})).to(device)
    train_cfg = dict(cfg.get("train", {}))
    loss_patience = train_cfg.pop("loss_patience", None)
    probe_every = train_cfg.pop("probe_every", None)
    if probe_every is not None:
        check_int("train.probe_every", probe_every)
    if probe_every is not None and loss_patience is not None:
        raise ValueError("train.probe_every and train.loss_patience both choose which epoch's weights are "
                         "kept; set only one")
    if minibatch:
        from .minibatch import embed_layerwise, sampler_from_config
        _, sampler_kw, embed_batch = sampler_from_config(graph, minibatch, seed)
        train_cfg.update(sampler_kw)

    def embed(m: SSLMethod) -> Tensor:
        return embed_layerwise(m, data, embed_batch, device) if minibatch else m.embed(data)

    trainer = Trainer(method, seed=seed, progress=progress, **train_cfg)
    if loss_patience is not None:
        _loss_early_stopping(trainer, loss_patience)
    if probe_every is not None:
        trainer.validate = lambda m: probe_node_embeddings(embed(m), ds, cfg.get("probe", {}), seed)[1]
        trainer.validate_every = probe_every
    t1 = time.perf_counter()
    trainer.fit(data)
    train_s = time.perf_counter() - t1
    epochs = max(len(trainer.history.losses), 1)
    if trainer.distributed and not is_main_process():  # rank 0 alone embeds, probes, reports
        nan = float("nan")
        return RunResult(method, None, nan, nan, None, nan, time.perf_counter() - t0, train_s / epochs)
    emb = embed(method)
    test_acc, val_acc, test_std = probe_node_embeddings(emb, ds, cfg.get("probe", {}), seed)
    ogb = _is_ogb(ds) and cfg.get("probe", {}).get("protocol", "linear_probe") == "linear_probe"
    best = trainer.history.best_epoch + 1 if probe_every is not None and trainer.history.best_epoch >= 0 else None
    return RunResult(method, emb, test_acc, val_acc, test_std, rankme(emb),
                     time.perf_counter() - t0, train_s / epochs,
                     metric=(ogb_eval_metric(ds.name) or "acc") if ogb else "acc", evaluator="ogb" if ogb else None,
                     best_epoch=best)


def _graph_samples(ds: Any, cfg: Dict[str, Any]) -> Tuple[List[GraphItem], int]:
    """Apply the ``data`` section to every graph: degree features (for featureless
    datasets such as IMDB) and self-loops. Edge attributes are dropped when self-loops are
    added (the methods here do not use them)."""
    if cfg.get("degree_features") or getattr(ds, "num_features", 0) == 0:
        from .datasets import degree_features
        ds = degree_features(ds)
    node_cfg = {k: cfg[k] for k in ("normalize_features", "self_loops") if k in cfg}
    items = []
    for i, s in enumerate(ds):
        g, x = prepare(s.graph, s.x, node_cfg, where=f"node features of graph {i}")
        items.append(GraphItem(graph=g, x=x, y=s.y, edge_attr=None if g is not s.graph else s.edge_attr))
    return items, int(items[0].x.size(1))


@torch.no_grad()
def _embed_graphs(method: SSLMethod, ds: Any, batch_size: int, device) -> Tensor:
    return torch.cat([method.embed(b.to(device)) for b in GraphLoader(ds, batch_size, shuffle=False)])


def pretrain_graph(ds: Any, method_name: str, cfg: Dict[str, Any], seed: int,
                   device: Union[str, torch.device] = "cpu", progress: bool = False) -> RunResult:
    """Pretrain ``method_name`` on a graph-classification dataset in mini-batches, pool the
    node embeddings per graph (the method's ``embed`` does) and score them with SVM 10-fold
    cross-validation.

    ``cfg["train"]`` may hold ``loss_patience`` as in :func:`pretrain_node` (on the mean
    batch loss of each epoch).

    Raises:
        ValueError: a method that embeds no graphs, or a ``device`` this machine cannot use
            (checked before any work).
    """
    check_level(method_name, "graph")
    device = resolve_device(device)
    t0 = time.perf_counter()
    seed_everything(seed)
    data_cfg = cfg.get("data", {})
    ds, num_features = _graph_samples(ds, data_cfg)
    batch_size = int(data_cfg.get("batch_size", 32))
    method = build_method(method_name, in_dim=num_features, **cfg.get("method", {})).to(device)
    loader = GraphLoader(ds, batch_size, shuffle=True, seed=seed)
    batches = _OnDevice(loader, device)
    train_cfg = dict(cfg.get("train", {}))
    loss_patience = train_cfg.pop("loss_patience", None)
    trainer = Trainer(method, seed=seed, progress=progress, **train_cfg)
    if loss_patience is not None:  # on the epoch's mean batch loss
        _loss_early_stopping(trainer, loss_patience)
    t1 = time.perf_counter()
    trainer.fit(batches)
    train_s = time.perf_counter() - t1
    emb = _embed_graphs(method, ds, batch_size, device)
    if emb.dim() != 2 or emb.size(0) != len(ds):
        raise ValueError(f"method {method_name!r} returned embeddings of shape {tuple(emb.shape)} for {len(ds)} "
                         "graphs: it embeds nodes, not graphs, with this configuration (a graph-level setting, "
                         "such as MVGRL's level: graph, or a pooling readout is needed)")
    y = torch.stack([torch.as_tensor(s.y).reshape(()) for s in ds])
    probe = cfg.get("probe", {})
    svm_kw = {k: probe[k] for k in ("c_grid", "folds") if k in probe}  # the rest is the node probe's
    # ``fold_seed`` fixes the folds across pretraining seeds (GraphMAE's protocol uses 0).
    res = svm_cross_validation(emb, y, seed=int(probe.get("fold_seed", seed)), **svm_kw)
    epochs = max(len(trainer.history.losses), 1)
    return RunResult(method, emb, res["acc"], None, res["std"], rankme(emb),
                     time.perf_counter() - t0, train_s / epochs)


class _OnDevice:
    """Moves each batch of a re-iterable loader to ``device``."""

    def __init__(self, loader: GraphLoader, device) -> None:
        self.loader, self.device = loader, torch.device(device)

    def __iter__(self):
        for b in self.loader:
            yield b.to(self.device)
