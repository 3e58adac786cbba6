"""Summaries of results over seeds."""
from __future__ import annotations

import math
from typing import Sequence, Tuple

__all__ = ["mean_std"]


def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and population standard deviation (as graph SSL papers report over seeds).

    Raises:
        ValueError: ``values`` is empty.
    """
    vals = [float(v) for v in values]
    if not vals:
        raise ValueError("mean_std needs at least one value")
    m = sum(vals) / len(vals)
    return m, math.sqrt(sum((v - m) ** 2 for v in vals) / len(vals))
