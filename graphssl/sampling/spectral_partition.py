"""Spectral partitioning: the pure numpy/scipy fallback of :func:`partition_graph` when
pymetis is missing (normalised spectral clustering with balanced part sizes, refined by
size-capped label propagation)."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["spectral_labels"]


def _spectral_embedding(a: sp.csr_matrix, dim: int, rng: np.random.Generator) -> np.ndarray:
    """Rows of the ``dim`` leading eigenvectors of ``D^-1/2 A D^-1/2``, l2-normalised (the
    embedding of normalised spectral clustering); isolated nodes get zero rows."""
    n = a.shape[0]
    deg = np.asarray(a.sum(1)).reshape(-1)
    dinv = np.where(deg > 0, 1.0 / np.sqrt(np.maximum(deg, 1e-12)), 0.0)
    m = sp.diags(dinv) @ a @ sp.diags(dinv)
    if n <= 2000 or dim >= n - 1:
        _, vecs = np.linalg.eigh(m.toarray())
        u = vecs[:, -dim:]
    else:
        from scipy.sparse.linalg import eigsh
        _, u = eigsh(m.astype(np.float64), k=dim, which="LA", v0=rng.random(n), tol=1e-6)
    norm = np.linalg.norm(u, axis=1, keepdims=True)
    return np.where(norm > 0, u / np.maximum(norm, 1e-12), 0.0)


def _sq_dist(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    return np.maximum((x * x).sum(1, keepdims=True) - 2.0 * x @ c.T + (c * c).sum(1), 0.0)


def _kmeans(x: np.ndarray, k: int, rng: np.random.Generator, restarts: int = 10) -> np.ndarray:
    """``[k, d]`` centroids of the best (lowest inertia) of ``restarts`` k-means runs."""
    best, best_inertia = None, np.inf
    for _ in range(restarts):
        c = _kmeans_once(x, k, rng)
        inertia = float(_sq_dist(x, c).min(1).sum())
        if inertia < best_inertia:
            best, best_inertia = c, inertia
    return best


def _kmeans_once(x: np.ndarray, k: int, rng: np.random.Generator, iters: int = 50) -> np.ndarray:
    """``[k, d]`` centroids of Lloyd's k-means with k-means++ seeding."""
    centers = [x[rng.integers(x.shape[0])]]
    d2 = _sq_dist(x, centers[0][None])[:, 0]
    for _ in range(1, k):
        p = d2 / d2.sum() if d2.sum() > 0 else np.full(x.shape[0], 1.0 / x.shape[0])
        centers.append(x[rng.choice(x.shape[0], p=p)])
        d2 = np.minimum(d2, _sq_dist(x, centers[-1][None])[:, 0])
    c = np.stack(centers)
    for _ in range(iters):
        assign = _sq_dist(x, c).argmin(1)
        counts = np.bincount(assign, minlength=k)
        sums = np.zeros_like(c)
        np.add.at(sums, assign, x)
        new = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], c)
        if np.allclose(new, c):
            break
        c = new
    return c


def _balanced_assign(dist: np.ndarray, cap: int) -> np.ndarray:
    """Each node to its nearest part that still has room: in rounds, every unassigned node
    proposes to its nearest open part and each part takes its closest proposers."""
    n, k = dist.shape
    labels = np.full(n, -1, dtype=np.int64)
    room = np.full(k, cap, dtype=np.int64)
    while (labels < 0).any():
        todo = np.flatnonzero(labels < 0)
        d = np.where(room[None, :] > 0, dist[todo], np.inf)
        choice = d.argmin(1)
        order = np.lexsort((d[np.arange(todo.size), choice], choice))
        todo, choice = todo[order], choice[order]
        rank = np.arange(todo.size) - np.searchsorted(choice, choice)
        take = rank < room[choice]
        labels[todo[take]] = choice[take]
        room -= np.bincount(choice[take], minlength=k)
    return labels


def _refine(a: sp.csr_matrix, labels: np.ndarray, k: int, cap: int, rounds: int,
            rng: np.random.Generator) -> np.ndarray:
    """Size-capped label propagation: nodes move to the part most of their neighbours are
    in while that part has room (a random half per round, so moves do not oscillate)."""
    n = labels.size
    for _ in range(rounds):
        onehot = sp.csr_matrix((np.ones(n), (np.arange(n), labels)), shape=(n, k))
        votes = (a @ onehot).toarray() + rng.random((n, k)) * 1e-3
        votes[np.arange(n), labels] += 0.5  # stay unless another part is clearly preferred
        best = np.argmax(votes, axis=1)
        sizes = np.bincount(labels, minlength=k)
        idx = np.flatnonzero((best != labels) & (rng.random(n) < 0.5) & (sizes[labels] > 1))
        if idx.size == 0:
            break
        idx = idx[rng.permutation(idx.size)]
        idx = idx[np.argsort(best[idx], kind="stable")]
        tgt = best[idx]
        rank = np.arange(idx.size) - np.searchsorted(tgt, tgt)  # position among movers to the same part
        idx = idx[rank < np.maximum(cap - sizes[tgt], 0)]
        if idx.size == 0:
            break
        new = labels.copy()
        new[idx] = best[idx]
        emptied = np.bincount(new, minlength=k) == 0
        if emptied.any():  # never empty a part: its leavers stay
            back = (new != labels) & emptied[labels]
            new[back] = labels[back]
        labels = new
    return labels


def spectral_labels(a: sp.csr_matrix, num_parts: int, seed: int = 0, capacity: float = 1.05,
                    rounds: int = 10) -> np.ndarray:
    """A seeded pure numpy/scipy partition into ``num_parts`` parts of similar size, for
    when pymetis is missing.

    Normalised spectral clustering (the ``num_parts`` leading eigenvectors of
    ``D^-1/2 A D^-1/2``, rows l2-normalised, k-means++ centroids) gives each node a
    preferred part; nodes are then assigned nearest-first to parts that still have room
    (``capacity`` times the mean size at most), and ``rounds`` rounds of size-capped label
    propagation lower the edge cut.

    Args:
        a: the symmetric, loop-free ``[N, N]`` adjacency.

    Returns:
        ``[N]`` int64 part ids in ``[0, num_parts)``.

    Raises:
        ValueError: ``capacity < 1``, ``rounds < 0``.
    """
    if capacity < 1.0:
        raise ValueError(f"capacity must be >= 1, got {capacity}")
    if rounds < 0:
        raise ValueError(f"rounds must be >= 0, got {rounds}")
    n = a.shape[0]
    if num_parts == 1:
        return np.zeros(n, np.int64)
    rng = np.random.default_rng(seed)
    u = _spectral_embedding(a, num_parts, rng)
    centers = _kmeans(u, num_parts, rng)
    dist = _sq_dist(u, centers)
    cap = int(np.ceil(capacity * n / num_parts))
    labels = _balanced_assign(dist, cap)
    return _refine(a, labels, num_parts, cap, rounds, rng).astype(np.int64)
