"""The official OGB Evaluator, fed graphssl's tensors: node property metrics (accuracy,
ROC-AUC) and link property metrics (Hits@K, MRR, ROC-AUC), named as OGB names them.

The ``ogb`` package is an optional extra, imported only when an evaluator is built
(``pip install ogb`` or ``pip install 'graphssl[ogb]'``).

Example:
    >>> ev = OGBEvaluator("ogbn-arxiv")                      # doctest: +SKIP
    >>> ev.eval_nodes(torch.tensor([0, 1, 2]), torch.tensor([0, 1, 1]))   # doctest: +SKIP
    {'acc': 0.6666666666666666}
"""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Dict, Optional

import numpy as np
import torch
from torch import Tensor

__all__ = ["OGBEvaluator", "import_ogb", "ogb_eval_metric", "OGB_INSTALL_HINT"]

OGB_INSTALL_HINT = "pip install ogb  (or: pip install 'graphssl[ogb]')"


def import_ogb(module: str = "ogb") -> ModuleType:
    """Import ``module`` of the ``ogb`` package.

    Raises:
        ImportError: ``ogb`` is not installed; the message says how to install it.
    """
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(f"{module} is needed for OGB's official Evaluator but could not be imported ({e}); "
                          f"install it with: {OGB_INSTALL_HINT}") from e


def _norm(name: str) -> str:
    return str(name).lower().replace("_", "-")


def ogb_eval_metric(name: str) -> Optional[str]:
    """The official metric of a dataset graphssl loads from OGB's format (``"acc"`` for
    ogbn-arxiv, ``"hits@50"`` for ogbl-collab), else None. Needs no ``ogb`` package."""
    from ..datasets.ogb_format import OGB_DATASETS
    info = OGB_DATASETS.get(_norm(name))
    return info.eval_metric if info is not None else None


def _numpy(t: Any) -> np.ndarray:
    return t.detach().cpu().numpy() if isinstance(t, Tensor) else np.asarray(t)


class OGBEvaluator:
    """``ogb.nodeproppred.Evaluator`` / ``ogb.linkproppred.Evaluator`` for one dataset.

    Args:
        name: any OGB node (``ogbn-*``) or link (``ogbl-*``) dataset ``ogb`` knows.

    Attributes:
        name: the OGB name.
        kind: ``"node"`` or ``"link"``.
        metric: OGB's metric name (``"acc"``, ``"rocauc"``, ``"hits@50"``, ``"mrr"``).
        num_tasks: label columns (node datasets; 0 for links).

    Raises:
        ValueError: not an ``ogbn-``/``ogbl-`` name, or a name ``ogb`` does not know.
        ImportError: ``ogb`` is not installed (with the install command).
    """

    def __init__(self, name: str) -> None:
        name = _norm(name)
        if name.startswith("ogbn-"):
            self.kind, module = "node", "ogb.nodeproppred"
        elif name.startswith("ogbl-"):
            self.kind, module = "link", "ogb.linkproppred"
        else:
            raise ValueError(f"{name!r} is not an OGB node (ogbn-*) or link (ogbl-*) property dataset")
        mod = import_ogb(module)
        try:
            self._evaluator = mod.Evaluator(name)
        except ValueError:
            raise ValueError(f"ogb's {module}.Evaluator does not know dataset {name!r}") from None
        self.name = name
        self.metric: str = str(self._evaluator.eval_metric)
        self.num_tasks: int = int(getattr(self._evaluator, "num_tasks", 0))

    def __repr__(self) -> str:
        return f"OGBEvaluator({self.name!r}, metric={self.metric!r})"

    # ------------------------------------------------------------------ node property
    def eval_nodes(self, y_true: Any, y_pred: Any) -> Dict[str, float]:
        """Score node predictions.

        Args:
            y_true: ``[n]`` or ``[n, num_tasks]`` labels (NaN = unlabelled, for ``rocauc``).
            y_pred: for ``acc``: predicted class ids of the same shape, or ``[n, C]`` class
                scores (``C != num_tasks``) whose argmax is taken; for ``rocauc``:
                ``[n, num_tasks]`` scores.

        Returns:
            ``{metric: value}`` as OGB computes it (``{"acc": 0.71}``).

        Raises:
            ValueError: a link evaluator, or shapes OGB cannot score.
        """
        if self.kind != "node":
            raise ValueError(f"{self.name} is a link property dataset; use eval_links")
        yt, yp = _numpy(y_true), _numpy(y_pred)
        if yt.ndim == 1:
            yt = yt.reshape(-1, 1)
        if self.metric == "acc" and yp.ndim == 2 and yp.shape[1] != self.num_tasks:
            yp = yp.argmax(1)
        if yp.ndim == 1:
            yp = yp.reshape(-1, 1)
        if yt.shape != yp.shape or yt.shape[1] != self.num_tasks:
            raise ValueError(f"{self.name}: y_true {yt.shape} and y_pred {yp.shape} must both be "
                             f"[n, {self.num_tasks}] (or [n] for one task)")
        try:
            out = self._evaluator.eval({"y_true": yt, "y_pred": yp})
        except RuntimeError as e:  # ogb reports bad input as RuntimeError
            raise ValueError(f"{self.name}: OGB's Evaluator refused the input: {e}") from None
        return {k: float(v) for k, v in out.items()}

    def probe_score(self, logits: Tensor, labels: Tensor) -> float:
        """The metric of class scores ``[n, C]`` against labels ``[n]``: the ``score``
        hook of :func:`graphssl.eval.linear_probe` for single-task OGB datasets.

        Raises:
            ValueError: the dataset's metric is not accuracy (a softmax probe does not fit
                ROC-AUC multi-label tasks such as ogbn-proteins).
        """
        if self.metric != "acc":
            raise ValueError(f"{self.name} is scored by {self.metric}; the softmax linear probe only fits "
                             f"single-task accuracy datasets")
        return self.eval_nodes(labels.reshape(-1, 1), logits.argmax(1).reshape(-1, 1))[self.metric]

    # ------------------------------------------------------------------ link property
    def eval_links(self, pos_scores: Any, neg_scores: Any) -> Dict[str, float]:
        """Score link predictions.

        Args:
            pos_scores: ``[P]`` scores of the positive edges.
            neg_scores: ``[K]`` scores of the negative edges (Hits@K, ROC-AUC: every positive
                ranked against all of them) or ``[P, K]`` (MRR: positive ``i`` against row ``i``).

        Returns:
            ``{metric: value}`` (``{"hits@50": 0.5}``); for MRR datasets the means of OGB's
            per-edge lists: ``{"mrr", "hits@1", "hits@3", "hits@10"}``.

        Raises:
            ValueError: a node evaluator, or shapes OGB cannot score.
        """
        if self.kind != "link":
            raise ValueError(f"{self.name} is a node property dataset; use eval_nodes")
        pos = pos_scores.detach().cpu().float() if isinstance(pos_scores, Tensor) else torch.as_tensor(pos_scores)
        neg = neg_scores.detach().cpu().float() if isinstance(neg_scores, Tensor) else torch.as_tensor(neg_scores)
        try:
            out = self._evaluator.eval({"y_pred_pos": pos.reshape(-1), "y_pred_neg": neg})
        except RuntimeError as e:
            raise ValueError(f"{self.name}: OGB's Evaluator refused the input: {e}") from None
        res = {}
        for k, v in out.items():
            if k.endswith("_list"):
                res[k[:-len("_list")]] = float(torch.as_tensor(v).float().mean())
            else:
                res[k] = float(v)
        return res
