"""InfoGraph (Sun et al., ICLR 2020): graph-level representations that maximise the
Jensen-Shannon mutual information between every node's representation and the
representation of the graph it belongs to, with the other graphs of the batch as negatives.

The encoder (:class:`InfoGraphEncoder`) is also GraphCL's backbone in its unsupervised TU
experiments: GIN layers (``ReLU`` after each conv, then BatchNorm), node representations
are the concatenation of every layer's output and the graph representation is the
concatenation of every layer's sum-pooled output.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..checks import check_int, check_positive
from ..losses import jsd_loss
from ..nn import CONVS, create_activation, create_norm, global_pool
from ..sparse import Graph
from .base import GraphInput, SSLMethod, register_method

__all__ = ["InfoGraph", "InfoGraphEncoder", "graph_pointers", "xavier_init_"]

_POOLS = ("sum", "mean", "max")


def xavier_init_(module: nn.Module) -> nn.Module:
    """Xavier-uniform weights and zero biases for every ``nn.Linear`` inside ``module``
    (the initialisation InfoGraph and GraphCL apply to their whole model). Returns it."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return module


def graph_pointers(data: GraphInput) -> Tuple[Tensor, Tensor]:
    """``(ptr [B + 1], batch [N])`` of a :class:`~graphssl.sparse.GraphBatch`; an input
    without ``.ptr`` (one graph) counts as a batch of one graph.

    Raises:
        ValueError: ``data`` has no graph or features, or its ``ptr`` does not cover them.
    """
    graph, x = getattr(data, "graph", None), getattr(data, "x", None)
    if not isinstance(graph, Graph):
        raise ValueError(f"expected a GraphBatch (or anything with .graph and .x), got {type(data).__name__}")
    if x is None:
        raise ValueError("graph-level methods need node features x (featureless datasets: use "
                         "data.degree_features)")
    n = graph.num_nodes
    ptr = getattr(data, "ptr", None)
    if ptr is None:
        ptr = torch.tensor([0, n], dtype=torch.long, device=x.device)
    if int(ptr[-1]) != n or x.size(0) != n:
        raise ValueError(f"batch offsets end at {int(ptr[-1])} but the graph has {n} nodes and x {x.size(0)} rows")
    batch = getattr(data, "batch", None)
    if batch is None or batch.numel() != n:
        counts = ptr[1:] - ptr[:-1]
        batch = torch.repeat_interleave(torch.arange(counts.numel(), device=ptr.device), counts, output_size=n)
    return ptr, batch


class InfoGraphEncoder(nn.Module):
    """Graph encoder with a concatenated ("jumping") readout over all layers.

    Each layer is ``norm(activation(conv(graph, h)))`` (InfoGraph's order: the
    activation comes before BatchNorm). Node representations are the concatenation of the
    ``num_layers`` layer outputs; the graph representation concatenates each layer's
    pooled output, so both are ``hidden_dim * num_layers`` wide.

    Args:
        in_dim: input feature width.
        hidden_dim: width of every layer.
        num_layers: number of layers (>= 1).
        conv: a conv name of :func:`graphssl.nn.build_encoder` (``"gin"`` in both papers).
        norm: norm after each layer's activation (``"batchnorm"``, ``"layernorm"`` or None).
        activation: activation name.
        pooling: per-layer readout, ``"sum"`` (the papers'), ``"mean"`` or ``"max"``.

    Shapes:
        ``forward(graph, x, ptr)``: ``x [N, in_dim]``, ``ptr [B + 1]`` ->
        ``(graph_emb [B, out_dim], node_emb [N, out_dim])`` with ``out_dim = hidden_dim * num_layers``.

    Raises:
        ValueError: non-positive sizes, an unknown conv/norm/activation/pooling name.
    """

    def __init__(self, in_dim: int, hidden_dim: int = 32, num_layers: int = 3, conv: str = "gin",
                 norm: Optional[str] = "batchnorm", activation: str = "relu", pooling: str = "sum") -> None:
        super().__init__()
        for name, v in (("in_dim", in_dim), ("hidden_dim", hidden_dim), ("num_layers", num_layers)):
            check_int(f"InfoGraphEncoder {name}", v)
        if pooling not in _POOLS:
            raise ValueError(f"pooling must be one of {_POOLS}, got {pooling!r}")
        builder = CONVS.get(conv)  # unknown name -> ValueError listing the known ones
        self.in_dim, self.hidden_dim, self.num_layers, self.pooling = in_dim, hidden_dim, num_layers, pooling
        self.out_dim = hidden_dim * num_layers
        self.convs = nn.ModuleList()
        self.acts = nn.ModuleList()
        self.norms = nn.ModuleList()
        for i in range(num_layers):
            try:
                self.convs.append(builder(in_dim if i == 0 else hidden_dim, hidden_dim))
            except TypeError as e:
                raise ValueError(f"bad arguments for conv {conv!r}: {e}") from None
            self.acts.append(create_activation(activation))
            self.norms.append(create_norm(norm, hidden_dim))

    def reset_parameters(self) -> None:
        for m in self.modules():
            if m is not self and hasattr(m, "reset_parameters"):
                m.reset_parameters()

    def forward(self, graph: Graph, x: Tensor, ptr: Tensor) -> Tuple[Tensor, Tensor]:
        """Encode a batch of graphs; returns ``(graph_emb [B, out_dim], node_emb [N, out_dim])``.

        Raises:
            ValueError: wrong feature width or offsets that do not cover ``x``.
        """
        if x.dim() != 2 or x.size(1) != self.in_dim:
            raise ValueError(f"InfoGraphEncoder expects [N, {self.in_dim}] features, got {tuple(x.shape)}")
        h, layers = x, []
        for conv, act, norm in zip(self.convs, self.acts, self.norms):
            h = norm(act(conv(graph, h)))
            layers.append(h)
        node = torch.cat(layers, dim=1)
        pooled = torch.cat([global_pool(h, ptr, self.pooling) for h in layers], dim=1)
        return pooled, node


