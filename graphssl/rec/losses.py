"""Main recommendation losses: BPR with LightGCN's L2 term, and sampled softmax."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["bpr_loss", "l2_reg_loss", "sampled_softmax_loss"]


def _check_pair(a: Tensor, b: Tensor, what: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{what}: shapes differ, {tuple(a.shape)} vs {tuple(b.shape)}")


def bpr_loss(user_emb: Tensor, pos_emb: Tensor, neg_emb: Tensor) -> Tensor:
    """Bayesian personalised ranking: ``mean(softplus(<u, n> - <u, p>)) = -mean(log sigmoid(...))``.

    Args:
        user_emb, pos_emb: ``[B, d]``.
        neg_emb: ``[B, d]``, or ``[B, n, d]`` for several negatives per pair (mean over all).

    Returns:
        scalar loss.

    Raises:
        ValueError: shapes do not match.
    """
    _check_pair(user_emb, pos_emb, "bpr_loss user/positive")
    pos = (user_emb * pos_emb).sum(-1)
    if neg_emb.dim() == 3:
        if neg_emb.shape[0] != user_emb.shape[0] or neg_emb.shape[2] != user_emb.shape[1]:
            raise ValueError(f"bpr_loss: negatives must be [B, n, d] = [{user_emb.shape[0]}, n, "
                             f"{user_emb.shape[1]}], got {tuple(neg_emb.shape)}")
        neg = torch.einsum("bd,bnd->bn", user_emb, neg_emb)
        return F.softplus(neg - pos.unsqueeze(1)).mean()
    _check_pair(user_emb, neg_emb, "bpr_loss user/negative")
    return F.softplus((user_emb * neg_emb).sum(-1) - pos).mean()


def l2_reg_loss(*embs: Tensor, batch_size: Optional[int] = None) -> Tensor:
    """LightGCN's regulariser: ``0.5 * sum of squared norms / batch_size``.

    Apply it to the batch's *ego* embeddings (users, positives, negatives) and multiply by the
    weight (``1e-4`` in LightGCN, SGL, SimGCL). Computing it on the batch, not as optimiser
    weight decay, is what the published models do: only the rows in the batch are shrunk.

    Args:
        *embs: tensors whose first dimension is the batch.
        batch_size: divisor (default: first dimension of the first tensor).

    Raises:
        ValueError: no tensor given.
    """
    if not embs:
        raise ValueError("l2_reg_loss needs at least one tensor")
    b = batch_size if batch_size is not None else embs[0].shape[0]
    return 0.5 * sum(e.pow(2).sum() for e in embs) / max(int(b), 1)


def sampled_softmax_loss(user_emb: Tensor, pos_emb: Tensor, neg_emb: Optional[Tensor] = None,
                         temperature: float = 1.0, normalize: bool = False,
                         pos_items: Optional[Tensor] = None, in_batch: bool = True) -> Tensor:
    """Softmax cross-entropy of each positive against sampled candidates.

    Candidates for row ``b`` are the positives of the whole batch (in-batch negatives,
    when ``in_batch``) and ``neg_emb``: shared ``[M, d]`` negatives or per-row ``[B, n, d]``.

    Args:
        user_emb, pos_emb: ``[B, d]``.
        neg_emb: optional extra negatives.
        temperature: logits are divided by it.
        normalize: use cosine similarity (L2-normalise first).
        pos_items: ``[B]`` positive item ids; with them, another row's positive that is the
            same item as this row's is not counted as a negative.
        in_batch: use the other rows' positives as negatives.

    Returns:
        scalar loss (mean over the batch).

    Raises:
        ValueError: bad shapes, ``temperature <= 0``, or no negative at all.
    """
    _check_pair(user_emb, pos_emb, "sampled_softmax_loss user/positive")
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if not in_batch and neg_emb is None:
        raise ValueError("sampled_softmax_loss needs negatives: in_batch=True or neg_emb")
    if normalize:
        user_emb, pos_emb = F.normalize(user_emb, dim=-1), F.normalize(pos_emb, dim=-1)
        neg_emb = F.normalize(neg_emb, dim=-1) if neg_emb is not None else None
    B = user_emb.shape[0]
    pos_logit = (user_emb * pos_emb).sum(-1, keepdim=True)
    parts = [pos_logit]
    if in_batch:
        logits = user_emb @ pos_emb.t()
        same = torch.eye(B, dtype=torch.bool, device=user_emb.device)
        if pos_items is not None:
            pos_items = torch.as_tensor(pos_items, device=user_emb.device).view(-1)
            if pos_items.numel() != B:
                raise ValueError(f"pos_items must have {B} entries, got {pos_items.numel()}")
            same = same | (pos_items.unsqueeze(0) == pos_items.unsqueeze(1))
        parts.append(logits.masked_fill(same, float("-inf")))
    if neg_emb is not None:
        if neg_emb.dim() == 2:
            parts.append(user_emb @ neg_emb.t())
        elif neg_emb.dim() == 3 and neg_emb.shape[0] == B:
            parts.append(torch.einsum("bd,bnd->bn", user_emb, neg_emb))
        else:
            raise ValueError(f"neg_emb must be [M, d] or [B, n, d], got {tuple(neg_emb.shape)}")
    logits = torch.cat(parts, dim=1) / temperature
    return (torch.logsumexp(logits, dim=1) - logits[:, 0]).mean()
