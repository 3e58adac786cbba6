"""MLP, GraphLinear, activation and norm factories."""
import pytest
import torch

from graphssl.nn import MLP, GraphLinear, create_activation, create_norm
from graphssl.sparse import Graph


def test_mlp_layout_and_forward():
    mlp = MLP(4, 8, 2, num_layers=3, activation="gelu", norm="layernorm", dropout=0.1).eval()
    assert [l.out_features for l in mlp.lins] == [8, 8, 2] and len(mlp.acts) == 2
    x = torch.randn(5, 4)
    h = x
    for i in range(2):
        h = mlp.acts[i](mlp.norms[i](mlp.lins[i](h)))
    torch.testing.assert_close(mlp(x), mlp.lins[2](h))
    assert len(MLP(4, None, 2, num_layers=1).lins) == 1
    assert len(MLP(4, 8, 2, last_activation=True).acts) == 2


def test_mlp_errors():
    with pytest.raises(ValueError, match="num_layers"):
        MLP(4, 8, 2, num_layers=0)
    with pytest.raises(ValueError, match="hidden_dim"):
        MLP(4, None, 2, num_layers=2)
    with pytest.raises(ValueError, match="input features"):
        MLP(4, 8, 2)(torch.randn(3, 5))


def test_graph_linear_uses_destination_rows():
    block = Graph.from_edge_index(torch.tensor([[2, 3], [0, 1]]), 2, num_src_nodes=4)
    lin = GraphLinear(3, 2)
    x = torch.randn(4, 3)
    torch.testing.assert_close(lin(block, x), lin.lin(x[:2]))


def test_factories():
    assert isinstance(create_activation("PReLU"), torch.nn.PReLU)
    assert isinstance(create_activation(None), torch.nn.Identity)
    with pytest.raises(ValueError, match="relu"):
        create_activation("nope")
    assert isinstance(create_norm("batchnorm", 4), torch.nn.BatchNorm1d)
    assert isinstance(create_norm(None, 4), torch.nn.Identity)
    with pytest.raises(ValueError, match="layernorm"):
        create_norm("nope", 4)
