"""GNNEncoder / build_encoder: GraphMAE conventions, the three input kinds, errors."""
import pytest
import torch

from graphssl.nn import GATConv, GNNEncoder, build_encoder, conv_names, gcn_normalized
from graphssl.sparse import Graph, GraphItem, collate

CONVS = ["gcn", "gat", "gin", "sage", "mlp"]


def _kwargs(conv):
    return {"heads": 2} if conv == "gat" else {}


def test_registry_names_and_unknown_name():
    assert set(CONVS) <= set(conv_names())
    with pytest.raises(ValueError, match="gat.*gcn"):
        build_encoder("transformer", 4, 8)
    with pytest.raises(ValueError, match="unknown arguments"):
        build_encoder("gcn", 4, 8, nheads=3)
    with pytest.raises(ValueError, match="bad arguments for conv"):
        build_encoder("gcn", 4, 8, conv_kwargs={"aggr": "max"})
    with pytest.raises(ValueError, match="activation"):
        build_encoder("gcn", 4, 8, activation="swishy")
    with pytest.raises(ValueError, match="norm"):
        build_encoder("gcn", 4, 8, norm="groupnorm")
    with pytest.raises(ValueError, match="num_layers"):
        build_encoder("gcn", 4, 8, num_layers=0)


def test_graphmae_gat_widths():
    enc = build_encoder("gat", 10, 16, 16, num_layers=2, heads=4, residual=True, norm="layernorm")
    c0, c1 = enc.convs
    assert isinstance(c0, GATConv) and (c0.heads, c0.out_dim, c0.concat) == (4, 4, True)
    assert (c1.heads, c1.out_dim, c1.in_dim) == (4, 4, 16)
    assert isinstance(enc.residuals[1], torch.nn.Identity) and isinstance(enc.residuals[0], torch.nn.Linear)
    dec = build_encoder("gat", 16, 16, 10, num_layers=1, heads=4, out_heads=1, encoding=False)
    (d0,) = dec.convs
    assert (d0.heads, d0.out_dim, d0.in_dim) == (1, 10, 16)
    assert dec.residuals[0] is None and isinstance(dec.activations[0], torch.nn.Identity)
    assert isinstance(dec.norms[0], torch.nn.Identity)
    mean = build_encoder("gat", 10, 16, 6, heads=4, concat_out=False)
    assert (mean.convs[1].out_dim, mean.convs[1].heads, mean.convs[1].concat) == (6, 4, False)
    with pytest.raises(ValueError, match="divisible"):
        build_encoder("gat", 10, 18, heads=4)


def test_prelu_is_per_layer():
    enc = build_encoder("gcn", 4, 8, num_layers=3, activation="prelu")
    assert len({id(a.weight) for a in enc.activations}) == 3


def test_forward_is_dropout_conv_residual_norm_activation(make_graph):
    g = make_graph(seed=1)
    enc = build_encoder("gat", 5, 8, 8, num_layers=2, heads=2, residual=True, norm="layernorm",
                        activation="elu").eval()
    x = torch.randn(g.num_nodes, 5)
    out, hidden = enc(g, x, return_hidden=True)
    h = x
    for i in range(2):
        h = enc.activations[i](enc.norms[i](enc.convs[i](g, h) + enc.residuals[i](h)))
        torch.testing.assert_close(hidden[i], h)
    torch.testing.assert_close(out, h)
    plain = build_encoder("gat", 5, 8, 3, num_layers=2, heads=2, out_heads=1, encoding=False).eval()
    out, hidden = plain(g, x, return_hidden=True)
    torch.testing.assert_close(out, plain.convs[1](g, hidden[0]))


@pytest.mark.parametrize("conv", CONVS)
def test_gradients_reach_every_parameter(make_graph, conv):
    g = make_graph(seed=2)
    enc = build_encoder(conv, 4, 8, 4, num_layers=2, norm="batchnorm", residual=True, dropout=0.2, **_kwargs(conv))
    x = torch.randn(g.num_nodes, 4, requires_grad=True)
    enc(g, x).square().sum().backward()
    missing = [n for n, p in enc.named_parameters() if p.grad is None]
    assert not missing and x.grad is not None


@pytest.mark.parametrize("conv", CONVS)
def test_blocks_match_full_graph(make_graph, full_blocks, conv):
    g = make_graph(seed=3, num_nodes=30, num_edges=90)
    conv_kwargs = {}
    if conv == "gcn":  # Blocks carry the full graph's normalised weights
        g, conv_kwargs = gcn_normalized(g), {"normalize": False}
    enc = build_encoder(conv, 4, 8, 6, num_layers=3, norm="batchnorm", residual=True, conv_kwargs=conv_kwargs,
                        **_kwargs(conv)).eval()
    seeds = torch.tensor([0, 4, 29, 13])
    blocks, inputs = full_blocks(g, seeds, 3)
    x = torch.randn(g.num_nodes, 4)
    torch.testing.assert_close(enc(blocks, x[inputs]), enc(g, x)[seeds], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("conv", CONVS)
def test_graph_batch_matches_each_graph(make_graph, conv):
    graphs = [make_graph(num_nodes=n, num_edges=3 * n, seed=s) for s, n in enumerate([5, 1, 8])]
    samples = [GraphItem(g, torch.randn(g.num_nodes, 4), torch.tensor(0)) for g in graphs]
    batch = collate(samples)
    enc = build_encoder(conv, 4, 8, 6, num_layers=2, **_kwargs(conv)).eval()
    each = torch.cat([enc(s.graph, s.x) for s in samples])
    torch.testing.assert_close(enc(batch), each, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(enc(batch, batch.x), each, atol=1e-5, rtol=1e-5)
    # layers take the GraphBatch itself too
    torch.testing.assert_close(enc.convs[0](batch, batch.x), enc.convs[0](batch.graph, batch.x))


def test_bad_inputs(make_graph, full_blocks):
    g = make_graph()
    enc = build_encoder("sage", 4, 8, num_layers=2)
    with pytest.raises(ValueError, match="node features"):
        enc(g)
    with pytest.raises(ValueError, match="one per layer"):
        enc([g], torch.randn(g.num_nodes, 4))
    blocks, inputs = full_blocks(g, torch.tensor([4, 5]), 2)
    with pytest.raises(ValueError, match="must match"):
        enc([blocks[1], blocks[0]], torch.randn(blocks[1].num_src_nodes, 4))
    with pytest.raises(ValueError, match="list of Blocks"):
        enc("graph", torch.randn(3, 4))
    with pytest.raises(ValueError, match="not a graphssl"):
        enc([g, "b"], torch.randn(g.num_nodes, 4))
    with pytest.raises(ValueError, match="input features"):
        enc(g, torch.randn(g.num_nodes, 5))


def test_one_layer_encoder_and_defaults():
    g = Graph.from_edge_index(torch.tensor([[0, 1, 2], [1, 2, 0]]), 3)
    enc = GNNEncoder("gin", 4, 7, num_layers=1)
    assert enc(g, torch.randn(3, 4)).shape == (3, 7)
