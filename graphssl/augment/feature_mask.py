"""Feature masking: `mask_features` and the `FeatureMask` augmenter (GRACE, GCA-adaptive)."""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor

from ._sampling import uniform
from ..checks import check_choice, check_fraction
from ._validation import check_probability_tensor
from .base import Augmenter, register_augmenter
from .centrality import CENTRALITIES, feature_drop_probabilities
from .view import GraphView

__all__ = ["MASK_MODES", "mask_features", "FeatureMask"]

#: What one draw masks: a whole feature column, a whole row (node), or one entry.
MASK_MODES = ("col", "row", "all")


def _mask_shape(x: Tensor, mode: str) -> Tuple[int, ...]:
    rest = (1,) * (x.dim() - 2)
    if mode == "col":
        return (1, x.size(1)) + rest
    if mode == "row":
        return (x.size(0), 1) + rest
    return tuple(x.shape)


def mask_features(x: Tensor, p: float = 0.3, *, mode: str = "col", feature_prob: Optional[Tensor] = None,
                  fill_value: float = 0.0, training: bool = True,
                  generator: Optional[torch.Generator] = None) -> Tuple[Tensor, Tensor]:
    """Replace masked features by ``fill_value`` (no rescaling).

    Args:
        x: ``[N, F, ...]`` features (or ``[N]``, treated as one column); any dtype, so
            categorical edge attributes can be masked too.
        p: mask probability in ``[0, 1)``.
        mode: ``"col"`` masks whole feature columns (one draw per feature, shared by all
            rows, as GRACE), ``"row"`` whole rows, ``"all"`` single entries.
        feature_prob: optional per-draw mask probabilities replacing ``p``: ``[F]`` for
            ``"col"``, ``[N]`` for ``"row"``, ``x.shape`` for ``"all"``.
        fill_value: value written into masked entries.
        training: if False, return ``x`` unchanged with an all-True mask.
        generator: source of randomness.

    Returns:
        ``(x_masked, keep)``: the masked copy and the bool keep-mask, broadcastable to
        ``x`` (``[1, F]`` for ``"col"``, ``[N, 1]`` for ``"row"``, ``x.shape`` for ``"all"``).

    Raises:
        ValueError: ``p`` outside ``[0, 1)``, unknown mode, ``feature_prob`` of the wrong
            shape or range, ``x`` not a tensor.

    Example:
        >>> x = torch.ones(3, 4)
        >>> xm, keep = mask_features(x, 0.5, generator=torch.Generator().manual_seed(0))
        >>> keep.shape, bool((xm == keep.float()).all())
        (torch.Size([1, 4]), True)
    """
    if not isinstance(x, Tensor) or x.dim() == 0:
        raise ValueError(f"x must be a [N, F] tensor, got {getattr(x, 'shape', type(x).__name__)}")
    p = check_fraction("p", p)
    mode = check_choice("mask mode", mode, MASK_MODES)
    flat = x.dim() == 1
    xx = x.unsqueeze(1) if flat else x
    shape = _mask_shape(xx, mode)
    prob = p
    if feature_prob is not None:
        want = {"col": (xx.size(1),), "row": (xx.size(0),), "all": tuple(xx.shape)}[mode]
        check_probability_tensor(f"feature_prob for mode {mode!r}", feature_prob, want)
        prob = feature_prob.to(x.device).reshape(shape)
    if not training or (feature_prob is None and p == 0.0):
        keep = torch.ones(shape, dtype=torch.bool, device=x.device)
    else:
        keep = uniform(shape, generator, x.device) >= prob
    out = torch.where(keep, xx, torch.full((), fill_value, dtype=x.dtype, device=x.device))
    if flat:
        out, keep = out.squeeze(1), keep.squeeze(1)
    return out, keep


@register_augmenter("feature_mask")
class FeatureMask(Augmenter):
    """Zero (or fill) whole feature columns with probability ``p`` (GRACE), optionally
    GCA-adaptive.

    Args:
        p: mask probability in ``[0, 1)`` (the mean one when adaptive).
        mode: ``"col"`` (default), ``"row"`` or ``"all"``; see :func:`mask_features`.
        fill_value: value of masked entries.
        adaptive: None, or a centrality (``"degree"``, ``"pagerank"``, ``"eigenvector"``):
            features carried by central nodes are masked less (GCA; ``"col"`` mode only).
        max_p: cap on any feature's mask probability when adaptive.
        weighting: how GCA weights node occurrences (``"occurrence"`` or ``"magnitude"``).

    Raises:
        ValueError: bad rates, unknown mode/centrality, adaptive with a mode other than col.

    Example:
        >>> from graphssl.sparse import Graph
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1], [1, 0]]), 2)
        >>> _, xm = FeatureMask(0.5)(g, torch.ones(2, 6), generator=torch.Generator().manual_seed(0))
        >>> bool((xm[0] == xm[1]).all())  # the same columns are masked in every row
        True
    """

    def __init__(self, p: float = 0.3, mode: str = "col", fill_value: float = 0.0, adaptive: Optional[str] = None,
                 max_p: float = 0.7, weighting: str = "occurrence") -> None:
        self.p = check_fraction("p", p)
        self.mode = check_choice("mask mode", mode, MASK_MODES)
        self.fill_value = float(fill_value)
        self.adaptive = check_choice("adaptive centrality", adaptive, (None,) + CENTRALITIES)
        self.max_p = check_fraction("max_p", max_p, high_closed=True)
        self.weighting = check_choice("feature weighting", weighting, ("occurrence", "magnitude"))
        if self.adaptive is not None and self.mode != "col":
            raise ValueError(f"adaptive feature masking works on columns; got mode {mode!r}")

    def _apply(self, view: GraphView, generator: Optional[torch.Generator]) -> GraphView:
        if view.x is None:
            raise ValueError("FeatureMask needs node features x")
        prob = None
        if self.adaptive is not None:
            if view.graph.is_bipartite or view.x.dim() != 2:
                raise ValueError("adaptive FeatureMask needs a square graph and [N, F] features")
            prob = feature_drop_probabilities(view.graph, view.x, self.p, self.adaptive, self.max_p, self.weighting)
        x, _ = mask_features(view.x, self.p, mode=self.mode, feature_prob=prob, fill_value=self.fill_value,
                             generator=generator)
        return view.replace(x=x)

    def extra_repr(self) -> str:
        s = f"p={self.p}"
        if self.mode != "col":
            s += f", mode={self.mode!r}"
        if self.fill_value != 0.0:
            s += f", fill_value={self.fill_value}"
        if self.adaptive:
            s += f", adaptive={self.adaptive!r}, max_p={self.max_p}"
        return s
