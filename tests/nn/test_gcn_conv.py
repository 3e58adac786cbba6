"""GCNConv against a dense reference, PyG, Blocks and bad input."""
import pytest
import torch

from graphssl.nn import GCNConv, gcn_normalized
from graphssl.sparse import Graph


def dense_gcn(graph: Graph, x, conv: GCNConv):
    a = graph.to_dense()
    if conv.add_self_loops:
        diag = torch.diagonal(a)
        a = a + torch.diag((diag == 0).float())  # add only missing loops
    deg = a.sum(1)
    dinv = deg.pow(-0.5).masked_fill(deg == 0, 0)
    return (dinv[:, None] * a * dinv[None, :]) @ (x @ conv.lin.weight.T) + conv.bias


@pytest.mark.parametrize("in_dim,out_dim", [(5, 3), (3, 7)])
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_dense(make_graph, in_dim, out_dim, weighted):
    g = make_graph(weighted=weighted, self_loops=True, seed=1)
    x = torch.randn(g.num_nodes, in_dim)
    conv = GCNConv(in_dim, out_dim)
    torch.nn.init.normal_(conv.bias)
    torch.testing.assert_close(conv(g, x), dense_gcn(g, x, conv), atol=1e-5, rtol=1e-5)


def test_explicit_edge_weight_and_gradients(make_graph):
    g = make_graph(seed=2)
    w = (torch.rand(g.num_edges) + 0.1).requires_grad_()
    x = torch.randn(g.num_nodes, 4, requires_grad=True)
    conv = GCNConv(4, 2)
    out = conv(g, x, edge_weight=w)
    torch.testing.assert_close(out, dense_gcn(g.with_value(w.detach()), x.detach(), conv), atol=1e-5, rtol=1e-5)
    out.square().sum().backward()
    assert x.grad is not None and w.grad is not None and conv.lin.weight.grad is not None
    assert conv.bias.grad is not None and bool(w.grad.abs().sum() > 0)
    # a weight requiring grad must not be cached on the graph: a second backward works
    conv(g.with_value(w), x).sum().backward()
    conv(g.with_value(w), x).sum().backward()


@pytest.mark.parametrize("in_dim,out_dim,x_grad,expect_transform_first",
                         [(4, 4, False, False), (4, 4, True, True), (8, 3, False, True), (3, 8, True, False),
                          (4, 7, False, False)])
def test_order_follows_spmm_cost_and_gives_same_gradients(make_graph, monkeypatch, in_dim, out_dim, x_grad,
                                                          expect_transform_first):
    """Aggregate-first when x needs no gradient saves the backward spmm; either order gives
    the same output and gradients."""
    g = make_graph(seed=7)
    x = torch.randn(g.num_nodes, in_dim, requires_grad=x_grad)
    conv = GCNConv(in_dim, out_dim)
    assert conv._transform_first(x) is expect_transform_first
    results = []
    for order in (True, False):
        monkeypatch.setattr(conv, "_transform_first", lambda _x, o=order: o)
        conv.zero_grad(set_to_none=True)
        x.grad = None
        out = conv(g, x)
        out.sin().sum().backward()
        results.append((out.detach(), conv.lin.weight.grad.clone(), None if x.grad is None else x.grad.clone()))
    torch.testing.assert_close(results[0], results[1], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(results[0][0], dense_gcn(g, x.detach(), conv), atol=1e-5, rtol=1e-5)


def test_norm_is_cached_per_graph(make_graph):
    g = make_graph(seed=3)
    conv = GCNConv(4, 4)
    conv(g, torch.randn(g.num_nodes, 4))
    first = gcn_normalized(g)
    conv(g, torch.randn(g.num_nodes, 4))
    assert gcn_normalized(g) is first


def test_matches_pyg(make_graph, pyg):
    from torch_geometric.nn import GCNConv as PygGCN
    g = make_graph(seed=4, weighted=True)
    x = torch.randn(g.num_nodes, 6)
    ours, ref = GCNConv(6, 4), PygGCN(6, 4)
    with torch.no_grad():
        ref.lin.weight.copy_(ours.lin.weight)
        ref.bias.copy_(torch.randn(4))
        ours.bias.copy_(ref.bias)
    ei, w = g.to_edge_index()
    torch.testing.assert_close(ours(g, x), ref(x, ei, w), atol=1e-5, rtol=1e-5)


def test_block_matches_dense_block_norm(make_graph, full_blocks):
    g = make_graph(seed=5)
    (block,), inputs = full_blocks(g, torch.tensor([0, 3, 4]), 1)
    x = torch.randn(block.num_src_nodes, 3)
    conv = GCNConv(3, 2)
    a = block.to_dense()
    a[:, : block.num_dst_nodes] += torch.diag((torch.diagonal(a) == 0).float())
    ddst, dsrc = a.sum(1), a.sum(0)
    norm = ddst.pow(-0.5)[:, None] * a * dsrc.pow(-0.5).masked_fill(dsrc == 0, 0)[None, :]
    torch.testing.assert_close(conv(block, x), norm @ x @ conv.lin.weight.T + conv.bias, atol=1e-5, rtol=1e-5)


def test_blocks_with_full_graph_weights_match_full_graph(make_graph, full_blocks):
    g = make_graph(seed=6, num_nodes=20, num_edges=60).to_undirected()
    normed = gcn_normalized(g)
    seeds = torch.tensor([1, 7, 19])
    (b0, b1), inputs = full_blocks(normed, seeds, 2)
    c0, c1 = GCNConv(5, 8, normalize=False), GCNConv(8, 3, normalize=False)
    x = torch.randn(g.num_nodes, 5)
    full = c1(normed, c0(normed, x))
    torch.testing.assert_close(c1(b1, c0(b0, x[inputs])), full[seeds], atol=1e-5, rtol=1e-5)
    # and the normalising layer on the full graph agrees with normalize=False on the weights
    c0n = GCNConv(5, 8)
    c0n.load_state_dict(c0.state_dict())
    torch.testing.assert_close(c0n(g, x), c0(normed, x), atol=1e-5, rtol=1e-5)


def test_bad_input(make_graph):
    g = make_graph()
    conv = GCNConv(4, 2)
    with pytest.raises(ValueError, match="input features"):
        conv(g, torch.randn(g.num_nodes, 5))
    with pytest.raises(ValueError, match="rows"):
        conv(g, torch.randn(g.num_nodes + 1, 4))
    with pytest.raises(ValueError, match="floating"):
        conv(g, torch.ones(g.num_nodes, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="Graph"):
        conv(torch.zeros(2, 3), torch.randn(3, 4))
    with pytest.raises(ValueError, match="edge weights"):
        conv(g, torch.randn(g.num_nodes, 4), edge_weight=torch.ones(g.num_edges + 1))
    with pytest.raises(ValueError, match="positive"):
        GCNConv(0, 3)
