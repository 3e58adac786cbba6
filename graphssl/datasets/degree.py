"""One-hot degree node features for graphs without any (IMDB), as GIN and GraphMAE use."""
from __future__ import annotations

from dataclasses import replace
from typing import Optional

import torch

from .types import GraphDataset

__all__ = ["degree_features"]


def degree_features(dataset: GraphDataset, max_degree: Optional[int] = None) -> GraphDataset:
    """A copy of ``dataset`` whose node features are one-hot (in-)degrees.

    Each node gets ``one_hot(min(degree, max_degree), max_degree + 1)`` (GraphMAE's encoding;
    GIN instead one-hots only the degree values that occur).

    Args:
        dataset: graphs (any existing ``x`` is replaced).
        max_degree: width - 1 of the encoding; default the largest degree in the dataset.
            Larger degrees are clipped to it.

    Returns:
        A new :class:`GraphDataset` with ``x`` float32 ``[n, max_degree + 1]`` per graph and
        ``num_features = max_degree + 1``; folds are kept.

    Raises:
        ValueError: ``max_degree < 0``.
    """
    degs = [s.graph.in_degree() for s in dataset.samples]
    if max_degree is None:
        max_degree = max((int(d.max()) for d in degs if d.numel()), default=0)
    if max_degree < 0:
        raise ValueError(f"max_degree must be >= 0, got {max_degree}")
    width = max_degree + 1
    samples = [replace(s, x=torch.nn.functional.one_hot(d.clamp(max=max_degree), width).to(torch.float32))
               for s, d in zip(dataset.samples, degs)]
    return replace(dataset, samples=samples, num_features=width)
