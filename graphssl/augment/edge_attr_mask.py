"""Edge-attribute masking: the `EdgeAttrMask` augmenter.

Edge attributes are not part of ``augment(graph, x)``'s signature; they travel in a
:class:`GraphView` (``apply(GraphView(graph, x, edge_attr=...))``) or in a
:class:`GraphBatch` (``augment_batch(batch)``), where every augmenter keeps them aligned
with the edges. The pure function is :func:`mask_features` applied to the attributes.
"""
from __future__ import annotations

from typing import Optional

import torch

from ..checks import check_choice, check_fraction
from .base import Augmenter, register_augmenter
from .feature_mask import MASK_MODES, mask_features
from .view import GraphView

__all__ = ["EdgeAttrMask"]


@register_augmenter("edge_attr_mask")
class EdgeAttrMask(Augmenter):
    """Mask edge attributes with probability ``p``: whole attribute columns (``"col"``,
    as PyGCL's edge-attribute masking), whole edges (``"row"``) or single entries
    (``"all"``); masked entries become ``fill_value`` (any attribute dtype).

    Args:
        p: mask probability in ``[0, 1)``.
        mode: ``"col"``, ``"row"`` or ``"all"``.
        fill_value: value of masked entries.

    Raises:
        ValueError: bad ``p`` or mode; at apply time, a view without edge attributes.

    Example:
        >>> from graphssl.sparse import Graph
        >>> from graphssl.augment import GraphView
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1], [1, 0]]), 2)
        >>> v = EdgeAttrMask(0.5, mode="row").apply(GraphView(g, None, edge_attr=torch.ones(2, 3)),
        ...                                         torch.Generator().manual_seed(0))
        >>> v.edge_attr.shape
        torch.Size([2, 3])
    """

    def __init__(self, p: float = 0.3, mode: str = "col", fill_value: float = 0.0) -> None:
        self.p = check_fraction("p", p)
        self.mode = check_choice("mask mode", mode, MASK_MODES)
        self.fill_value = fill_value

    def _apply(self, view: GraphView, generator: Optional[torch.Generator]) -> GraphView:
        if view.edge_attr is None:
            raise ValueError("EdgeAttrMask needs edge attributes: use augment_batch on a GraphBatch with "
                             "edge_attr, or apply(GraphView(graph, x, edge_attr=...))")
        attr, _ = mask_features(view.edge_attr, self.p, mode=self.mode, fill_value=self.fill_value,
                                generator=generator)
        return view.replace(edge_attr=attr)

    def extra_repr(self) -> str:
        return f"p={self.p}, mode={self.mode!r}" + (f", fill_value={self.fill_value}" if self.fill_value else "")
