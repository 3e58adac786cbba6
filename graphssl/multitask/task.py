"""The `PretextTask` interface and the pretext-task registry.

A pretext task computes one self-supervised loss from a *shared* encoder: it may
augment the input, call the encoder once or several times, and score the output with
heads of its own (decoders, discriminators, classifiers). The encoder is passed in, not
owned, so any number of tasks can train one encoder together (see :class:`MultiTask`).
"""
from __future__ import annotations

import weakref
from typing import Any, Callable, Hashable, Mapping, Optional, Union

import torch
from torch import Tensor, nn

from ..methods.base import GraphInput
from ..registry import Registry

__all__ = ["PretextTask", "TASKS", "register_task", "build_task", "GraphCache"]


class PretextTask(nn.Module):
    """Base class of the pretext tasks.

    Subclasses take ``(in_dim, emb_dim, **options)`` in their constructor (the input
    feature width and the encoder's output width, to size their heads), implement
    :meth:`loss`, and register with ``@register_task("name")``. Their own parameters are
    the task-specific heads: a multi-task trainer gives those the task's own gradient and
    reconciles only the encoder's.
    """

    #: Registry name, set by :func:`register_task`.
    name: str = ""

    def loss(self, encoder: nn.Module, data: GraphInput, generator: Optional[torch.Generator] = None) -> Tensor:
        """The task's scalar loss on ``data`` (``.graph``, ``.x``) with the shared ``encoder``
        (called as ``encoder(graph, x) -> [N, emb_dim]``); random choices come from
        ``generator`` (None: the global RNG)."""
        raise NotImplementedError

    def forward(self, encoder: nn.Module, data: GraphInput, generator: Optional[torch.Generator] = None) -> Tensor:
        return self.loss(encoder, data, generator)


TASKS: Registry = Registry("pretext task")


def register_task(name: str) -> Callable[[type], type]:
    """Class decorator registering a :class:`PretextTask` subclass under ``name``.

    Raises:
        ValueError: the name is taken, or the class is not a PretextTask.
    """
    deco = TASKS.register(name)

    def wrap(cls: type) -> type:
        if not (isinstance(cls, type) and issubclass(cls, PretextTask)):
            raise ValueError(f"register_task({name!r}) needs a PretextTask subclass, got {cls!r}")
        if not cls.__dict__.get("name"):
            cls.name = name.lower()
        return deco(cls)
    return wrap


def build_task(spec: Union[str, Mapping[str, Any], PretextTask], in_dim: int, emb_dim: int,
               **kwargs: Any) -> PretextTask:
    """Build a pretext task from a registered name or a config mapping
    (``{"name": "subgraph_mi", "tau": 0.2}``); an instance is returned as is.

    Args:
        spec: name, mapping with a ``"name"`` key, or a PretextTask.
        in_dim: input feature width.
        emb_dim: the shared encoder's output width.
        **kwargs: task options (added to, and overriding, the mapping's).

    Raises:
        ValueError: unknown name (listing the known ones), a mapping without ``"name"``,
            or options the task does not take.
    """
    if isinstance(spec, PretextTask):
        if kwargs:
            raise ValueError("build_task got a PretextTask instance and extra options")
        return spec
    return TASKS.build(spec, in_dim, emb_dim, **kwargs)


class GraphCache:
    """Remembers one value computed from a graph (pseudo-labels, distances), recomputed
    only when a different graph object comes in. Holds the graph weakly."""

    def __init__(self) -> None:
        self._ref: Optional[weakref.ref] = None
        self._key: Hashable = None
        self._value: Any = None

    def get(self, graph: Any, compute: Callable[[], Any], key: Hashable = None) -> Any:
        """The cached value for ``(graph, key)``, computing it with ``compute()`` on a miss."""
        if self._ref is None or self._ref() is not graph or self._key != key:
            self._value = compute()
            self._ref, self._key = weakref.ref(graph), key
        return self._value
