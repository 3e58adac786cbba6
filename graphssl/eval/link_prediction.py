"""Link prediction on frozen embeddings: an edge split that keeps the training graph free
of held-out edges, AUC and Hits@K, and ParetoGNN's protocol (a logistic-regression scorer
on the Hadamard product of l2-normalised embeddings, selected on validation AUC)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from scipy.stats import rankdata
from torch import Tensor, nn

from ..multitask.edges import remove_pairs, sample_non_edges, undirected_pairs
from ..sparse import Graph

__all__ = ["EdgeSplit", "split_edges", "roc_auc", "hits_at_k", "link_prediction"]


@dataclass
class EdgeSplit:
    """Held-out edges of an undirected graph.

    Attributes:
        train_graph: the graph without the validation and test edges (both directions):
            pretrain and embed on this one for link prediction.
        train_pos: ``[2, M_train]`` training pairs ``u < v``.
        val_pos, val_neg: ``[2, M_val]`` held-out edges and as many non-edges.
        test_pos, test_neg: ``[2, M_test]`` held-out edges and as many non-edges.
    """

    train_graph: Graph
    train_pos: Tensor
    val_pos: Tensor
    val_neg: Tensor
    test_pos: Tensor
    test_neg: Tensor

    def held_out(self) -> Tensor:
        """``[2, *]`` every validation and test pair, positive or negative."""
        return torch.cat([self.val_pos, self.val_neg, self.test_pos, self.test_neg], 1)


def split_edges(graph: Graph, val: float = 0.05, test: float = 0.1, seed: int = 0) -> EdgeSplit:
    """Split the undirected edges of ``graph`` into train / validation / test.

    Every unordered pair joined by an edge is one candidate; ``val`` and ``test`` of them
    are held out and removed from the training graph in both directions. Negatives are
    uniform non-edges of the *full* graph (so no held-out edge is a negative), distinct
    from each other across validation and test.

    Args:
        graph: a square graph (both directions stored, as the datasets load).
        val, test: fractions of the undirected edges, ``val + test < 1``.
        seed: seeds the split and the negatives.

    Raises:
        ValueError: fractions out of range, or too few edges for a non-empty split.

    Example:
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]]), 4)
        >>> s = split_edges(g, val=0.34, test=0.34)
        >>> s.train_pos.size(1), s.val_pos.size(1), s.test_pos.size(1)
        (1, 1, 1)
    """
    if not (0.0 < val < 1.0 and 0.0 < test < 1.0 and val + test < 1.0):
        raise ValueError(f"need 0 < val, test and val + test < 1, got val={val}, test={test}")
    pairs = undirected_pairs(graph)
    m = pairs.size(1)
    n_val, n_test = int(round(val * m)), int(round(test * m))
    if min(n_val, n_test) < 1 or n_val + n_test >= m:
        raise ValueError(f"{m} undirected edges are too few for val={val}, test={test}")
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(m, generator=gen).to(pairs.device)
    val_pos = pairs[:, perm[:n_val]]
    test_pos = pairs[:, perm[n_val:n_val + n_test]]
    train_pos = pairs[:, perm[n_val + n_test:]]
    val_neg = sample_non_edges(graph, n_val, gen)
    test_neg = sample_non_edges(graph, n_test, gen, exclude=val_neg)
    train_graph = remove_pairs(graph, torch.cat([val_pos, test_pos], 1))
    return EdgeSplit(train_graph, train_pos, val_pos, val_neg, test_pos, test_neg)


def _scores(pos: Tensor, neg: Tensor) -> tuple:
    p = pos.detach().reshape(-1).double().cpu().numpy()
    q = neg.detach().reshape(-1).double().cpu().numpy()
    if p.size == 0 or q.size == 0:
        raise ValueError("need at least one positive and one negative score")
    if not (np.isfinite(p).all() and np.isfinite(q).all()):
        raise ValueError("scores contain NaN or inf")
    return p, q


def roc_auc(pos_scores: Tensor, neg_scores: Tensor) -> float:
    """Area under the ROC curve: the probability that a random positive scores above a
    random negative, ties counting one half (Mann-Whitney U with average ranks).

    Raises:
        ValueError: an empty side, or NaN/inf scores.

    Example:
        >>> roc_auc(torch.tensor([0.9, 0.4]), torch.tensor([0.4, 0.1]))
        0.875
    """
    p, q = _scores(pos_scores, neg_scores)
    ranks = rankdata(np.concatenate([p, q]))
    return float((ranks[: p.size].sum() - p.size * (p.size + 1) / 2.0) / (p.size * q.size))


def hits_at_k(pos_scores: Tensor, neg_scores: Tensor, k: int) -> float:
    """Share of positives scored strictly above the ``k``-th highest negative (OGB's
    Hits@K); 1 when there are fewer than ``k`` negatives.

    Raises:
        ValueError: ``k < 1``, an empty side, or NaN/inf scores.

    Example:
        >>> hits_at_k(torch.tensor([3.0, 1.0]), torch.tensor([2.0, 0.5]), k=1)
        0.5
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    p, q = _scores(pos_scores, neg_scores)
    if q.size < k:
        return 1.0
    kth = np.partition(q, q.size - k)[q.size - k]
    return float((p > kth).mean())


