"""Seeded k-means (Lloyd's algorithm) in torch, so NCL's prototypes need neither faiss nor
scikit-learn; runs on the embeddings' device."""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor

__all__ = ["kmeans"]


def _assign(x: Tensor, centroids: Tensor, chunk_size: int) -> Tensor:
    """Nearest centroid of every row (squared Euclidean), chunked to bound memory."""
    c_sq = (centroids * centroids).sum(1)
    out = torch.empty(x.size(0), dtype=torch.long, device=x.device)
    for start in range(0, x.size(0), chunk_size):
        xb = x[start:start + chunk_size]
        # ||x||^2 is constant per row, so argmin(||c||^2 - 2 x.c) is the nearest centroid.
        out[start:start + chunk_size] = (c_sq.unsqueeze(0) - 2.0 * (xb @ centroids.t())).argmin(1)
    return out


@torch.no_grad()
def kmeans(x: Tensor, k: int, num_iters: int = 25, generator: Optional[torch.Generator] = None,
           chunk_size: int = 8192) -> Tuple[Tensor, Tensor]:
    """Cluster the rows of ``x`` into ``k`` groups.

    Initial centroids are ``k`` distinct random rows; an emptied cluster keeps its previous
    centroid. Stops early when no assignment changes.

    Args:
        x: ``[N, d]`` floating point points (detached internally).
        k: number of clusters, ``1 <= k <= N``.
        num_iters: maximum Lloyd iterations (faiss' default is 25).
        generator: on ``x``'s device, or None for the global RNG.
        chunk_size: rows per distance block (memory ``chunk_size * k``).

    Returns:
        ``(centroids [k, d], assignment [N] int64)``.

    Raises:
        ValueError: ``x`` not 2-D floating point, ``k`` out of range, ``num_iters < 1``.
    """
    if not isinstance(x, Tensor) or x.dim() != 2 or not x.is_floating_point():
        raise ValueError("kmeans needs a floating [N, d] tensor")
    n = x.size(0)
    if not isinstance(k, int) or not 1 <= k <= n:
        raise ValueError(f"k must be an int in [1, {n}] (the number of points), got {k!r}")
    if num_iters < 1:
        raise ValueError(f"num_iters must be >= 1, got {num_iters}")
    x = x.detach()
    centroids = x[torch.randperm(n, generator=generator, device=x.device)[:k]].clone()
    assign = _assign(x, centroids, chunk_size)
    for _ in range(num_iters):
        counts = torch.bincount(assign, minlength=k)
        sums = torch.zeros_like(centroids).index_add_(0, assign, x)
        nonempty = counts > 0
        centroids[nonempty] = sums[nonempty] / counts[nonempty].unsqueeze(1).to(x.dtype)
        new = _assign(x, centroids, chunk_size)
        if torch.equal(new, assign):
            break
        assign = new
    return centroids, assign
