"""DirectAU (Wang et al., KDD 2022): optimise alignment of interacting user-item pairs and
uniformity of users and of items on the unit hypersphere."""
from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from ...checks import check_positive
from .base import RecSSLHead, check_batch, register_head

__all__ = ["DirectAUHead", "alignment", "uniformity"]


def alignment(x: Tensor, y: Tensor, alpha: float = 2.0) -> Tensor:
    """``mean_b ||x_b - y_b||^alpha`` of the L2-normalised rows of ``[B, d]`` ``x`` and ``y``."""
    x, y = F.normalize(x, dim=-1), F.normalize(y, dim=-1)
    return (x - y).norm(p=2, dim=1).pow(alpha).mean()


def uniformity(x: Tensor, t: float = 2.0) -> Tensor:
    """``log mean_{i<j} exp(-t ||x_i - x_j||^2)`` of the L2-normalised rows of ``[B, d]`` ``x``.

    Raises:
        ValueError: fewer than two rows (no pairs).
    """
    if x.size(0) < 2:
        raise ValueError("uniformity needs at least two rows")
    x = F.normalize(x, dim=-1)
    n = x.size(0)
    # On the unit sphere ||a - b||^2 = 2 - 2 a.b: one matmul instead of pdist (slow backward
    # on CPU). The matrix is symmetric, so the i < j pairs are half of the off-diagonal ones:
    # a log-sum-exp over the whole matrix with the diagonal masked, no [n^2 / 2] gather.
    sq = (2.0 - 2.0 * (x @ x.t())).clamp(min=0.0)
    off = sq.mul(-t).masked_fill(torch.eye(n, dtype=torch.bool, device=x.device), float("-inf"))
    return torch.logsumexp(off.reshape(-1), dim=0) - math.log(n * (n - 1))


@register_head("directau")
class DirectAUHead(RecSSLHead):
    """DirectAU's loss ``weight * (align + gamma * (uniform_users + uniform_items) / 2)``.

    Needs only ``user_emb`` and ``item_emb`` (no backbone): the rows of the batch's users and
    positive items (with repeats, as the official code). It works as an auxiliary term, but
    is designed to **replace** BPR: then the host's whole loss is ``head(users, pos_items,
    user_emb, item_emb)`` (no negative sampling; the official code pairs it with an MF encoder,
    batch 1024 and weight decay 1e-6). Defaults are the official ``gamma 1`` (its README uses
    5 on Gowalla, 1 on Yelp2018, 0.5 on Beauty).

    Args:
        gamma: weight of the uniformity term.
        weight: loss multiplier.
        t: uniformity temperature (2 in the paper).

    Raises:
        ValueError: negative gamma, non-positive t; at call time a batch of fewer than two pairs.
    """

    needs = ()

    def __init__(self, gamma: float = 1.0, weight: float = 1.0, t: float = 2.0) -> None:
        super().__init__(None)
        if float(gamma) < 0:
            raise ValueError(f"gamma must be >= 0, got {gamma!r}")
        self.gamma, self.weight = float(gamma), float(weight)
        self.t = check_positive("t", t)

    def _repr_keys(self):
        return ("gamma", "weight", "t")

    def forward(self, users: Tensor, pos_items: Tensor, user_emb: Tensor, item_emb: Tensor,
                backbone: Any = None, **kwargs: Any) -> Tensor:
        """Weighted DirectAU loss of the batch."""
        users, pos_items = check_batch(users, pos_items, user_emb, item_emb)
        if users.numel() < 2:
            raise ValueError("DirectAU needs a batch of at least two pairs (uniformity is over pairs)")
        u, i = user_emb[users.to(user_emb.device)], item_emb[pos_items.to(item_emb.device)]
        return self.weight * (alignment(u, i) + self.gamma * (uniformity(u, self.t) + uniformity(i, self.t)) / 2)
