"""End-to-end runs shared by the CLI and the benchmarks: pretrain a method on a dataset
with its configuration, then evaluate the frozen embeddings with the paper's protocol
(linear probe for node tasks, SVM cross-validation for graph tasks)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple, Union

import torch
from torch import Tensor

from .eval import linear_probe, rankme, svm_cross_validation
from .loader import GraphLoader
from .methods import SSLMethod, build_method
from .sparse import Graph, GraphItem
from .train import Trainer, seed_everything
from .transforms import prepare

__all__ = ["NodeInput", "RunResult", "node_splits", "pretrain_node", "pretrain_graph"]


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


def node_splits(ds: Any, seed: int):
    """The dataset's public split, else a seeded 10% / 10% / 80% random split."""
    if getattr(ds, "train_mask", None) is not None:
        return ds.train_mask, ds.val_mask, ds.test_mask
    from .datasets import random_split
    return random_split(ds.y, train=0.1, val=0.1, seed=seed)


def pretrain_node(ds: Any, method_name: str, cfg: Dict[str, Any], seed: int,
                  device: Union[str, torch.device] = "cpu", progress: bool = False) -> RunResult:
    """Pretrain ``method_name`` on a node dataset (``.graph``, ``.x``, ``.y``, masks) and
    linear-probe its embeddings.

    Args:
        cfg: a configuration from :func:`graphssl.config.load_config`.
    """
    t0 = time.perf_counter()
    seed_everything(seed)
    graph, x = prepare(ds.graph, ds.x, cfg.get("data", {}))
    data = NodeInput(graph.to(device), x.to(device))
    method = build_method(method_name, in_dim=x.size(1), **cfg.get("method", {})).to(device)
    trainer = Trainer(method, seed=seed, progress=progress, **cfg.get("train", {}))
    t1 = time.perf_counter()
    trainer.fit(data)
    train_s = time.perf_counter() - t1
    emb = method.embed(data)
    tr, va, te = node_splits(ds, seed)
    res = linear_probe(emb, ds.y.to(emb.device), tr.to(emb.device), va.to(emb.device), te.to(emb.device),
                       seed=seed, **cfg.get("probe", {}))
    epochs = max(len(trainer.history.losses), 1)
    return RunResult(method, emb, res.test_acc, res.val_acc, None, rankme(emb),
                     time.perf_counter() - t0, train_s / epochs)


def _graph_samples(ds: Any, cfg: Dict[str, Any]) -> Tuple[List[GraphItem], int]:
    """Apply the ``data`` section to every graph: degree features (for featureless
    datasets such as IMDB) and self-loops. Edge attributes are dropped when self-loops are
    added (the methods here do not use them)."""
    if cfg.get("degree_features") or getattr(ds, "num_features", 0) == 0:
        from .datasets import degree_features
        ds = degree_features(ds)
    node_cfg = {k: cfg[k] for k in ("normalize_features", "self_loops") if k in cfg}
    items = []
    for s in ds:
        g, x = prepare(s.graph, s.x, node_cfg)
        items.append(GraphItem(graph=g, x=x, y=s.y, edge_attr=None if g is not s.graph else s.edge_attr))
    return items, int(items[0].x.size(1))


@torch.no_grad()
def _embed_graphs(method: SSLMethod, ds: Any, batch_size: int, device) -> Tensor:
    return torch.cat([method.embed(b.to(device)) for b in GraphLoader(ds, batch_size, shuffle=False)])


def pretrain_graph(ds: Any, method_name: str, cfg: Dict[str, Any], seed: int,
                   device: Union[str, torch.device] = "cpu", progress: bool = False) -> RunResult:
    """Pretrain ``method_name`` on a graph-classification dataset in mini-batches, pool the
    node embeddings per graph and score them with SVM 10-fold cross-validation."""
    t0 = time.perf_counter()
    seed_everything(seed)
    data_cfg = cfg.get("data", {})
    ds, num_features = _graph_samples(ds, data_cfg)
    batch_size = int(data_cfg.get("batch_size", 32))
    method = build_method(method_name, in_dim=num_features, **cfg.get("method", {})).to(device)
    loader = GraphLoader(ds, batch_size, shuffle=True, seed=seed)
    batches = _OnDevice(loader, device)
    trainer = Trainer(method, seed=seed, progress=progress, **cfg.get("train", {}))
    t1 = time.perf_counter()
    trainer.fit(batches)
    train_s = time.perf_counter() - t1
    emb = _embed_graphs(method, ds, batch_size, device)
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
