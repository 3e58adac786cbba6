"""SAGEConv against a dense reference, PyG, Blocks and bad input."""
import pytest
import torch

from graphssl.nn import SAGEConv


def dense_sage(g, x, conv):
    a = (g.to_dense() != 0).float()
    if conv.aggr == "max":
        msgs = torch.where(a[:, :, None] > 0, x[None, :, :], torch.tensor(float("-inf")))
        agg = msgs.max(1).values
        agg = torch.where(torch.isinf(agg), torch.zeros_like(agg), agg)
    elif conv.aggr == "mean":
        agg = a @ x / a.sum(1, keepdim=True).clamp(min=1)
    else:
        agg = a @ x
    out = conv.lin_l(agg)
    if conv.lin_r is not None:
        out = out + conv.lin_r(x[: g.num_dst_nodes])
    return torch.nn.functional.normalize(out, dim=-1) if conv.normalize else out


@pytest.mark.parametrize("aggr", ["mean", "max", "sum"])
@pytest.mark.parametrize("in_dim,out_dim", [(6, 3), (3, 6)])
@pytest.mark.parametrize("root_weight,normalize", [(True, False), (False, True)])
def test_matches_dense(make_graph, aggr, in_dim, out_dim, root_weight, normalize):
    g = make_graph(seed=1, weighted=True, isolated=2)
    x = torch.randn(g.num_nodes, in_dim)
    conv = SAGEConv(in_dim, out_dim, aggr=aggr, root_weight=root_weight, normalize=normalize)
    torch.testing.assert_close(conv(g, x), dense_sage(g, x, conv), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("aggr", ["mean", "max"])
def test_matches_pyg(make_graph, pyg, aggr):
    from torch_geometric.nn import SAGEConv as PygSAGE
    g = make_graph(seed=2, isolated=2)
    x = torch.randn(g.num_nodes, 5)
    ours, ref = SAGEConv(5, 3, aggr=aggr), PygSAGE(5, 3, aggr=aggr)
    with torch.no_grad():
        ref.lin_l.weight.copy_(ours.lin_l.weight)
        ref.lin_l.bias.copy_(ours.lin_l.bias)
        ref.lin_r.weight.copy_(ours.lin_r.weight)
    torch.testing.assert_close(ours(g, x), ref(x, g.to_edge_index()[0]), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("aggr", ["mean", "max"])
def test_gradients_flow(make_graph, aggr):
    g = make_graph(seed=3)
    x = torch.randn(g.num_nodes, 4, requires_grad=True)
    conv = SAGEConv(4, 2, aggr=aggr)
    conv(g, x).square().sum().backward()
    assert x.grad is not None and bool(x.grad.abs().sum() > 0)
    assert all(p.grad is not None for p in conv.parameters())


@pytest.mark.parametrize("aggr", ["mean", "max"])
def test_blocks_match_full_graph(make_graph, full_blocks, aggr):
    g = make_graph(seed=4, num_nodes=20, num_edges=60)
    seeds = torch.tensor([0, 9, 19])
    (b0, b1), inputs = full_blocks(g, seeds, 2)
    c0, c1 = SAGEConv(3, 5, aggr=aggr), SAGEConv(5, 2, aggr=aggr)
    x = torch.randn(g.num_nodes, 3)
    torch.testing.assert_close(c1(b1, c0(b0, x[inputs])), c1(g, c0(g, x))[seeds], atol=1e-5, rtol=1e-5)


def test_bad_input(make_graph):
    with pytest.raises(ValueError, match="aggr"):
        SAGEConv(3, 2, aggr="median")
    g = make_graph()
    with pytest.raises(ValueError, match="input features"):
        SAGEConv(4, 2)(g, torch.randn(g.num_nodes, 3))