class _ResidualFF(nn.Module):
    """InfoGraph's discriminator head: three ``Linear -> ReLU`` plus a linear shortcut."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.block = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim), nn.ReLU(),
                                   nn.Linear(dim, dim), nn.ReLU())
        self.shortcut = nn.Linear(dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.block(x) + self.shortcut(x)


class _PriorDiscriminator(nn.Module):
    """Tells samples of a uniform prior from graph embeddings (logits)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, 1))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


@register_method("infograph")
class InfoGraph(SSLMethod):
    """InfoGraph: local-global Jensen-Shannon mutual-information maximisation.

    For a batch of ``B`` graphs with ``N`` nodes, node (patch) and graph representations
    go through their own residual MLP heads; the critic is their dot product; the ``N``
    (node, own graph) pairs are positives and the ``N * (B - 1)`` (node, other graph) pairs
    negatives of :func:`graphssl.losses.jsd_loss` (InfoGraph's loss up to the constant
    ``2 log 2``). :meth:`embed` returns the encoder's graph representation (no head).

    Args:
        in_dim: input feature width.
        hidden_dim, num_layers, conv, norm, activation, pooling: see :class:`InfoGraphEncoder`.
        prior: add the adversarial prior-matching term (off in the paper's default runs).
        gamma: weight of the prior term.
        seed: seeds the method's generator (the prior samples); else the global RNG.

    Raises:
        ValueError: bad encoder arguments or a negative ``gamma``.
    """

    levels = ("graph",)

    def __init__(self, in_dim: int, hidden_dim: int = 32, num_layers: int = 3, conv: str = "gin",
                 norm: Optional[str] = "batchnorm", activation: str = "relu", pooling: str = "sum",
                 prior: bool = False, gamma: float = 0.1, seed: Optional[int] = None) -> None:
        super().__init__()
        check_positive("gamma", gamma, allow_zero=True)
        self.encoder = InfoGraphEncoder(in_dim, hidden_dim, num_layers, conv, norm, activation, pooling)
        dim = self.encoder.out_dim
        self.local_head = _ResidualFF(dim)
        self.global_head = _ResidualFF(dim)
        self.prior, self.gamma = bool(prior), float(gamma)
        self.prior_head = _PriorDiscriminator(dim) if self.prior else None
        self.generator = torch.Generator().manual_seed(seed) if seed is not None else None
        xavier_init_(self)

    @property
    def out_dim(self) -> int:
        """Width of the graph embeddings :meth:`embed` returns."""
        return self.encoder.out_dim

    def loss(self, data: GraphInput) -> Tensor:
        """The local-global JSD loss (plus the prior term when enabled) on a batch.

        A batch of one graph has no negative pair: its loss is a zero that carries no gradient.
        """
        ptr, batch = graph_pointers(data)
        g, node = self.encoder(data.graph, data.x, ptr)
        num_graphs = ptr.numel() - 1
        if num_graphs < 2:
            return g.sum() * 0.0
        pos = torch.stack([torch.arange(node.size(0), device=node.device), batch])
        loss = jsd_loss(self.local_head(node), self.global_head(g), pos)
        if self.prior_head is not None:
            # Uniform prior samples should be scored "real", embeddings "fake":
            # -(E log D(prior) + E log(1 - D(y))), with D = sigmoid of the logits.
            sample = torch.rand(g.shape, generator=self.generator).to(g.device)
            prior_term = -(F.logsigmoid(self.prior_head(sample)).mean() + F.logsigmoid(-self.prior_head(g)).mean())
            loss = loss + self.gamma * prior_term
        return loss

    @torch.no_grad()
    def embed(self, data: GraphInput) -> Tensor:
        """``[B, hidden_dim * num_layers]`` graph embeddings (eval mode: BatchNorm running stats)."""
        was = self.training
        self.eval()
        ptr, _ = graph_pointers(data)
        g, _ = self.encoder(data.graph, data.x, ptr)
        self.train(was)
        return g
