"""Gaussian feature noise: `add_feature_noise` and the `FeatureNoise` augmenter."""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor

from ._sampling import normal
from ..checks import check_positive
from .base import Augmenter, register_augmenter
from .view import GraphView

__all__ = ["add_feature_noise", "FeatureNoise"]


def add_feature_noise(x: Tensor, std: float = 0.1, *, training: bool = True,
                      generator: Optional[torch.Generator] = None) -> Tuple[Tensor, Tensor]:
    """Add i.i.d. Gaussian noise ``N(0, std^2)`` to every entry of ``x``.

    Args:
        x: floating-point features of any shape.
        std: noise standard deviation (``>= 0``).
        training: if False, return ``x`` unchanged with zero noise.
        generator: source of randomness.

    Returns:
        ``(x + noise, noise)``.

    Raises:
        ValueError: negative or non-finite ``std``, ``x`` not a floating-point tensor.

    Example:
        >>> x = torch.zeros(2, 3)
        >>> xn, noise = add_feature_noise(x, 0.5, generator=torch.Generator().manual_seed(0))
        >>> torch.equal(xn, noise)
        True
    """
    if not isinstance(x, Tensor) or not x.is_floating_point():
        raise ValueError(f"x must be a floating-point tensor, got {getattr(x, 'dtype', type(x).__name__)}")
    std = check_positive("std", std, allow_zero=True)
    if not training or std == 0.0:
        return x, torch.zeros_like(x)
    noise = normal(x.shape, generator, x.device, x.dtype).mul_(std)
    return x + noise, noise


@register_augmenter("feature_noise")
class FeatureNoise(Augmenter):
    """Add Gaussian noise with standard deviation ``std`` to the node features.

    Raises:
        ValueError: negative ``std``.

    Example:
        >>> from graphssl.sparse import Graph
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1], [1, 0]]), 2)
        >>> _, xn = FeatureNoise(0.1)(g, torch.zeros(2, 3), generator=torch.Generator().manual_seed(0))
        >>> xn.shape
        torch.Size([2, 3])
    """

    def __init__(self, std: float = 0.1) -> None:
        self.std = check_positive("std", std, allow_zero=True)

    def _apply(self, view: GraphView, generator: Optional[torch.Generator]) -> GraphView:
        if view.x is None:
            raise ValueError("FeatureNoise needs node features x")
        x, _ = add_feature_noise(view.x, self.std, generator=generator)
        return view.replace(x=x)

    def extra_repr(self) -> str:
        return f"std={self.std}"
