"""GATConv against an explicit dense softmax, PyG, Blocks and bad input."""
import pytest
import torch
import torch.nn.functional as F

from graphssl.nn import GATConv
from graphssl.sparse import Graph


def dense_gat(graph: Graph, x, conv: GATConv):
    n_dst, H, D = graph.num_dst_nodes, conv.heads, conv.out_dim
    mask = graph.to_dense() != 0
    if conv.add_self_loops:
        idx = torch.arange(n_dst)
        mask[idx, idx] = True
    h = (x @ conv.lin.weight.T).view(-1, H, D)
    a_src = (h * conv.att_src).sum(-1)  # [N_src, H]
    a_dst = (h[:n_dst] * conv.att_dst).sum(-1)
    logits = F.leaky_relu(a_dst[:, None, :] + a_src[None, :, :], conv.negative_slope)  # [N_dst, N_src, H]
    logits = logits.masked_fill(~mask[:, :, None], float("-inf"))
    alpha = torch.softmax(logits, dim=1).nan_to_num(0.0)  # rows without edges -> 0
    out = torch.einsum("tsh,shd->thd", alpha, h)
    out = out.reshape(n_dst, H * D) if conv.concat else out.mean(1)
    if conv.res is not None:
        out = out + conv.res(x[:n_dst])
    if conv.bias is not None:
        out = out + conv.bias
    return out


def _randomise(conv: GATConv):
    with torch.no_grad():
        if conv.bias is not None:
            conv.bias.normal_()


@pytest.mark.parametrize("heads,concat", [(1, True), (3, True), (3, False)])
@pytest.mark.parametrize("residual", [False, True])
def test_matches_dense(make_graph, heads, concat, residual):
    g = make_graph(seed=heads, isolated=2)
    x = torch.randn(g.num_nodes, 5)
    conv = GATConv(5, 4, heads=heads, concat=concat, residual=residual, negative_slope=0.1).eval()
    _randomise(conv)
    torch.testing.assert_close(conv(g, x), dense_gat(g, x, conv), atol=1e-5, rtol=1e-5)


def test_without_self_loops_isolated_nodes_get_bias(make_graph):
    g = make_graph(seed=3, isolated=2)
    conv = GATConv(4, 2, heads=2, add_self_loops=False)
    _randomise(conv)
    x = torch.randn(g.num_nodes, 4)
    out = conv(g, x)
    torch.testing.assert_close(out, dense_gat(g, x, conv), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out[-1], conv.bias)


def test_identity_residual_when_widths_match():
    assert isinstance(GATConv(8, 4, heads=2, residual=True).res, torch.nn.Identity)
    assert isinstance(GATConv(8, 4, heads=1, residual=True).res, torch.nn.Linear)


def test_attention_sums_to_one_and_gradients_flow(make_graph):
    g = make_graph(seed=4)
    x = torch.randn(g.num_nodes, 5, requires_grad=True)
    conv = GATConv(5, 3, heads=2, residual=True)
    out, (gl, alpha) = conv(g, x, return_attention=True)
    sums = torch.zeros(gl.num_nodes, 2).index_add_(0, gl.row(), alpha)
    torch.testing.assert_close(sums, torch.ones_like(sums))
    out.square().sum().backward()
    for p in [x, conv.lin.weight, conv.att_src, conv.att_dst, conv.bias, conv.res.weight]:
        assert p.grad is not None and bool(p.grad.abs().sum() > 0)


def test_dropout_only_in_training(make_graph):
    g = make_graph(seed=5)
    x = torch.randn(g.num_nodes, 4)
    conv = GATConv(4, 4, heads=2, attn_drop=0.5, feat_drop=0.5)
    torch.manual_seed(0)
    a, b = conv(g, x), conv(g, x)
    assert not torch.allclose(a, b)
    conv.eval()
    torch.testing.assert_close(conv(g, x), conv(g, x))


@pytest.mark.parametrize("concat", [True, False])
def test_matches_pyg(make_graph, pyg, concat):
    from torch_geometric.nn import GATConv as PygGAT
    g = make_graph(seed=6)
    x = torch.randn(g.num_nodes, 5)
    ours = GATConv(5, 3, heads=2, concat=concat, residual=True).eval()
    ref = PygGAT(5, 3, heads=2, concat=concat, residual=True).eval()
    with torch.no_grad():
        ref.lin.weight.copy_(ours.lin.weight)
        ref.att_src.copy_(ours.att_src)
        ref.att_dst.copy_(ours.att_dst)
        ref.res.weight.copy_(ours.res.weight)
        ours.bias.normal_()
        ref.bias.copy_(ours.bias)
    torch.testing.assert_close(ours(g, x), ref(x, g.to_edge_index()[0]), atol=1e-5, rtol=1e-5)


def test_blocks_match_full_graph(make_graph, full_blocks):
    g = make_graph(seed=7, num_nodes=25, num_edges=80)
    seeds = torch.tensor([0, 5, 24, 11])
    (b0, b1), inputs = full_blocks(g, seeds, 2)
    c0, c1 = GATConv(4, 3, heads=2, residual=True).eval(), GATConv(6, 2, heads=1).eval()
    x = torch.randn(g.num_nodes, 4)
    full = c1(g, c0(g, x))
    torch.testing.assert_close(c1(b1, c0(b0, x[inputs])), full[seeds], atol=1e-5, rtol=1e-5)


def test_bad_input(make_graph):
    g = make_graph()
    with pytest.raises(ValueError, match="input features"):
        GATConv(4, 2)(g, torch.randn(g.num_nodes, 3))
    with pytest.raises(ValueError, match="attn_drop"):
        GATConv(4, 2, attn_drop=1.0)
    with pytest.raises(ValueError, match="positive"):
        GATConv(4, 2, heads=0)
    bad_block = Graph.from_edge_index(torch.tensor([[0], [2]]), 3, num_src_nodes=2)
    with pytest.raises(ValueError, match="num_src_nodes >= num_dst_nodes"):
        GATConv(4, 2)(bad_block, torch.randn(2, 4))
