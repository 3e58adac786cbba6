"""Node classification in ParetoGNN's protocol: an L2-regularised logistic regression on
l2-normalised frozen embeddings, its regularisation chosen on validation nodes, over
several random 10% / 10% / 80% splits."""
from __future__ import annotations

from typing import Any, Dict

import numpy as np
from torch import Tensor

from .logistic_regression import logistic_regression

__all__ = ["node_classification"]


def node_classification(embeddings: Tensor, labels: Tensor, num_splits: int = 10, seed: int = 0,
                        train: float = 0.1, val: float = 0.1, normalize: bool = True,
                        **probe: Any) -> Dict[str, float]:
    """Mean test accuracy of a logistic-regression probe over ``num_splits`` random splits.

    Each split draws ``train`` / ``val`` / rest of the labelled nodes (seeds ``seed``,
    ``seed + 1``, ...); the probe (:func:`graphssl.eval.logistic_regression`: multinomial,
    L-BFGS, one fit per inverse regularisation strength ``C`` of a ``2^-10 .. 2^10`` grid
    as ParetoGNN's) reports the test accuracy at the ``C`` with the best validation
    accuracy, so the test nodes never drive selection.

    Args:
        embeddings: ``[N, D]`` node embeddings.
        labels: ``[N]`` int64 classes (``< 0``: no label, left out of every split).
        num_splits: number of random splits (ParetoGNN: 10).
        seed: seed of the first split.
        train, val: fractions of the labelled nodes.
        normalize: l2-normalise the embeddings first (ParetoGNN does).
        **probe: settings for :func:`logistic_regression` (``c_grid``, ``max_iter``, ``tol``).

    Returns:
        ``{"acc", "std", "val_acc"}`` (accuracies in [0, 1], population std over splits).

    Raises:
        ValueError: shapes disagree, ``num_splits < 1``, or a split with an empty part.
    """
    from ..datasets import random_split

    if embeddings.dim() != 2 or labels.shape != (embeddings.size(0),):
        raise ValueError(f"embeddings [N, D] and labels [N] disagree: {tuple(embeddings.shape)} vs "
                         f"{tuple(labels.shape)}")
    if num_splits < 1:
        raise ValueError(f"num_splits must be >= 1, got {num_splits}")
    x = embeddings.detach()
    y = labels.to(x.device)
    accs, vals = [], []
    for i in range(num_splits):
        tr, va, te = (m.to(x.device) for m in random_split(labels.cpu(), train=train, val=val, seed=seed + i))
        res = logistic_regression(x, y, tr, va, te, normalize=normalize, **probe)
        accs.append(res.test_acc)
        vals.append(res.val_acc)
    return {"acc": float(np.mean(accs)), "std": float(np.std(accs)), "val_acc": float(np.mean(vals))}

