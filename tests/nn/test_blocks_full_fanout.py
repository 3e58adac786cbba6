"""Every encoder on sampled Blocks: with full fan-out (-1) the seeds' outputs equal the
full-graph outputs (GCN through the attached full-graph degrees); sampled GCN rows are
unbiased estimates of the full rows."""
import pytest
import torch
from hypothesis import given, settings, strategies as st

from graphssl.nn import GCNConv, attach_global_degrees, build_encoder
from graphssl.sampling import NeighborSampler
from graphssl.sparse import Graph, use_backend


def _graph(n=150, m=600, seed=0, weighted=False, loops=False):
    g = torch.Generator().manual_seed(seed)
    ei = torch.randint(0, n, (2, m), generator=g)
    if not loops:
        ei = ei[:, ei[0] != ei[1]]
    ei = torch.cat([ei, ei.flip(0)], 1)
    w = torch.rand(ei.size(1), generator=g) + 0.5 if weighted else None
    return Graph.from_edge_index(ei, n, w).coalesce()


CASES = [("gcn", {}), ("gat", {"heads": 2}), ("gin", {}), ("sage", {}), ("sage", {"conv_kwargs": {"aggr": "max"}}),
         ("mlp", {}), ("gcn", {"conv_kwargs": {"add_self_loops": False}})]


@pytest.mark.parametrize("conv,kw", CASES)
@pytest.mark.parametrize("residual,norm", [(False, None), (True, "batchnorm")])
def test_full_fanout_blocks_match_full_graph(conv, kw, residual, norm):
    torch.manual_seed(0)
    g = _graph(loops=True)
    x = torch.randn(g.num_nodes, 12)
    enc = build_encoder(conv, 12, 16, num_layers=3, residual=residual, norm=norm, **kw)
    enc.train()
    enc(g, x)  # move the batch-norm running statistics away from their initial values
    enc.eval()
    full = enc(g, x)
    seeds = torch.randperm(g.num_nodes)[:37]
    seeds_out, blocks, input_nodes = NeighborSampler(g, [-1, -1, -1], seed=1).sample(seeds)
    attach_global_degrees(blocks, g)
    out = enc(blocks, x[input_nodes])
    assert out.shape == (37, 16)
    torch.testing.assert_close(out, full[seeds], rtol=1e-4, atol=1e-5)


def test_gcn_weighted_graph_blocks_match():
    torch.manual_seed(0)
    g = _graph(weighted=True, seed=3)
    x = torch.randn(g.num_nodes, 6)
    conv = GCNConv(6, 5)
    seeds = torch.arange(0, g.num_nodes, 3)
    _, blocks, inp = NeighborSampler(g, [-1], seed=0).sample(seeds)
    attach_global_degrees(blocks, g)
    torch.testing.assert_close(conv(blocks[0], x[inp]), conv(g, x)[seeds], rtol=1e-4, atol=1e-5)


def test_gcn_block_without_degrees_keeps_block_normalisation():
    # Without attached degrees a Block normalises sources by their degree inside it (DGL).
    torch.manual_seed(0)
    g = _graph(seed=4)
    x = torch.randn(g.num_nodes, 4)
    conv = GCNConv(4, 3, bias=False)
    seeds = torch.arange(10)
    _, blocks, inp = NeighborSampler(g, [-1], seed=0).sample(seeds)
    b = blocks[0]
    a = b.to_dense()
    a[torch.arange(10), torch.arange(10)] += 1.0  # missing self-loops (this graph has none)
    d_dst, d_src = a.sum(1), a.sum(0)
    norm = d_dst.pow(-0.5)[:, None] * a * d_src.pow(-0.5).masked_fill(d_src == 0, 0)[None, :]
    torch.testing.assert_close(conv(b, x[inp]), norm @ conv.lin(x[inp]), rtol=1e-4, atol=1e-5)


def test_sampled_gcn_rows_are_unbiased():
    # A destination's sampled row, rescaled by full over sampled degree, averages to its full row.
    torch.manual_seed(0)
    g = _graph(n=40, m=400, seed=5)
    x = torch.randn(g.num_nodes, 3, dtype=torch.float64)
    conv = GCNConv(3, 3, bias=False).double()
    seeds = torch.tensor([0, 1, 2])
    full = conv(g, x)[seeds]
    sampler = NeighborSampler(g, [3], seed=0, replace=True)
    draws = []
    with torch.no_grad():
        for _ in range(1500):
            _, blocks, inp = sampler.sample(seeds)
            attach_global_degrees(blocks, g)
            draws.append(conv(blocks[0], x[inp]))
    draws = torch.stack(draws)
    stderr = draws.std(0) / len(draws) ** 0.5
    assert ((draws.mean(0) - full).abs() < 5 * stderr + 1e-9).all()


def test_attach_global_degrees_rejects_foreign_ids():
    g = _graph(n=20, m=40)
    _, blocks, _ = NeighborSampler(g, [-1], seed=0).sample(torch.arange(20))
    small = _graph(n=10, m=20)
    with pytest.raises(ValueError, match="out of range"):
        attach_global_degrees(blocks, small)
    with pytest.raises(ValueError, match="src_nodes"):
        attach_global_degrees([small], small)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(5, 40), m=st.integers(0, 120), layers=st.integers(1, 3), seed=st.integers(0, 1000))
def test_property_gcn_full_fanout(n, m, layers, seed):
    with use_backend("torch"):
        g = _graph(n, m, seed=seed, loops=True)
        x = torch.randn(n, 4, generator=torch.Generator().manual_seed(seed))
        enc = build_encoder("gcn", 4, 8, num_layers=layers).eval()
        seeds = torch.randperm(n, generator=torch.Generator().manual_seed(seed))[: max(1, n // 3)]
        _, blocks, inp = NeighborSampler(g, [-1] * layers, seed=seed).sample(seeds)
        attach_global_degrees(blocks, g)
        torch.testing.assert_close(enc(blocks, x[inp]), enc(g, x)[seeds], rtol=1e-4, atol=1e-5)
