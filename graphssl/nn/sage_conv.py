"""GraphSAGE layer (Hamilton et al.): ``out = W_l agg(x_s) + W_r x_t``."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from ..sparse.ops import spmm
from .graph_views import GraphLike, check_layer_input, unweighted
from .input_linear import input_linear

__all__ = ["SAGEConv"]

_AGGRS = ("mean", "max", "sum")


class SAGEConv(nn.Module):
    """GraphSAGE layer over incoming edges (edge weights are ignored).

    Args:
        in_dim: input feature width.
        out_dim: output feature width.
        aggr: ``"mean"``, ``"max"`` or ``"sum"`` of the neighbours' features (a node with no
            incoming edge aggregates to 0).
        root_weight: add ``W_r x_t`` (the node's own features).
        bias: bias of the neighbour transform ``W_l``.
        normalize: L2-normalise the output rows.

    Shapes:
        ``forward(graph, x)``: ``x [num_src_nodes, in_dim]`` -> ``[num_dst_nodes, out_dim]``.
    """

    def __init__(self, in_dim: int, out_dim: int, aggr: str = "mean", root_weight: bool = True,
                 bias: bool = True, normalize: bool = False) -> None:
        super().__init__()
        if aggr not in _AGGRS:
            raise ValueError(f"SAGEConv aggr must be one of {_AGGRS}, got {aggr!r}")
        self.in_dim, self.out_dim, self.aggr = in_dim, out_dim, aggr
        self.normalize = normalize
        self.lin_l = nn.Linear(in_dim, out_dim, bias=bias)
        self.lin_r = nn.Linear(in_dim, out_dim, bias=False) if root_weight else None

    def reset_parameters(self) -> None:
        self.lin_l.reset_parameters()
        if self.lin_r is not None:
            self.lin_r.reset_parameters()

    def forward(self, graph: GraphLike, x: Tensor) -> Tensor:
        """Apply the layer.

        Raises:
            ValueError: wrong feature width, rows or device.
        """
        graph = check_layer_input(graph, x, "SAGEConv")
        if x.size(1) != self.in_dim:
            raise ValueError(f"SAGEConv expects {self.in_dim} input features, got {x.size(1)}")
        g = unweighted(graph)
        if self.aggr != "max" and self.out_dim < self.in_dim:
            # Sum and mean commute with a linear map: transform first, aggregate fewer features.
            out = spmm(g, input_linear(x, self.lin_l.weight), self.aggr)
            if self.lin_l.bias is not None:
                out = out + self.lin_l.bias
        else:
            out = self.lin_l(spmm(g, x, self.aggr))
        if self.lin_r is not None:
            out = out + self.lin_r(x[: graph.num_dst_nodes])
        if self.normalize:
            out = F.normalize(out, p=2.0, dim=-1)
        return out

    def extra_repr(self) -> str:
        return f"{self.in_dim}, {self.out_dim}, aggr={self.aggr!r}, root_weight={self.lin_r is not None}"
