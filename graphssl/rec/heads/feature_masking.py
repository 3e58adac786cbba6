"""Feature-masking augmentations for item towers (Yao et al., 2021): random feature masking
(RFM), correlated feature masking (CFM: mask a seed feature and the features that share the
most mutual information with it), and value dropout on multi-valued features.

A mask is a ``[B, F]`` bool tensor, ``True`` = feature hidden in that example. The two
views of an example hide complementary feature sets (``mask`` and ``~mask``)."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

__all__ = ["correlated_feature_groups", "random_feature_mask", "correlated_feature_mask", "multi_value_dropout"]


def _check_count(num_masked: int, num_features: int) -> int:
    if not isinstance(num_masked, int) or not 1 <= num_masked < num_features:
        raise ValueError(f"num_masked must be an int in [1, {num_features - 1}] so that both complementary "
                         f"views keep a feature, got {num_masked!r} (for {num_features} features)")
    return num_masked


def correlated_feature_groups(mutual_information: Tensor, num_masked: Optional[int] = None) -> Tensor:
    """CFM's masked set for every choice of seed feature.

    Row ``s`` marks the seed ``s`` and the ``num_masked - 1`` other features with the highest
    mutual information with it (ties to the lower index).

    Args:
        mutual_information: ``[F, F]`` (see :func:`feature_mutual_information`).
        num_masked: size of the masked set; default ``F // 2`` (half, as in the paper).

    Returns:
        ``[F, F]`` bool.

    Raises:
        ValueError: not a square matrix, fewer than 2 features, ``num_masked`` out of range.
    """
    mi = torch.as_tensor(mutual_information, dtype=torch.float64)
    if mi.dim() != 2 or mi.size(0) != mi.size(1):
        raise ValueError(f"mutual_information must be a square [F, F] matrix, got {tuple(mi.shape)}")
    f = mi.size(0)
    if f < 2:
        raise ValueError("feature masking needs at least 2 features")
    n = _check_count(f // 2 if num_masked is None else num_masked, f)
    score = mi.clone()
    score.fill_diagonal_(float("inf"))  # the seed is always in its own masked set
    order = torch.sort(score, dim=1, descending=True, stable=True).indices[:, :n]
    groups = torch.zeros(f, f, dtype=torch.bool)
    groups.scatter_(1, order, True)
    return groups


def random_feature_mask(batch_size: int, num_features: int, num_masked: int,
                        generator: Optional[torch.Generator] = None, device=None) -> Tensor:
    """RFM: ``[B, F]`` masks hiding ``num_masked`` uniformly random features per example."""
    n = _check_count(num_masked, num_features)
    order = torch.rand(batch_size, num_features, generator=generator, device=device).argsort(1)
    mask = torch.zeros(batch_size, num_features, dtype=torch.bool, device=device)
    return mask.scatter_(1, order[:, :n], True)


def correlated_feature_mask(batch_size: int, groups: Tensor, generator: Optional[torch.Generator] = None,
                            device=None) -> Tensor:
    """CFM: per example a uniformly random seed feature, masking its group (a row of
    :func:`correlated_feature_groups`); ``[B, F]`` bool."""
    seeds = torch.randint(groups.size(0), (batch_size,), generator=generator, device=device)
    return groups.to(seeds.device)[seeds]


def multi_value_dropout(codes: Tensor, rate: float, generator: Optional[torch.Generator] = None) -> Tensor:
    """Set each value of ``[B, K]`` multi-valued codes to padding (0) with probability ``rate``."""
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout rate must lie in [0, 1), got {rate!r}")
    if rate == 0.0 or codes.dim() != 2:
        return codes
    drop = torch.rand(codes.shape, generator=generator, device=codes.device) < rate
    return codes.masked_fill(drop, 0)
