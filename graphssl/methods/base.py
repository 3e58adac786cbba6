"""The interface every SSL method implements, and the method registry."""
from __future__ import annotations

from typing import Any, Optional, Protocol, Tuple

import torch
from torch import Tensor, nn

from ..registry import Registry
from ..sparse import Graph

__all__ = ["GraphInput", "SSLMethod", "METHODS", "register_method", "build_method", "check_level"]


class GraphInput(Protocol):
    """Anything with a graph and node features: a node dataset, a batch of small graphs,
    a sampled mini-batch."""

    graph: Graph
    x: Tensor


class SSLMethod(nn.Module):
    """An SSL method = encoder + augmenters + loss.

    Subclasses implement :meth:`loss` (a scalar to minimise on one batch) and
    :meth:`embed` (frozen representations for downstream evaluation), and register
    themselves with ``@register_method("name")``.
    """

    #: False for training-free baselines: the trainer then skips optimisation.
    trainable: bool = True
    #: The method's own random generator (masks, augmentations), or None for the global
    #: RNG; checkpoints save and restore its state.
    generator: Optional[torch.Generator] = None
    #: What :meth:`embed` can return: ``"node"`` (one row per node of a graph) and/or
    #: ``"graph"`` (one row per graph of a batch). The pipelines refuse a dataset of a level
    #: the method lacks before training, naming both.
    levels: Tuple[str, ...] = ("node", "graph")

    def loss(self, data: GraphInput) -> Tensor:
        """The self-supervised loss on ``data`` (a scalar tensor)."""
        raise NotImplementedError

    @torch.no_grad()
    def embed(self, data: GraphInput) -> Tensor:
        """``[N, D]`` embeddings of ``data``'s nodes (or ``[B, D]`` of its graphs).

        Default: the method's ``encoder`` on ``data`` in eval mode (the training mode is
        restored afterwards): ``encoder.embed_input(data)`` where the encoder defines it (an
        encoder that reads more of its input than ``(graph, x)``, such as the molecule GIN),
        else ``encoder(data.graph, data.x)``. Methods without an ``encoder`` override this.
        """
        encoder = getattr(self, "encoder", None)
        if encoder is None:
            raise NotImplementedError(f"{type(self).__name__} has no `encoder`: it must implement embed()")
        encode = getattr(encoder, "embed_input", None)
        was = self.training
        self.eval()
        try:
            return encode(data) if callable(encode) else encoder(data.graph, data.x)
        finally:
            self.train(was)


METHODS: Registry = Registry("method")
register_method = METHODS.register


def build_method(name: str, in_dim: int, **config: Any) -> SSLMethod:
    """Instantiate the method registered under ``name`` for ``in_dim`` input features.

    Raises:
        ValueError: unknown method name, or a config key the method does not take.
    """
    cls = METHODS.get(name)
    try:
        return cls(in_dim=in_dim, **config)
    except TypeError as e:  # unexpected keyword: name it instead of a bare TypeError
        raise ValueError(f"bad config for method {name!r}: {e}") from None


def check_level(name: str, level: str) -> None:
    """Raise ``ValueError`` when the method registered as ``name`` cannot embed at ``level``
    (``"node"`` or ``"graph"``), naming the methods that can."""
    cls = METHODS.get(name)
    if level in getattr(cls, "levels", ("node", "graph")):
        return
    able = sorted(n for n in METHODS.names() if level in getattr(METHODS.get(n), "levels", ()))
    kind = "node-classification" if level == "node" else "graph-classification"
    raise ValueError(f"method {name!r} embeds {'/'.join(cls.levels)}s only, and this is a {kind} dataset; "
                     f"methods that embed {level}s: {', '.join(able)}")
