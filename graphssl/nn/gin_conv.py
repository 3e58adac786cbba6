"""Graph isomorphism layer (Xu et al.): ``out = MLP((1 + eps) x_t + sum_s x_s)``."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn

from ..sparse.ops import spmm
from .graph_views import GraphLike, check_layer_input, unweighted
from .mlp import MLP

__all__ = ["GINConv"]


class GINConv(nn.Module):
    """GIN layer with sum aggregation over incoming edges (edge weights are ignored).

    Args:
        in_dim: input feature width.
        out_dim: output feature width.
        mlp: the update network ``[*, in_dim] -> [*, out_dim]``; default
            ``MLP(in_dim, out_dim, out_dim, num_layers=2, activation=mlp_activation, norm=mlp_norm)``.
        eps: initial (or fixed) ``eps``.
        train_eps: learn ``eps``.
        mlp_norm: norm inside the default MLP (``None``, ``"batchnorm"``, ``"layernorm"``).
        mlp_activation: activation inside the default MLP (GraphMAE uses its encoder's, PReLU).

    Shapes:
        ``forward(graph, x)``: ``x [num_src_nodes, in_dim]`` -> ``[num_dst_nodes, out_dim]``.
    """

    def __init__(self, in_dim: int, out_dim: int, mlp: Optional[nn.Module] = None, eps: float = 0.0,
                 train_eps: bool = False, mlp_norm: Optional[str] = None, mlp_activation: str = "relu") -> None:
        super().__init__()
        self.in_dim, self.out_dim = in_dim, out_dim
        self.mlp = mlp if mlp is not None else MLP(in_dim, out_dim, out_dim, num_layers=2, norm=mlp_norm,
                                                           activation=mlp_activation)
        self.initial_eps = float(eps)
        if train_eps:
            self.eps = nn.Parameter(torch.tensor([float(eps)]))
        else:
            self.register_buffer("eps", torch.tensor([float(eps)]))

    def reset_parameters(self) -> None:
        if hasattr(self.mlp, "reset_parameters"):
            self.mlp.reset_parameters()
        self.eps.data.fill_(self.initial_eps)

    def forward(self, graph: GraphLike, x: Tensor) -> Tensor:
        """Apply the layer.

        Raises:
            ValueError: wrong feature width, rows or device.
        """
        graph = check_layer_input(graph, x, "GINConv")
        if x.size(1) != self.in_dim:
            raise ValueError(f"GINConv expects {self.in_dim} input features, got {x.size(1)}")
        agg = spmm(unweighted(graph), x, "sum")
        return self.mlp((1 + self.eps) * x[: graph.num_dst_nodes] + agg)

    def extra_repr(self) -> str:
        return f"{self.in_dim}, {self.out_dim}, train_eps={isinstance(self.eps, nn.Parameter)}"
