"""Graph-level SVM protocol: SVC with a grid over C, stratified 10-fold cross-validation
(InfoGraph / GraphCL / GraphMAE). The grid is searched inside each training fold, so the
test fold never drives selection."""
from __future__ import annotations

from typing import Dict, Sequence

import numpy as np
from torch import Tensor

__all__ = ["svm_cross_validation"]


def _sklearn():
    try:
        from sklearn.model_selection import GridSearchCV, StratifiedKFold
        from sklearn.svm import SVC
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("the SVM protocol needs scikit-learn: pip install graphssl[sklearn]") from None
    return GridSearchCV, StratifiedKFold, SVC


def svm_cross_validation(embeddings: Tensor, labels: Tensor, folds: int = 10, seed: int = 0,
                         c_grid: Sequence[float] = (1e-3, 1e-2, 1e-1, 1, 10, 100, 1000)) -> Dict[str, float]:
    """Mean and std of the test accuracy of an SVC over stratified folds.

    Args:
        embeddings: ``[B, D]`` graph embeddings.
        labels: ``[B]`` integer labels.
        folds: number of outer folds (10 in the papers).
        seed: shuffles the folds.
        c_grid: values of C searched by an inner 5-fold CV on each training fold.

    Returns:
        ``{"acc": mean, "std": std}``.

    Raises:
        ValueError: shapes disagree or a class has fewer members than ``folds``.
    """
    GridSearchCV, StratifiedKFold, SVC = _sklearn()
    x = embeddings.detach().cpu().double().numpy()
    y = labels.detach().cpu().numpy().reshape(-1)
    if x.ndim != 2 or x.shape[0] != y.shape[0]:
        raise ValueError(f"embeddings {x.shape} and labels {y.shape} disagree")
    counts = np.bincount(y - y.min())
    if counts[counts > 0].min() < folds:
        raise ValueError(f"a class has {counts[counts > 0].min()} graphs, fewer than folds={folds}")
    accs = []
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
        inner = GridSearchCV(SVC(), {"C": list(c_grid)}, cv=5, n_jobs=1)
        inner.fit(x[train], y[train])
        accs.append(float((inner.predict(x[test]) == y[test]).mean()))
    return {"acc": float(np.mean(accs)), "std": float(np.std(accs))}
