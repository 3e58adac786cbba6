"""Bootstrap-your-own-latent loss (BYOL, BGRL, AFGRL): the online prediction ``p`` is
pulled towards the target embedding ``z``, a constant (the target network is updated by
EMA, never by this loss's gradient).

    loss = mean over positive pairs of 2 - 2 cos(p_i, z_j)

It lies in ``[0, 4]`` and is *minimised*: ``0`` when the views are aligned.
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from .checks import check_embeddings
from .pairs import PositiveSpec, positive_pairs
from .registry import register_loss

__all__ = ["bootstrap_loss"]


@register_loss("bootstrap")
def bootstrap_loss(pred: Tensor, target: Tensor, pos: PositiveSpec = None) -> Tensor:
    """``mean(2 - 2 cos(pred_i, target_j))`` over positive pairs, with ``target`` detached.

    BGRL symmetrises by calling it twice with the views swapped and adding the results.

    Args:
        pred: ``[N_p, D]`` online predictions.
        target: ``[N_t, D]`` target embeddings (no gradient flows into them).
        pos: ``None`` (row ``i`` with row ``i``), ``[2, P]`` ``(pred, target)`` pairs or a
            ``Graph`` (e.g. AFGRL's neighbours as positives).

    Returns:
        A scalar in ``[0, 4]`` to minimise.

    Raises:
        ValueError: bad shapes or dtypes, bad ``pos``.
    """
    check_embeddings(pred, target, names=("pred", "target"))
    target = target.detach()
    if pos is None:
        if pred.shape != target.shape:
            raise ValueError(f"pred and target must have the same shape, "
                             f"got {tuple(pred.shape)} vs {tuple(target.shape)}")
        p, z = pred, target
    else:
        pairs = positive_pairs(pos, pred.size(0), target.size(0), device=pred.device)
        p, z = pred.index_select(0, pairs.anchor), target.index_select(0, pairs.sample)
    if p.size(0) == 0:
        raise ValueError("bootstrap_loss got no rows")
    cos = (F.normalize(p, dim=1) * F.normalize(z, dim=1)).sum(1)
    return (2 - 2 * cos).mean()
