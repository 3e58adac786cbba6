"""Combinators: `Compose` (apply in sequence), `RandomChoice` (apply a random subset) and
`Identity` (no change); each is an augmenter itself and accepts config mappings."""
from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence, Union

import torch

from ._sampling import randperm
from ..checks import check_int
from .base import Augmenter, build_augmenter, register_augmenter
from .view import GraphView

__all__ = ["Compose", "RandomChoice", "Identity"]

AugmenterSpec = Union[Augmenter, str, Mapping[str, Any]]


def _build_all(augmenters: Sequence[AugmenterSpec], what: str) -> list:
    if isinstance(augmenters, (str, Mapping, Augmenter)) or not hasattr(augmenters, "__iter__"):
        raise ValueError(f"{what} takes a list of augmenters (or configs), got {type(augmenters).__name__}")
    return [build_augmenter(a) for a in augmenters]


@register_augmenter("identity")
class Identity(Augmenter):
    """Return the input unchanged (GraphCL's "none" augmentation).

    Example:
        >>> from graphssl.sparse import Graph
        >>> g = Graph.from_edge_index(torch.tensor([[0], [1]]), 2)
        >>> Identity()(g, None)[0] is g
        True
    """

    def _apply(self, view: GraphView, generator: Optional[torch.Generator]) -> GraphView:
        return view


@register_augmenter("compose")
class Compose(Augmenter):
    """Apply augmenters one after another (all drawing from the same generator).

    Args:
        augmenters: Augmenter instances or configs for :func:`build_augmenter`
            (``{"name": "edge_drop", "p": 0.2}``).

    Raises:
        ValueError: not a list, or a config that cannot be built.

    Example:
        >>> from graphssl.sparse import Graph
        >>> aug = Compose([{"name": "edge_drop", "p": 0.3}, {"name": "feature_mask", "p": 0.3}])
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1], [1, 0]]), 2)
        >>> g2, x2 = aug(g, torch.ones(2, 4), generator=torch.Generator().manual_seed(0))
        >>> aug
        Compose([EdgeDrop(p=0.3), FeatureMask(p=0.3)])
    """

    def __init__(self, augmenters: Sequence[AugmenterSpec]) -> None:
        self.augmenters = _build_all(augmenters, "Compose")

    def _apply(self, view: GraphView, generator: Optional[torch.Generator]) -> GraphView:
        for aug in self.augmenters:
            view = aug.apply(view, generator)
        return view

    def extra_repr(self) -> str:
        return "[" + ", ".join(repr(a) for a in self.augmenters) + "]"


@register_augmenter("random_choice")
class RandomChoice(Augmenter):
    """Apply ``num_choices`` augmenters drawn at random without replacement (each subset
    equally likely), in their listed order (GraphCL's random augmentation pools).

    Args:
        augmenters: Augmenter instances or configs.
        num_choices: how many to apply per call, ``1..len(augmenters)``.

    The choice is drawn from the generator once per call, so a whole batch gets the same
    augmenters (each graph still gets its own random draws inside them).

    Raises:
        ValueError: an empty list, ``num_choices`` out of range, unbuildable configs.

    Example:
        >>> from graphssl.sparse import Graph
        >>> aug = RandomChoice(["node_drop", "edge_drop", "feature_mask"], num_choices=1)
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1], [1, 0]]), 2)
        >>> g2, x2 = aug(g, torch.ones(2, 4), generator=torch.Generator().manual_seed(0))
        >>> x2.size(0) == g2.num_nodes
        True
    """

    def __init__(self, augmenters: Sequence[AugmenterSpec], num_choices: int = 1) -> None:
        self.augmenters = _build_all(augmenters, "RandomChoice")
        if not self.augmenters:
            raise ValueError("RandomChoice needs at least one augmenter")
        self.num_choices = check_int("num_choices", num_choices)
        if self.num_choices > len(self.augmenters):
            raise ValueError(f"num_choices={num_choices} exceeds the {len(self.augmenters)} augmenters")

    def choose(self, generator: Optional[torch.Generator] = None) -> list:
        """The (sorted) indices of the augmenters one call applies."""
        idx = randperm(len(self.augmenters), generator, torch.device("cpu"))[: self.num_choices]
        return sorted(idx.tolist())

    def _apply(self, view: GraphView, generator: Optional[torch.Generator]) -> GraphView:
        for i in self.choose(generator):
            view = self.augmenters[i].apply(view, generator)
        return view

    def extra_repr(self) -> str:
        return "[" + ", ".join(repr(a) for a in self.augmenters) + f"], num_choices={self.num_choices}"
