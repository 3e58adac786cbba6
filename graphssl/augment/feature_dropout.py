"""Feature dropout: `dropout_features` and the `FeatureDropout` augmenter.

Each entry is kept with probability ``1 - p`` and kept entries are scaled by
``1 / (1 - p)``, so the expectation of every entry is unchanged (inverted dropout, as
``torch.nn.functional.dropout``). PyGCL's ``FeatureDropout`` passes ``1 - p`` where
dropout expects ``p``, keeping each entry with probability ``p`` instead; the tests here
check the keep rate and the expectation.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor

from ._sampling import uniform
from ..checks import check_fraction
from .base import Augmenter, register_augmenter
from .view import GraphView

__all__ = ["dropout_features", "FeatureDropout"]


def dropout_features(x: Tensor, p: float = 0.2, *, training: bool = True,
                     generator: Optional[torch.Generator] = None) -> Tuple[Tensor, Tensor]:
    """Zero each entry of ``x`` with probability ``p`` and scale the kept ones by ``1/(1-p)``.

    Args:
        x: floating-point features of any shape.
        p: drop probability in ``[0, 1)``.
        training: if False, return ``x`` unchanged with an all-True mask.
        generator: source of randomness.

    Returns:
        ``(x_dropped, keep)``: the new features (same expectation as ``x``) and the bool
        mask of kept entries (``x.shape``; each True with probability ``1 - p``).

    Raises:
        ValueError: ``p`` outside ``[0, 1)``, ``x`` not a floating-point tensor.

    Example:
        >>> x = torch.ones(2, 3)
        >>> xd, keep = dropout_features(x, 0.5, generator=torch.Generator().manual_seed(0))
        >>> torch.equal(xd, keep.float() * 2)
        True
    """
    if not isinstance(x, Tensor) or not x.is_floating_point():
        raise ValueError(f"x must be a floating-point tensor, got {getattr(x, 'dtype', type(x).__name__)}")
    p = check_fraction("p", p)
    if not training or p == 0.0:
        return x, torch.ones(x.shape, dtype=torch.bool, device=x.device)
    keep = uniform(x.shape, generator, x.device) >= p
    return x * keep.to(x.dtype).mul_(1.0 / (1.0 - p)), keep


@register_augmenter("feature_dropout")
class FeatureDropout(Augmenter):
    """Inverted dropout on node features: keep each entry with probability ``1 - p`` and
    scale it by ``1 / (1 - p)``.

    Raises:
        ValueError: ``p`` outside ``[0, 1)``.

    Example:
        >>> from graphssl.sparse import Graph
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1], [1, 0]]), 2)
        >>> _, xd = FeatureDropout(0.5)(g, torch.ones(2, 4), generator=torch.Generator().manual_seed(0))
        >>> sorted(set(xd.view(-1).tolist())) in ([0.0, 2.0], [0.0], [2.0])
        True
    """

    def __init__(self, p: float = 0.2) -> None:
        self.p = check_fraction("p", p)

    def _apply(self, view: GraphView, generator: Optional[torch.Generator]) -> GraphView:
        if view.x is None:
            raise ValueError("FeatureDropout needs node features x")
        x, _ = dropout_features(view.x, self.p, generator=generator)
        return view.replace(x=x)

    def extra_repr(self) -> str:
        return f"p={self.p}"
