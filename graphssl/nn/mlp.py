"""Multi-layer perceptrons, and a graph-ignoring linear "conv" for MLP encoders."""
from __future__ import annotations

from typing import Optional

from torch import Tensor, nn

from .activation import create_activation
from .dropout import dropout
from .graph_views import GraphLike, check_layer_input
from .input_linear import dense_linear, input_linear
from .norm import create_norm

__all__ = ["MLP", "GraphLinear"]


class MLP(nn.Module):
    """``Linear -> [norm] -> activation -> [dropout]`` repeated, ending with a Linear.

    The first Linear multiplies wide, mostly-zero CPU inputs (bag-of-words features) as a
    sparse matrix (:func:`~graphssl.nn.input_linear.input_linear`).

    Args:
        in_dim, hidden_dim, out_dim: widths (``hidden_dim`` unused when ``num_layers == 1``).
        num_layers: number of Linear layers (>= 1).
        activation: name for :func:`create_activation` (a new module per layer).
        norm: ``None``, ``"batchnorm"`` or ``"layernorm"`` after each hidden Linear.
        dropout: dropout after each hidden activation (training only).
        bias: Linear biases.
        last_activation: also apply norm and activation after the last Linear.

    Shapes:
        ``[..., in_dim] -> [..., out_dim]`` (norms other than None need ``[N, dim]``).
    """

    def __init__(self, in_dim: int, hidden_dim: Optional[int], out_dim: int, num_layers: int = 2,
                 activation: Optional[str] = "relu", norm: Optional[str] = None, dropout: float = 0.0,
                 bias: bool = True, last_activation: bool = False) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"MLP needs num_layers >= 1, got {num_layers}")
        if num_layers > 1 and (hidden_dim is None or hidden_dim <= 0):
            raise ValueError(f"MLP with {num_layers} layers needs a positive hidden_dim, got {hidden_dim}")
        if in_dim <= 0 or out_dim <= 0:
            raise ValueError(f"MLP dims must be positive, got in_dim={in_dim}, out_dim={out_dim}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MLP dropout must be in [0, 1), got {dropout}")
        dims = [in_dim] + [hidden_dim] * (num_layers - 1) + [out_dim]
        self.in_dim, self.out_dim, self.dropout = in_dim, out_dim, dropout
        self.lins = nn.ModuleList(nn.Linear(a, b, bias=bias) for a, b in zip(dims[:-1], dims[1:]))
        n_act = num_layers if last_activation else num_layers - 1
        self.norms = nn.ModuleList(create_norm(norm, dims[i + 1]) for i in range(n_act))
        self.acts = nn.ModuleList(create_activation(activation) for _ in range(n_act))

    def reset_parameters(self) -> None:
        for m in list(self.lins) + list(self.norms) + list(self.acts):
            if hasattr(m, "reset_parameters"):
                m.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        if x.size(-1) != self.in_dim:
            raise ValueError(f"MLP expects {self.in_dim} input features, got {x.size(-1)}")
        for i, lin in enumerate(self.lins):
            x = (input_linear if i == 0 else dense_linear)(x, lin.weight, lin.bias)
            if i < len(self.acts):
                x = self.acts[i](self.norms[i](x))
                if i < len(self.lins) - 1:
                    x = dropout(x, self.dropout, self.training)
        return x


class GraphLinear(nn.Module):
    """A Linear layer with the conv signature ``(graph, x)``; the graph only sets the rows.
    Wide, mostly-zero CPU inputs are multiplied as a sparse matrix (:func:`input_linear`).

    Lets :class:`~graphssl.nn.encoder.GNNEncoder` build MLP / linear encoders (GraphMAE's
    ``"mlp"``/``"linear"`` choices) and still run on Blocks (output rows = ``num_dst_nodes``).
    """

    def __init__(self, in_dim: int, out_dim: int, bias: bool = True) -> None:
        super().__init__()
        self.in_dim, self.out_dim = in_dim, out_dim
        self.lin = nn.Linear(in_dim, out_dim, bias=bias)

    def reset_parameters(self) -> None:
        self.lin.reset_parameters()

    def forward(self, graph: GraphLike, x: Tensor) -> Tensor:
        graph = check_layer_input(graph, x, "GraphLinear")
        if x.size(1) != self.in_dim:
            raise ValueError(f"GraphLinear expects {self.in_dim} input features, got {x.size(1)}")
        return input_linear(x[: graph.num_dst_nodes], self.lin.weight, self.lin.bias)
