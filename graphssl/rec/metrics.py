"""Full-ranking evaluation: every item is scored for every evaluated user, the user's known
items (training, and validation when testing) are masked, and Recall / NDCG / Precision / Hit
at K are computed from one vectorised top-k per chunk of users, so memory stays at
``chunk_size x num_items`` scores however many users there are.

Conventions (those of LightGCN, SGL, SimGCL): only users with at least one ground-truth item
are evaluated; Recall@K divides by the user's number of ground-truth items; NDCG@K uses
binary relevance with the ideal DCG over ``min(#truth, K)`` items; metrics are averaged over
users.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Union

import torch
from torch import Tensor

from .user_items import UserItems

__all__ = ["full_ranking_metrics", "topk_items", "METRICS"]

METRICS = ("recall", "ndcg", "precision", "hit")
_SCORE_BUDGET = 1 << 25  # scores per chunk (128 MiB of float32)


def _mask_known(scores: Tensor, users: Tensor, known: UserItems) -> None:
    """Set ``scores[r, i] = -inf`` for each item ``i`` known for ``users[r]`` (in place)."""
    deg = known.degree()[users]
    total = int(deg.sum())
    if total == 0:
        return
    rows = torch.repeat_interleave(torch.arange(users.numel(), device=users.device), deg)
    first = torch.cumsum(deg, 0) - deg
    pos = known.rowptr[users][rows] + torch.arange(total, device=users.device) - first[rows]
    scores[rows, known.items[pos]] = float("-inf")


def _check_emb(user_emb: Tensor, item_emb: Tensor, num_users: int, num_items: int) -> None:
    if user_emb.dim() != 2 or item_emb.dim() != 2 or user_emb.size(1) != item_emb.size(1):
        raise ValueError(f"user_emb [U, d] and item_emb [I, d] must share d; got {tuple(user_emb.shape)} "
                         f"and {tuple(item_emb.shape)}")
    if user_emb.size(0) != num_users or item_emb.size(0) != num_items:
        raise ValueError(f"embeddings cover {user_emb.size(0)} users / {item_emb.size(0)} items, the item sets "
                         f"{num_users} / {num_items}")


def topk_items(user_emb: Tensor, item_emb: Tensor, users: Tensor, k: int,
               exclude: Sequence[UserItems] = ()) -> Tensor:
    """The ``k`` best-scored items (dot product) for each of ``users``, known items masked.

    Returns:
        ``[len(users), k]`` item ids, best first.
    """
    users = torch.as_tensor(users, dtype=torch.long, device=user_emb.device)
    scores = user_emb.index_select(0, users) @ item_emb.t()
    for known in exclude:
        _mask_known(scores, users, known)
    return torch.topk(scores, k, dim=1).indices


@torch.no_grad()
def full_ranking_metrics(user_emb: Tensor, item_emb: Tensor, truth: UserItems,
                         exclude: Sequence[UserItems] = (), ks: Union[int, Sequence[int]] = (20,),
                         metrics: Sequence[str] = METRICS, users: Optional[Tensor] = None,
                         chunk_size: Optional[int] = None, per_user: bool = False) -> Dict[str, object]:
    """Recall@K, NDCG@K, Precision@K and Hit@K over all items.

    Args:
        user_emb: ``[U, d]`` user embeddings; item_emb: ``[I, d]`` (score = dot product).
        truth: the held-out items per user (e.g. ``data.test``).
        exclude: item sets masked from the ranking (``data.train``, and ``data.val`` when
            testing); see :meth:`InteractionData.eval_split`.
        ks: cut-offs, e.g. ``(10, 20)``.
        metrics: any of ``"recall", "ndcg", "precision", "hit"``.
        users: users to evaluate (default: every user with a ground-truth item).
        chunk_size: users scored at once (default: about ``2**25 / I``).
        per_user: return per-user ``[n]`` tensors instead of the means.

    Returns:
        ``{"recall@20": float, "ndcg@20": float, ...}`` (tensors if ``per_user``) and
        ``"num_users"``, the number of users averaged over.

    Raises:
        ValueError: unknown metric, bad K, or shapes that do not match the item sets.
    """
    ks = sorted({int(k) for k in ([ks] if isinstance(ks, int) else ks)})
    unknown = set(metrics) - set(METRICS)
    if unknown:
        raise ValueError(f"unknown metrics {sorted(unknown)}; expected some of {METRICS}")
    _check_emb(user_emb, item_emb, truth.num_users, truth.num_items)
    for s in exclude:
        if s.num_users != truth.num_users or s.num_items != truth.num_items:
            raise ValueError("exclude item sets must cover the same users and items as truth")
    if not ks or ks[0] < 1 or ks[-1] > truth.num_items:
        raise ValueError(f"every K must be in [1, {truth.num_items}], got {ks}")
    dev = user_emb.device
    truth = truth.to(dev)
    exclude = [s.to(dev) for s in exclude]
    if users is None:
        users = truth.users_with_items()
    users = torch.as_tensor(users, dtype=torch.long, device=dev).view(-1)
    n_truth_all = truth.degree()
    if users.numel() and bool((n_truth_all[users] == 0).any()):
        raise ValueError("users without ground-truth items cannot be evaluated (recall is undefined)")
    kmax = ks[-1]
    chunk = chunk_size or max(1, _SCORE_BUDGET // max(truth.num_items, 1))
    discount = 1.0 / torch.log2(torch.arange(2, kmax + 2, device=dev, dtype=torch.float64))
    ideal = torch.cumsum(discount, 0)
    out: Dict[str, list] = {f"{m}@{k}": [] for m in metrics for k in ks}
    for s in range(0, users.numel(), chunk):
        u = users[s:s + chunk]
        top = topk_items(user_emb, item_emb, u, kmax, exclude)
        hits = truth.contains(u.unsqueeze(1), top).double()
        n_truth = n_truth_all[u].double()
        for k in ks:
            h = hits[:, :k]
            n_hit = h.sum(1)
            vals = {"recall": n_hit / n_truth, "precision": n_hit / k, "hit": (n_hit > 0).double(),
                    "ndcg": (h * discount[:k]).sum(1) / ideal[(n_truth.long().clamp(max=k) - 1)]}
            for m in metrics:
                out[f"{m}@{k}"].append(vals[m])
    res: Dict[str, object] = {}
    for key, parts in out.items():
        v = torch.cat(parts) if parts else torch.zeros(0, dtype=torch.float64, device=dev)
        res[key] = v.cpu() if per_user else (float(v.mean()) if v.numel() else float("nan"))
    res["num_users"] = int(users.numel())
    return res
