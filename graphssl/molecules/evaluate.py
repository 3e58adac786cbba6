"""Scoring molecule predictions: OGB's official graph-property Evaluator (ROC-AUC; average
precision for ogbg-molmuv), with a scikit-learn fallback that applies the same rule.

The rule (OGB's ``_eval_rocauc`` / ``_eval_ap``): score every task that has at least one
positive and one negative label, on its labelled rows only (NaN = missing), and average
over those tasks.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any, Dict

import numpy as np
from torch import Tensor

from ..datasets.ogb_molecules import ogb_name

__all__ = ["MoleculeEvaluator", "molecule_metric", "NoScorableTaskError"]

_METRIC = {"ogbg-molmuv": "ap"}


class NoScorableTaskError(ValueError):
    """No task has both a positive and a negative label, so ROC-AUC / AP is undefined."""


def _ogb_evaluator_class() -> Any:
    """``ogb.graphproppred.Evaluator``, without importing ``ogb.graphproppred``'s package.

    That package's ``__init__`` also imports the PyG and DGL dataset classes (torch_geometric,
    dgl: seconds of import time); the Evaluator lives in ``evaluate.py``, which needs only
    numpy, pandas and scikit-learn. The official file is loaded unchanged.

    Raises:
        ImportError: ogb is not installed.
    """
    loaded = sys.modules.get("ogb.graphproppred")
    if loaded is not None:
        return loaded.Evaluator
    spec = importlib.util.find_spec("ogb")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("No module named 'ogb'")
    path = Path(list(spec.submodule_search_locations)[0]) / "graphproppred" / "evaluate.py"
    name = "graphssl._ogb_graphproppred_evaluate"
    mod = sys.modules.get(name)
    if mod is None:
        file_spec = importlib.util.spec_from_file_location(name, path)
        if file_spec is None or file_spec.loader is None or not path.is_file():
            raise ImportError(f"ogb is installed but {path} is missing")
        mod = importlib.util.module_from_spec(file_spec)
        file_spec.loader.exec_module(mod)
        sys.modules[name] = mod
    return mod.Evaluator


def molecule_metric(name: str) -> str:
    """``"ap"`` for ogbg-molmuv, ``"rocauc"`` for the other molecule sets (OGB's choice)."""
    return _METRIC.get(ogb_name(name), "rocauc")


def _numpy(t: Any) -> np.ndarray:
    a = t.detach().cpu().numpy() if isinstance(t, Tensor) else np.asarray(t)
    return a.astype(np.float64).reshape(a.shape[0], -1) if a.ndim else a


def _sklearn_eval(metric: str, y_true: np.ndarray, y_pred: np.ndarray) -> float:
    from sklearn.metrics import average_precision_score, roc_auc_score
    fn = roc_auc_score if metric == "rocauc" else average_precision_score
    scores = []
    for i in range(y_true.shape[1]):
        col = y_true[:, i]
        if (col == 1).any() and (col == 0).any():
            lab = ~np.isnan(col)
            scores.append(fn(col[lab], y_pred[lab, i]))
    if not scores:
        raise NoScorableTaskError("no task has both a positive and a negative label")
    return float(np.mean(scores))


class MoleculeEvaluator:
    """The evaluator of one molecule set.

    Args:
        name: ``"bbbp"`` or ``"ogbg-molbbbp"`` (any of the 8 sets).
        backend: ``"ogb"`` (the official Evaluator; the ``ogb`` extra), ``"sklearn"`` (same
            rule, scikit-learn) or ``"auto"`` (ogb when installed).

    Attributes:
        name: the OGB name; metric: ``"rocauc"`` or ``"ap"``; backend: the one in use.

    Raises:
        ValueError: unknown dataset or backend.
        ImportError: ``backend="ogb"`` without ``ogb`` installed (``pip install graphssl[ogb]``).

    Example:
        >>> ev = MoleculeEvaluator("bbbp")
        >>> ev.eval([[1.0], [0.0], [float("nan")]], [[0.9], [0.2], [0.5]])
        {'rocauc': 1.0}
    """

    def __init__(self, name: str, backend: str = "auto") -> None:
        if backend not in ("auto", "ogb", "sklearn"):
            raise ValueError(f"backend must be 'auto', 'ogb' or 'sklearn', got {backend!r}")
        self.name = ogb_name(name)
        self.metric = molecule_metric(self.name)
        self._ogb = None
        if backend in ("auto", "ogb"):
            try:
                Evaluator = _ogb_evaluator_class()
            except ImportError as e:
                if backend == "ogb":
                    raise ImportError("the official OGB Evaluator needs ogb: pip install graphssl[ogb] "
                                      "(or pip install ogb)") from e
            else:
                self._ogb = Evaluator(self.name)
                if self._ogb.eval_metric != self.metric:  # pragma: no cover - a future ogb changing metrics
                    raise ValueError(f"ogb scores {self.name} by {self._ogb.eval_metric}, expected {self.metric}")
        self.backend = "ogb" if self._ogb is not None else "sklearn"
        self.num_tasks = int(self._ogb.num_tasks) if self._ogb is not None else None

    def eval(self, y_true: Any, y_pred: Any) -> Dict[str, float]:
        """Score predictions.

        Args:
            y_true: ``[n, T]`` labels in {0, 1}, NaN = missing (``[n]`` for one task).
            y_pred: ``[n, T]`` scores (logits or probabilities: only the order matters).

        Returns:
            ``{metric: value}``.

        Raises:
            ValueError: shapes differ (or ``T`` is not the set's task count, with ogb).
            NoScorableTaskError: no task has both classes among its labelled rows.
        """
        yt, yp = _numpy(y_true), _numpy(y_pred)
        if yt.ndim != 2 or yt.shape != yp.shape:
            raise ValueError(f"{self.name}: y_true {yt.shape} and y_pred {yp.shape} must both be [n, T]")
        if self._ogb is None:
            return {self.metric: _sklearn_eval(self.metric, yt, yp)}
        if yt.shape[1] != self.num_tasks:
            raise ValueError(f"{self.name} has {self.num_tasks} tasks, got predictions for {yt.shape[1]}")
        try:
            out = self._ogb.eval({"y_true": yt, "y_pred": yp})
        except RuntimeError as e:  # ogb: "No positively labeled data available. Cannot compute ..."
            raise NoScorableTaskError(f"{self.name}: {e}") from None
        return {k: float(v) for k, v in out.items()}

    def score(self, y_true: Any, y_pred: Any) -> float:
        """The metric as a float, NaN when no task can be scored."""
        try:
            return self.eval(y_true, y_pred)[self.metric]
        except NoScorableTaskError:
            return float("nan")

    def __repr__(self) -> str:
        return f"MoleculeEvaluator({self.name!r}, metric={self.metric!r}, backend={self.backend!r})"
