"""Graph convolution (Kipf & Welling): ``out = D^-1/2 (A + I) D^-1/2 X W + b``."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn

from ..sparse.ops import spmm
from .graph_views import GraphLike, check_layer_input, gcn_normalized, with_self_loops
from .input_linear import dense_linear, input_linear

__all__ = ["GCNConv"]


class GCNConv(nn.Module):
    """GCN layer on a full graph, a batch's union graph, or a sampled Block.

    Args:
        in_dim: input feature width.
        out_dim: output feature width.
        add_self_loops: add the missing self-loops before normalising.
        normalize: apply the symmetric normalisation; ``False`` aggregates with the graph's
            own weights (e.g. weights normalised once on the full graph and carried by
            Blocks; then also pass ``add_self_loops=False`` if the loops are already there).
        bias: add a learnable bias.

    Shapes:
        ``forward(graph, x)``: ``x [num_src_nodes, in_dim]`` -> ``[num_dst_nodes, out_dim]``.

    The normalised adjacency is computed once per graph object and cached on it. On a Block
    the source side is normalised by the sources' out-degree within the Block (as DGL does),
    unless :func:`graphssl.nn.attach_global_degrees` gave the Block the full graph's
    degrees: then both sides use those and each row is rescaled by full over sampled
    degree, so a Block with all neighbours reproduces the full-graph layer exactly (the
    mini-batch trainer and :func:`graphssl.nn.layerwise_inference` attach them).
    """

    def __init__(self, in_dim: int, out_dim: int, add_self_loops: bool = True, normalize: bool = True,
                 bias: bool = True) -> None:
        super().__init__()
        if in_dim <= 0 or out_dim <= 0:
            raise ValueError(f"GCNConv dims must be positive, got in_dim={in_dim}, out_dim={out_dim}")
        self.in_dim, self.out_dim = in_dim, out_dim
        self.add_self_loops = add_self_loops
        self.normalize = normalize
        self.lin = nn.Linear(in_dim, out_dim, bias=False)
        self.bias = nn.Parameter(torch.empty(out_dim)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.lin.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, graph: GraphLike, x: Tensor, edge_weight: Optional[Tensor] = None) -> Tensor:
        """Apply the layer.

        Args:
            graph: square graph, Block (``num_src_nodes >= num_dst_nodes``) or GraphBatch.
            x: ``[num_src_nodes, in_dim]``.
            edge_weight: optional ``[E]`` weights overriding ``graph.value`` (not cached).

        Raises:
            ValueError: wrong feature width, rows, device, or weight shape.
        """
        graph = check_layer_input(graph, x, "GCNConv")
        if x.size(1) != self.in_dim:
            raise ValueError(f"GCNConv expects {self.in_dim} input features, got {x.size(1)}")
        if self.normalize:
            g = gcn_normalized(graph, edge_weight, self.add_self_loops)
            w = None
        else:
            g = graph if edge_weight is None else graph.with_value(edge_weight)
            g, w = (with_self_loops(g) if self.add_self_loops else g), None
        if not self._transform_first(x):  # the bias rides along in one addmm
            return dense_linear(spmm(g, x, "sum", w), self.lin.weight, self.bias)
        out = spmm(g, input_linear(x, self.lin.weight), "sum", w)
        return out if self.bias is None else out + self.bias

    def _transform_first(self, x: Tensor) -> bool:
        """Pick the order ``A (X W)`` or ``(A X) W`` that moves fewer features through spmm.

        The aggregation is memory-bound, so its cost is its feature width times the number
        of spmm calls: transform-first aggregates ``out_dim`` features forward and again
        backward (to reach ``W``'s gradient); aggregate-first aggregates ``in_dim`` features
        forward and backward only when ``x`` itself needs a gradient (``W``'s gradient is
        then ``(A X)^T G``, a dense product).
        """
        grad = torch.is_grad_enabled()
        weight_grad = grad and self.lin.weight.requires_grad
        x_grad = grad and x.requires_grad
        return self.out_dim * (1 + weight_grad) <= self.in_dim * (1 + x_grad)

    def extra_repr(self) -> str:
        return f"{self.in_dim}, {self.out_dim}, add_self_loops={self.add_self_loops}, normalize={self.normalize}"
