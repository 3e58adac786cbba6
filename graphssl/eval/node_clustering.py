"""Node clustering: k-means on (l2-normalised) embeddings scored against the labels with
NMI and ARI (ParetoGNN's protocol: k = number of classes, several k-means seeds)."""
from __future__ import annotations

from typing import Dict, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .clustering_metrics import adjusted_rand_index, normalized_mutual_info

__all__ = ["kmeans_labels", "node_clustering"]


def kmeans_labels(x: Tensor, num_clusters: int, seed: int = 0, backend: str = "auto") -> Tensor:
    """Cluster the rows of ``x`` with k-means.

    Args:
        x: ``[N, D]`` points.
        num_clusters: ``k`` in ``[1, N]``.
        seed: seeds the initialisation.
        backend: ``"sklearn"`` (``KMeans``, k-means++ with 10 restarts), ``"torch"``
            (graphssl's seeded Lloyd iterations, no dependency) or ``"auto"`` (scikit-learn
            when installed).

    Returns:
        ``[N]`` int64 cluster ids.

    Raises:
        ValueError: bad shapes, ``k`` out of range, unknown backend.
        ImportError: ``backend="sklearn"`` without scikit-learn.
    """
    if x.dim() != 2:
        raise ValueError(f"x must be [N, D], got shape {tuple(x.shape)}")
    if not 1 <= num_clusters <= x.size(0):
        raise ValueError(f"num_clusters must lie in [1, {x.size(0)}], got {num_clusters}")
    if backend not in ("auto", "sklearn", "torch"):
        raise ValueError(f"backend must be 'auto', 'sklearn' or 'torch', got {backend!r}")
    if backend in ("auto", "sklearn"):
        try:
            from sklearn.cluster import KMeans
        except ImportError:
            if backend == "sklearn":
                raise ImportError("k-means with backend='sklearn' needs scikit-learn: pip install graphssl[sklearn]"
                                  ) from None
            backend = "torch"
    if backend == "torch":
        from ..rec.heads.kmeans import kmeans
        gen = torch.Generator(device=x.device).manual_seed(seed)
        return kmeans(x.detach().float(), num_clusters, num_iters=100, generator=gen)[1].cpu()
    km = KMeans(n_clusters=num_clusters, n_init=10, random_state=seed)
    return torch.as_tensor(km.fit_predict(x.detach().cpu().double().numpy()).astype(np.int64))


def node_clustering(embeddings: Tensor, labels: Tensor, num_clusters: Optional[int] = None,
                    seeds: Sequence[int] = (0, 1, 2, 3, 4), normalize: bool = True,
                    backend: str = "auto") -> Dict[str, float]:
    """Cluster the labelled nodes' embeddings and compare with their labels.

    Args:
        embeddings: ``[N, D]`` node embeddings.
        labels: ``[N]`` int64 classes; nodes labelled ``< 0`` are left out.
        num_clusters: ``k`` (default: the number of classes).
        seeds: one k-means run per seed; scores are averaged.
        normalize: l2-normalise the embeddings first (ParetoGNN does).
        backend: k-means backend, see :func:`kmeans_labels`.

    Returns:
        ``{"nmi", "nmi_std", "ari", "ari_std"}``.

    Raises:
        ValueError: shapes disagree, no labelled node, NaN/inf embeddings, no seed.
    """
    if embeddings.dim() != 2 or labels.shape != (embeddings.size(0),):
        raise ValueError(f"embeddings [N, D] and labels [N] disagree: {tuple(embeddings.shape)} vs "
                         f"{tuple(labels.shape)}")
    if not bool(torch.isfinite(embeddings).all()):
        raise ValueError("embeddings contain NaN or inf")
    if not seeds:
        raise ValueError("node_clustering needs at least one seed")
    keep = labels >= 0
    if not bool(keep.any()):
        raise ValueError("no node has a label")
    x = embeddings.detach()[keep.to(embeddings.device)].float()
    if normalize:
        x = F.normalize(x, dim=1)
    y = labels[keep].cpu()
    k = num_clusters if num_clusters is not None else int(torch.unique(y).numel())
    nmis, aris = [], []
    for s in seeds:
        pred = kmeans_labels(x, k, seed=int(s), backend=backend)
        nmis.append(normalized_mutual_info(y, pred))
        aris.append(adjusted_rand_index(y, pred))
    return {"nmi": float(np.mean(nmis)), "nmi_std": float(np.std(nmis)),
            "ari": float(np.mean(aris)), "ari_std": float(np.std(aris))}
