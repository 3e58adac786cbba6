"""GINConv against a dense reference, PyG, Blocks and bad input."""
import pytest
import torch

from graphssl.nn import MLP, GINConv


@pytest.mark.parametrize("eps,train_eps", [(0.0, False), (0.3, True)])
def test_matches_dense(make_graph, eps, train_eps):
    g = make_graph(seed=1, weighted=True, self_loops=True)
    x = torch.randn(g.num_nodes, 5)
    conv = GINConv(5, 4, eps=eps, train_eps=train_eps)
    a = (g.to_dense() != 0).float()  # edge weights are ignored
    torch.testing.assert_close(conv(g, x), conv.mlp((1 + eps) * x + a @ x), atol=1e-5, rtol=1e-5)


def test_eps_learnable_and_gradients(make_graph):
    g = make_graph(seed=2)
    x = torch.randn(g.num_nodes, 3, requires_grad=True)
    conv = GINConv(3, 3, train_eps=True)
    conv(g, x).square().sum().backward()
    assert conv.eps.grad is not None and x.grad is not None
    assert all(p.grad is not None for p in conv.mlp.parameters())
    fixed = GINConv(3, 3, eps=0.5)
    assert "eps" not in dict(fixed.named_parameters()) and float(fixed.eps) == 0.5


def test_matches_pyg(make_graph, pyg):
    from torch_geometric.nn import GINConv as PygGIN
    g = make_graph(seed=3)
    x = torch.randn(g.num_nodes, 4)
    mlp = MLP(4, 8, 6, num_layers=2)
    ours, ref = GINConv(4, 6, mlp=mlp, eps=0.2, train_eps=True), PygGIN(mlp, eps=0.2, train_eps=True)
    torch.testing.assert_close(ours(g, x), ref(x, g.to_edge_index()[0]), atol=1e-5, rtol=1e-5)


def test_blocks_match_full_graph(make_graph, full_blocks):
    g = make_graph(seed=4, num_nodes=20, num_edges=50)
    seeds = torch.tensor([2, 3, 17])
    (b0, b1), inputs = full_blocks(g, seeds, 2)
    c0, c1 = GINConv(3, 5, eps=0.1), GINConv(5, 2)
    x = torch.randn(g.num_nodes, 3)
    torch.testing.assert_close(c1(b1, c0(b0, x[inputs])), c1(g, c0(g, x))[seeds], atol=1e-5, rtol=1e-5)


def test_bad_input(make_graph):
    g = make_graph()
    with pytest.raises(ValueError, match="input features"):
        GINConv(4, 2)(g, torch.randn(g.num_nodes, 3))
    with pytest.raises(ValueError, match="rows"):
        GINConv(4, 2)(g, torch.randn(3, 4))
