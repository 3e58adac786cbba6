"""Agreement between two labellings of the same nodes: normalised mutual information and
the adjusted Rand index, computed from the contingency table (no scikit-learn needed)."""
from __future__ import annotations

from typing import Tuple, Union

import numpy as np
from torch import Tensor

__all__ = ["contingency_table", "normalized_mutual_info", "adjusted_rand_index"]

Labels = Union[Tensor, np.ndarray, list]


def _as_labels(a: Labels, b: Labels) -> Tuple[np.ndarray, np.ndarray]:
    a = a.detach().cpu().numpy() if isinstance(a, Tensor) else np.asarray(a)
    b = b.detach().cpu().numpy() if isinstance(b, Tensor) else np.asarray(b)
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"labellings must be 1-D of equal length, got shapes {a.shape} and {b.shape}")
    if a.size == 0:
        raise ValueError("labellings are empty")
    return a, b


def contingency_table(labels_a: Labels, labels_b: Labels) -> np.ndarray:
    """``[A, B]`` int64 counts of items with label ``i`` in ``a`` and ``j`` in ``b`` (labels
    of any hashable values, renumbered in sorted order).

    Raises:
        ValueError: shapes differ, not 1-D, or empty.
    """
    a, b = _as_labels(labels_a, labels_b)
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    ka, kb = int(ia.max()) + 1, int(ib.max()) + 1
    return np.bincount(ia.reshape(-1) * kb + ib.reshape(-1), minlength=ka * kb).reshape(ka, kb).astype(np.int64)


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def normalized_mutual_info(labels_true: Labels, labels_pred: Labels) -> float:
    """``I(a; b) / ((H(a) + H(b)) / 2)`` (arithmetic normalisation, as scikit-learn's default
    and the V-measure ParetoGNN reports). Two constant labellings score 1; a constant one
    against a varying one scores 0.

    Raises:
        ValueError: shapes differ, not 1-D, or empty.

    Example:
        >>> round(normalized_mutual_info([0, 0, 1, 1], [1, 1, 0, 0]), 6)
        1.0
    """
    c = contingency_table(labels_true, labels_pred).astype(np.float64)
    h_a, h_b = _entropy(c.sum(1)), _entropy(c.sum(0))
    if h_a == 0.0 and h_b == 0.0:
        return 1.0
    if h_a == 0.0 or h_b == 0.0:
        return 0.0
    n = c.sum()
    nz = c > 0
    outer = np.outer(c.sum(1), c.sum(0))
    mi = float((c[nz] / n * (np.log(c[nz] * n) - np.log(outer[nz]))).sum())
    return float(min(max(mi / ((h_a + h_b) / 2.0), 0.0), 1.0))


def adjusted_rand_index(labels_true: Labels, labels_pred: Labels) -> float:
    """The Rand index corrected for chance (Hubert & Arabie): 1 for identical partitions,
    about 0 for independent ones, possibly negative. Degenerate cases where the expected
    and the maximal index coincide (e.g. both labellings constant) score 1.

    Raises:
        ValueError: shapes differ, not 1-D, or empty.

    Example:
        >>> adjusted_rand_index([0, 0, 1, 1], [0, 0, 1, 1])
        1.0
    """
    c = contingency_table(labels_true, labels_pred).astype(np.float64)
    n = c.sum()

    def pairs(v: np.ndarray) -> float:
        return float((v * (v - 1) / 2.0).sum())

    index, sum_a, sum_b = pairs(c), pairs(c.sum(1)), pairs(c.sum(0))
    total = n * (n - 1) / 2.0
    expected = sum_a * sum_b / total if total > 0 else 0.0
    maximum = (sum_a + sum_b) / 2.0
    if maximum == expected:
        return 1.0
    return float((index - expected) / (maximum - expected))