def _metrics(pos: Tensor, neg: Tensor, hits_k: Sequence[int]) -> Dict[str, float]:
    out = {"auc": roc_auc(pos, neg)}
    for k in hits_k:
        out[f"hits@{k}"] = hits_at_k(pos, neg, k)
    return out


def link_prediction(embeddings: Tensor, split: EdgeSplit, decoder: str = "logreg", hits_k: Sequence[int] = (20, 50, 100),
                    epochs: int = 200, lr: float = 0.01, weight_decay: float = 0.0, neg_ratio: int = 1,
                    patience: Optional[int] = 50, seed: int = 0) -> Dict[str, float]:
    """Score the held-out edges of ``split`` from frozen ``embeddings``.

    Args:
        embeddings: ``[N, D]`` embeddings computed on ``split.train_graph`` (embeddings of
            the full graph have seen the test edges).
        split: from :func:`split_edges`.
        decoder: ``"logreg"`` (ParetoGNN: a logistic regression on ``z_u * z_v`` of the
            l2-normalised embeddings, trained full-batch on the training edges against
            ``neg_ratio`` times as many non-edges of the training graph drawn once, none of
            them a held-out pair; the epoch is picked by validation AUC) or ``"dot"``
            (cosine similarity, nothing trained).
        hits_k: the ``K`` of the reported Hits@K.
        epochs, lr, weight_decay: Adam settings of the logistic regression.
        neg_ratio: training non-edges per training edge.
        patience: stop after this many epochs without a better validation AUC (None: never).
        seed: seeds the scorer and its negatives.

    Returns:
        ``{"auc", "hits@K"..., "val_auc"}`` on the test pairs (validation AUC alongside).

    Raises:
        ValueError: unknown decoder, shapes that do not match the split, NaN/inf embeddings.
    """
    if decoder not in ("logreg", "dot"):
        raise ValueError(f"decoder must be 'logreg' or 'dot', got {decoder!r}")
    n = split.train_graph.num_nodes
    if embeddings.dim() != 2 or embeddings.size(0) != n:
        raise ValueError(f"embeddings must be [{n}, D] for this split, got {tuple(embeddings.shape)}")
    if not bool(torch.isfinite(embeddings).all()):
        raise ValueError("embeddings contain NaN or inf")
    z = F.normalize(embeddings.detach().float(), dim=1)
    dev = z.device

    def hadamard(pairs: Tensor) -> Tensor:
        pairs = pairs.to(dev)
        return z.index_select(0, pairs[0]) * z.index_select(0, pairs[1])

    feats = {k: hadamard(getattr(split, k)) for k in ("val_pos", "val_neg", "test_pos", "test_neg")}
    if decoder == "dot":
        val = roc_auc(feats["val_pos"].sum(1), feats["val_neg"].sum(1))
        return {**_metrics(feats["test_pos"].sum(1), feats["test_neg"].sum(1), hits_k), "val_auc": val}
    gen = torch.Generator().manual_seed(seed)
    neg = sample_non_edges(split.train_graph, neg_ratio * split.train_pos.size(1), gen, exclude=split.held_out())
    x_train = torch.cat([hadamard(split.train_pos), hadamard(neg)])
    y_train = torch.cat([torch.ones(split.train_pos.size(1)), torch.zeros(neg.size(1))]).to(dev)
    clf = nn.Linear(z.size(1), 1)
    with torch.no_grad():
        bound = 1.0 / max(z.size(1), 1) ** 0.5
        clf.weight.copy_(torch.rand(clf.weight.shape, generator=gen) * 2 * bound - bound)
        clf.bias.zero_()
    clf = clf.to(dev)
    opt = torch.optim.Adam(clf.parameters(), lr=lr, weight_decay=weight_decay)
    # Positives and negatives weigh the same whatever neg_ratio (ParetoGNN's pos_weight).
    pos_weight = torch.tensor([float(neg_ratio)], device=dev)
    best_val, best_state, bad = -1.0, None, 0
    for _ in range(epochs):
        opt.zero_grad()
        F.binary_cross_entropy_with_logits(clf(x_train).view(-1), y_train, pos_weight=pos_weight).backward()
        opt.step()
        with torch.no_grad():
            val = roc_auc(clf(feats["val_pos"]), clf(feats["val_neg"]))
        if val >= best_val:
            best_val, bad = val, 0
            best_state = {k: v.clone() for k, v in clf.state_dict().items()}
        else:
            bad += 1
            if patience is not None and bad >= patience:
                break
    clf.load_state_dict(best_state)
    with torch.no_grad():
        res = _metrics(clf(feats["test_pos"]), clf(feats["test_neg"]), hits_k)
    return {**res, "val_auc": best_val}
