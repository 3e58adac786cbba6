"""Shared pieces of the two-view node-level methods (GRACE, GCA, BGRL, CCA-SSG): building
each view's augmenter from a config (edge dropping + feature-column masking, uniform or
GCA-adaptive, or any registered augmenter specs), applying it to a graph or a batch, and
config checks.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor, nn

from ..checks import check_fraction
from ..augment import Augmenter, Compose, EdgeDrop, FeatureMask, build_augmenter
from ..sparse import Graph
from ..sparse.batch import GraphBatch

__all__ = ["RatePair", "rate_pair", "view_augmenters", "augment_view", "resolve_activation", "make_generator"]

#: A rate for both views, or one per view.
RatePair = Union[float, Sequence[float]]


def rate_pair(name: str, value: RatePair) -> Tuple[float, float]:
    """One rate per view: a number is used for both views, a pair gives each its own.

    Raises:
        ValueError: not a number or a pair of numbers in ``[0, 1)``.
    """
    if isinstance(value, (int, float)):
        r = check_fraction(name, value)
        return r, r
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return check_fraction(f"{name}[0]", value[0]), check_fraction(f"{name}[1]", value[1])
    raise ValueError(f"{name} must be a rate or a pair of rates (one per view), got {value!r}")


def view_augmenters(drop_edge_rates: RatePair, drop_feature_rates: RatePair, adaptive: Optional[str] = None,
                    max_drop_rate: float = 0.7, feature_weighting: str = "occurrence",
                    augmenters: Optional[Sequence[Any]] = None) -> Tuple[Augmenter, Augmenter]:
    """The two views' augmenters.

    By default view ``i`` masks feature columns with probability ``drop_feature_rates[i]``
    and drops edges with probability ``drop_edge_rates[i]`` (GRACE); with ``adaptive``
    (a centrality name: ``"degree"``, ``"pagerank"``, ``"eigenvector"``) both drops are
    GCA's centrality-weighted ones, capped at ``max_drop_rate``.

    Args:
        augmenters: instead, two augmenter specs (one per view), each a registered name,
            a ``{"name": ..., **args}`` mapping, an :class:`Augmenter`, or a list of those
            (composed in order); e.g. ``[[{"name": "edge_drop", "p": 0.2}], "identity"]``.

    Raises:
        ValueError: bad rates, an unknown centrality or augmenter name, or not two specs.
    """
    if augmenters is not None:
        if not isinstance(augmenters, (list, tuple)) or len(augmenters) != 2:
            raise ValueError(f"augmenters must hold two specs (one per view), got {augmenters!r}")
        out = []
        for spec in augmenters:
            if isinstance(spec, (list, tuple)):
                out.append(Compose([build_augmenter(s) for s in spec]))
            else:
                out.append(build_augmenter(spec))
        return out[0], out[1]
    pe, pf = rate_pair("drop_edge_rates", drop_edge_rates), rate_pair("drop_feature_rates", drop_feature_rates)
    views = []
    for i in range(2):
        # Features first: FeatureMask then sees the input graph, so GCA's feature weights come
        # from the centralities of the original graph (computed once and cached on it, as GCA
        # computes them once before training), not from an edge-dropped view's.
        views.append(Compose([
            FeatureMask(pf[i], adaptive=adaptive, max_p=max_drop_rate, weighting=feature_weighting),
            EdgeDrop(pe[i], adaptive=adaptive, max_p=max_drop_rate),
        ]))
    return views[0], views[1]


def augment_view(aug: Augmenter, data: Any, generator: Optional[torch.Generator]) -> Tuple[Graph, Tensor]:
    """Apply ``aug`` to ``data`` (anything with ``.graph`` and ``.x``; a :class:`GraphBatch`
    is augmented graph by graph) and return the view's ``(graph, x)``."""
    if isinstance(data, GraphBatch):
        b = aug.augment_batch(data, generator)
        return b.graph, b.x
    return aug.augment(data.graph, data.x, generator)


def resolve_activation(name: Union[str, nn.Module, None]) -> Union[str, nn.Module, None]:
    """Activation names for :func:`graphssl.nn.build_encoder`, plus ``"rrelu"`` (GCA's
    setting for Amazon-Computers and the Coauthor graphs), which has no parameters and so
    can be one shared module."""
    if isinstance(name, str) and name.lower() == "rrelu":
        return nn.RReLU()
    return name


def make_generator(seed: Optional[int]) -> Optional[torch.Generator]:
    """The method's own generator seeded with ``seed`` (None: use the global RNG)."""
    return torch.Generator().manual_seed(int(seed)) if seed is not None else None
