"""Stacks of graph layers (`GNNEncoder`) and the by-name factory `build_encoder`.

A stack is ``num_layers`` blocks of ``dropout -> conv -> [+ residual] -> norm -> activation``
(GraphMAE's layout). With ``encoding=False`` the last block is just ``dropout -> conv``, as
a decoder or a classifier head. Widths are total widths: a multi-head attention layer
of width ``w`` with ``k`` concatenated heads has ``w // k`` channels per head (GraphMAE's
``num_hidden // nhead``).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from torch import Tensor, nn

from ..checks import check_fraction, check_int
from ..registry import Registry
from ..sparse.batch import GraphBatch
from ..sparse.graph import Graph
from .activation import create_activation
from .dropout import dropout
from .gat_conv import GATConv
from .gcn_conv import GCNConv
from .gin_conv import GINConv
from .mlp import GraphLinear
from .norm import create_norm
from .sage_conv import SAGEConv

__all__ = ["GNNEncoder", "build_encoder", "register_conv", "conv_names", "CONVS"]

#: Conv builders by name. A builder is called as
#: ``builder(in_dim, out_dim, heads=..., concat=..., attn_drop=..., negative_slope=..., **conv_kwargs)``
#: and returns a module ``(graph, x [num_src, in_dim]) -> [num_dst, out_dim]``.
CONVS: Registry[Callable[..., nn.Module]] = Registry("conv")


def register_conv(name: str) -> Callable:
    """Decorator registering a conv builder under ``name`` (see :data:`CONVS`)."""
    return CONVS.register(name)


def conv_names() -> List[str]:
    """Names accepted by :func:`build_encoder`."""
    return CONVS.names()


@register_conv("gcn")
def _gcn(in_dim: int, out_dim: int, heads: int = 1, concat: bool = True, attn_drop: float = 0.0,
         negative_slope: float = 0.2, **kw: Any) -> nn.Module:
    return GCNConv(in_dim, out_dim, **kw)


@register_conv("gat")
def _gat(in_dim: int, out_dim: int, heads: int = 1, concat: bool = True, attn_drop: float = 0.0,
         negative_slope: float = 0.2, **kw: Any) -> nn.Module:
    if concat and out_dim % heads:
        raise ValueError(f"GAT layer width {out_dim} is not divisible by its {heads} concatenated heads")
    per_head = out_dim // heads if concat else out_dim
    return GATConv(in_dim, per_head, heads=heads, concat=concat, attn_drop=attn_drop,
                   negative_slope=negative_slope, **kw)


@register_conv("gin")
def _gin(in_dim: int, out_dim: int, heads: int = 1, concat: bool = True, attn_drop: float = 0.0,
         negative_slope: float = 0.2, **kw: Any) -> nn.Module:
    return GINConv(in_dim, out_dim, **kw)


@register_conv("sage")
def _sage(in_dim: int, out_dim: int, heads: int = 1, concat: bool = True, attn_drop: float = 0.0,
          negative_slope: float = 0.2, **kw: Any) -> nn.Module:
    return SAGEConv(in_dim, out_dim, **kw)


@register_conv("mlp")
def _mlp(in_dim: int, out_dim: int, heads: int = 1, concat: bool = True, attn_drop: float = 0.0,
         negative_slope: float = 0.2, **kw: Any) -> nn.Module:
    return GraphLinear(in_dim, out_dim, **kw)


register_conv("linear")(_mlp)


GraphInput = Union[Graph, GraphBatch, Sequence[Graph]]


class GNNEncoder(nn.Module):
    """A stack of graph layers that runs on a full graph, a :class:`GraphBatch`, or Blocks.

    Args:
        conv: layer name (``"gcn"``, ``"gat"``, ``"gin"``, ``"sage"``, ``"mlp"``/``"linear"``,
            or any name added with :func:`register_conv`).
        in_dim: input feature width.
        hidden_dim: total width of every hidden layer.
        out_dim: total width of the last layer (default ``hidden_dim``).
        num_layers: number of layers (>= 1).
        heads: attention heads of the hidden layers (attention convs only; others ignore it).
        out_heads: heads of the last layer (default ``heads``; GraphMAE's decoder uses 1).
        concat_out: concatenate the last layer's heads (else average them; hidden layers
            always concatenate).
        norm: ``None``, ``"batchnorm"`` or ``"layernorm"`` after each conv.
        activation: activation name (a new module per layer, e.g. one PReLU per layer).
        dropout: feature dropout on every layer's input (GraphMAE's ``in_drop``).
        attn_drop: attention dropout (attention convs).
        negative_slope: LeakyReLU slope of attention logits (attention convs).
        residual: add the (projected) layer input to each conv output.
        encoding: apply residual, norm and activation after the last layer too
            (GraphMAE's ``encoding=True``); ``False`` leaves the last layer plain.
        conv_kwargs: extra keyword arguments for every conv (e.g. ``{"aggr": "max"}`` for SAGE,
            ``{"train_eps": True}`` for GIN, ``{"add_self_loops": False}``).

    Raises:
        ValueError: unknown conv/norm/activation name, non-positive sizes, a width not
            divisible by its heads, or conv arguments the conv does not take.

    Example:
        >>> import torch
        >>> enc = GNNEncoder("gat", 16, 32, num_layers=2, heads=4)
        >>> g = Graph.from_edge_index(torch.tensor([[0, 1], [1, 0]]), 2)
        >>> enc(g, torch.randn(2, 16)).shape
        torch.Size([2, 32])
    """

    def __init__(self, conv: str, in_dim: int, hidden_dim: int, out_dim: Optional[int] = None,
                 num_layers: int = 2, heads: int = 1, out_heads: Optional[int] = None, concat_out: bool = True,
                 norm: Optional[str] = None, activation: Optional[str] = "prelu", dropout: float = 0.0,
                 attn_drop: float = 0.0, negative_slope: float = 0.2, residual: bool = False,
                 encoding: bool = True, conv_kwargs: Optional[Dict[str, Any]] = None) -> None:
        super().__init__()
        builder = CONVS.get(conv)
        out_dim = hidden_dim if out_dim is None else out_dim
        out_heads = heads if out_heads is None else out_heads
        for name, v in (("in_dim", in_dim), ("hidden_dim", hidden_dim), ("out_dim", out_dim),
                        ("num_layers", num_layers), ("heads", heads), ("out_heads", out_heads)):
            check_int(f"GNNEncoder {name}", v)
        check_fraction("GNNEncoder dropout", dropout)
        self.conv_name = str(conv).lower()
        self.in_dim, self.hidden_dim, self.out_dim = in_dim, hidden_dim, out_dim
        self.num_layers, self.dropout, self.encoding = num_layers, dropout, encoding
        conv_kwargs = dict(conv_kwargs or {})
        self.convs = nn.ModuleList()
        self.residuals = nn.ModuleList()
        self.norms = nn.ModuleList()
        self.activations = nn.ModuleList()
        for i in range(num_layers):
            last = i == num_layers - 1
            d_in = in_dim if i == 0 else hidden_dim
            d_out = out_dim if last else hidden_dim
            try:
                layer = builder(d_in, d_out, heads=out_heads if last else heads, concat=concat_out if last else True,
                                attn_drop=attn_drop, negative_slope=negative_slope, **conv_kwargs)
            except TypeError as e:
                raise ValueError(f"bad arguments for conv {conv!r}: {e}") from None
            self.convs.append(layer)
            plain = last and not encoding
            if residual and not plain:
                self.residuals.append(nn.Identity() if d_in == d_out else nn.Linear(d_in, d_out, bias=False))
            else:
                self.residuals.append(None)
            self.norms.append(nn.Identity() if plain else create_norm(norm, d_out))
            self.activations.append(nn.Identity() if plain else create_activation(activation))

    def reset_parameters(self) -> None:
        for m in self.modules():
            if m is not self and hasattr(m, "reset_parameters"):
                m.reset_parameters()

    def _layer_graphs(self, graph_or_blocks: GraphInput) -> List[Graph]:
        if isinstance(graph_or_blocks, GraphBatch):
            graph_or_blocks = graph_or_blocks.graph
        if isinstance(graph_or_blocks, Graph):
            return [graph_or_blocks] * self.num_layers
        if not isinstance(graph_or_blocks, (list, tuple)):
            raise ValueError("GNNEncoder expects a Graph, a GraphBatch, or a list of Blocks (one per layer), "
                             f"got {type(graph_or_blocks).__name__}")
        blocks = list(graph_or_blocks)
        if len(blocks) != self.num_layers:
            raise ValueError(f"got {len(blocks)} Blocks for a {self.num_layers}-layer encoder (need one per layer)")
        for i, b in enumerate(blocks):
            if not isinstance(b, Graph):
                raise ValueError(f"Block {i} is a {type(b).__name__}, not a graphssl.sparse.Graph")
            if i and b.num_src_nodes != blocks[i - 1].num_dst_nodes:
                raise ValueError(f"Block {i} has {b.num_src_nodes} source nodes but Block {i - 1} outputs "
                                 f"{blocks[i - 1].num_dst_nodes} destination nodes; they must match")
        return blocks

    def forward(self, graph_or_blocks: GraphInput, x: Optional[Tensor] = None, return_hidden: bool = False):
        """Encode nodes.

        Args:
            graph_or_blocks: a :class:`Graph` (every layer uses it), a :class:`GraphBatch`
                (its union graph), or a list of ``num_layers`` Blocks, Block ``i`` feeding
                layer ``i`` (``blocks[i].num_src_nodes == blocks[i-1].num_dst_nodes``).
            x: ``[num_src_nodes of the first graph, in_dim]``; defaults to a GraphBatch's ``x``.
            return_hidden: also return the list of every layer's output (GraphMAE's
                ``return_hidden``).

        Returns:
            ``[num_dst_nodes of the last graph, out_dim]``, or ``(that, [per-layer outputs])``.

        Raises:
            ValueError: bad graph input, wrong number of Blocks, missing or ill-shaped ``x``.
        """
        if x is None:
            x = graph_or_blocks.x if isinstance(graph_or_blocks, GraphBatch) else None
            if x is None:
                raise ValueError("GNNEncoder.forward needs node features x")
        graphs = self._layer_graphs(graph_or_blocks)
        h, hidden = x, []
        for i, g in enumerate(graphs):
            h = self.layer_forward(i, g, h)
            hidden.append(h)
        return (h, hidden) if return_hidden else h

    def layer_forward(self, i: int, graph: Graph, h: Tensor) -> Tensor:
        """Layer ``i`` alone (``dropout -> conv -> [+ residual] -> norm -> activation``):
        ``h [graph.num_src_nodes, d_in] -> [graph.num_dst_nodes, d_out]``. :meth:`forward`
        chains it; :func:`graphssl.nn.layerwise_inference` runs it over node batches.

        Raises:
            IndexError: ``i`` not a layer index.
        """
        if not -self.num_layers <= i < self.num_layers:
            raise IndexError(f"layer {i} of a {self.num_layers}-layer encoder")
        h_in = dropout(h, self.dropout, self.training)
        out = self.convs[i](graph, h_in)
        if self.residuals[i] is not None:
            out = out + self.residuals[i](h_in[: graph.num_dst_nodes])
        return self.activations[i](self.norms[i](out))

    def layer_out_dims(self) -> List[int]:
        """Output width of every layer."""
        return [self.out_dim if i == self.num_layers - 1 else self.hidden_dim for i in range(self.num_layers)]

    def extra_repr(self) -> str:
        return (f"conv={self.conv_name!r}, in_dim={self.in_dim}, hidden_dim={self.hidden_dim}, "
                f"out_dim={self.out_dim}, num_layers={self.num_layers}, encoding={self.encoding}")


def build_encoder(name: str, in_dim: int, hidden_dim: int, out_dim: Optional[int] = None, num_layers: int = 2,
                  **kwargs: Any) -> GNNEncoder:
    """Build a :class:`GNNEncoder` from a conv name (the factory configs and the CLI use).

    Args:
        name: registered conv name; see :func:`conv_names`.
        in_dim, hidden_dim, out_dim, num_layers: as in :class:`GNNEncoder`.
        **kwargs: the other :class:`GNNEncoder` arguments (heads, out_heads, norm, activation,
            dropout, attn_drop, negative_slope, residual, encoding, concat_out, conv_kwargs).

    Raises:
        ValueError: unknown name (the message lists the known ones) or bad arguments.

    Example (GraphMAE's GAT encoder and decoder on Cora):
        >>> enc = build_encoder("gat", 1433, 512, 512, num_layers=2, heads=4, residual=False)
        >>> dec = build_encoder("gat", 512, 512, 1433, num_layers=1, heads=4, out_heads=1, encoding=False)
    """
    CONVS.get(name)  # unknown name -> ValueError listing the known ones
    allowed = {"heads", "out_heads", "concat_out", "norm", "activation", "dropout", "attn_drop",
               "negative_slope", "residual", "encoding", "conv_kwargs"}
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        raise ValueError(f"build_encoder got unknown arguments {unknown}; allowed: {sorted(allowed)}")
    return GNNEncoder(name, in_dim, hidden_dim, out_dim, num_layers, **kwargs)
