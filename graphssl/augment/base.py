"""The `Augmenter` base class and the augmenter registry.

An augmenter maps ``(graph, x)`` to a new ``(graph, x)``; every random choice is drawn
from the ``torch.Generator`` passed in, so a seeded generator gives the same view. One
implementation (:meth:`Augmenter.apply` on a :class:`GraphView`) serves a full graph, a
sampled subgraph and a :class:`GraphBatch` of small graphs.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional, Tuple, Union, overload

import torch
from torch import Tensor

from ..registry import Registry
from ..sparse.batch import GraphBatch
from ..sparse.graph import Graph
from .view import GraphView

__all__ = ["Augmenter", "AUGMENTERS", "register_augmenter", "build_augmenter"]


class Augmenter:
    """Base class of the graph augmenters.

    Subclasses implement :meth:`_apply` (a :class:`GraphView` in, a new one out) using the
    view's edit helpers, which keep features, edge attributes, graph ids and node/edge
    provenance aligned. Users call :meth:`augment` (or the augmenter itself) on a graph and
    its features, :meth:`augment_batch` on a :class:`GraphBatch`, or :meth:`apply` on a
    :class:`GraphView` to also pass edge attributes or read which nodes/edges survived.

    Example:
        >>> from graphssl.augment import EdgeDrop
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1, 2], [1, 2, 0]]), 3)
        >>> g2, x2 = EdgeDrop(p=0.5)(g, torch.ones(3, 2), generator=torch.Generator().manual_seed(0))
        >>> g2.num_nodes, x2.shape
        (3, torch.Size([3, 2]))
    """

    #: Registry name, set by :func:`register_augmenter`.
    name: str = ""

    def _apply(self, view: GraphView, generator: Optional[torch.Generator]) -> GraphView:
        raise NotImplementedError

    def apply(self, view: GraphView, generator: Optional[torch.Generator] = None) -> GraphView:
        """Augment a :class:`GraphView` (graph, x, edge_attr, batch vector).

        Returns:
            The augmented view; its ``node_ids`` / ``edge_ids`` say where each node / edge
            came from.

        Raises:
            ValueError: shapes that do not match the graph, or inputs this augmenter cannot
                handle (e.g. node dropping on a bipartite Block).
        """
        if not isinstance(view, GraphView):
            raise ValueError(f"{type(self).__name__}.apply expects a GraphView, got {type(view).__name__}")
        if generator is not None and not isinstance(generator, torch.Generator):
            raise ValueError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
        return self._apply(view.validate(type(self).__name__), generator)

    def augment(self, graph: Graph, x: Optional[Tensor], generator: Optional[torch.Generator] = None
                ) -> Tuple[Graph, Optional[Tensor]]:
        """Augment one graph (a full graph, a sampled subgraph or Block).

        Args:
            graph: the graph.
            x: ``[num_src_nodes, F]`` node features (None is allowed for structural
                augmenters).
            generator: source of randomness (None: the global RNG).

        Returns:
            ``(graph, x)`` of the augmented view.

        Raises:
            ValueError: bad shapes or inputs (see :meth:`apply`).
        """
        v = self.apply(GraphView(graph, x), generator)
        return v.graph, v.x

    def augment_batch(self, batch: GraphBatch, generator: Optional[torch.Generator] = None) -> GraphBatch:
        """Augment a :class:`GraphBatch` of small graphs, each within itself.

        Returns:
            A new GraphBatch whose ``batch``, ``ptr``, ``edge_ptr``, ``edge_attr`` and
            node-level ``y`` match the augmented union graph (graph-level ``y`` unchanged).

        Raises:
            ValueError: ``batch`` is not a GraphBatch, or see :meth:`apply`.
        """
        v = self.apply(GraphView.from_batch(batch), generator)
        return v.to_batch(batch)

    @overload
    def __call__(self, graph: GraphBatch, x: None = None, generator: Optional[torch.Generator] = None
                 ) -> GraphBatch: ...

    @overload
    def __call__(self, graph: Graph, x: Optional[Tensor], generator: Optional[torch.Generator] = None
                 ) -> Tuple[Graph, Optional[Tensor]]: ...

    def __call__(self, graph, x=None, generator=None):
        """``augment(graph, x, generator)``; a :class:`GraphBatch` alone goes to
        :meth:`augment_batch` and a :class:`GraphView` to :meth:`apply`."""
        if isinstance(graph, GraphBatch):
            if x is not None:
                raise ValueError("pass a GraphBatch alone (its features are batch.x), not with x")
            return self.augment_batch(graph, generator)
        if isinstance(graph, GraphView):
            if x is not None:
                raise ValueError("pass a GraphView alone (its features are view.x), not with x")
            return self.apply(graph, generator)
        return self.augment(graph, x, generator)

    def extra_repr(self) -> str:
        """The constructor arguments shown by ``repr``."""
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


AUGMENTERS: Registry = Registry("augmenter")


def register_augmenter(name: str):
    """Class decorator registering an :class:`Augmenter` subclass under ``name``.

    Raises:
        ValueError: the name is taken, or the class is not an Augmenter.
    """
    deco = AUGMENTERS.register(name)

    def wrap(cls):
        if not (isinstance(cls, type) and issubclass(cls, Augmenter)):
            raise ValueError(f"register_augmenter({name!r}) needs an Augmenter subclass, got {cls!r}")
        cls.name = name.lower()
        return deco(cls)
    return wrap


def build_augmenter(spec: Union[str, Mapping[str, Any], Augmenter], **kwargs: Any) -> Augmenter:
    """Build an augmenter from a name and keyword arguments, or from a config mapping.

    Args:
        spec: a registered name (``"edge_drop"``), a mapping with a ``"name"`` key and the
            constructor arguments (``{"name": "edge_drop", "p": 0.2}``), or an Augmenter
            (returned as is).
        **kwargs: constructor arguments (added to, and overriding, the mapping's).

    Raises:
        ValueError: unknown name (listing the known ones), a mapping without ``"name"``,
            or arguments the augmenter does not take / rejects.

    Example:
        >>> build_augmenter({"name": "edge_drop", "p": 0.2})
        EdgeDrop(p=0.2)
    """
    if isinstance(spec, Augmenter):
        if kwargs:
            raise ValueError("build_augmenter got an Augmenter instance and extra arguments")
        return spec
    return AUGMENTERS.build(spec, **kwargs)
