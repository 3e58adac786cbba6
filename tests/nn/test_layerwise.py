"""Layer-wise inference equals the full-graph forward and keeps only two layers' activations."""
import pytest
import torch

from graphssl.nn import build_encoder, layerwise_inference
from graphssl.sparse import Graph


def _graph(n=230, m=900, seed=0):
    g = torch.Generator().manual_seed(seed)
    ei = torch.randint(0, n, (2, m), generator=g)
    return Graph.from_edge_index(torch.cat([ei, ei.flip(0)], 1), n).coalesce()


@pytest.mark.parametrize("conv,kw", [("gcn", {}), ("gat", {"heads": 2}), ("sage", {}), ("gin", {"norm": "layernorm"})])
@pytest.mark.parametrize("batch_size", [1, 64, 1000])
def test_layerwise_equals_full_forward(conv, kw, batch_size):
    torch.manual_seed(0)
    g = _graph()
    x = torch.randn(g.num_nodes, 10)
    enc = build_encoder(conv, 10, 12, out_dim=6, num_layers=3, residual=True, dropout=0.3, **kw)
    enc.train()
    out = layerwise_inference(enc, g, x, batch_size=batch_size)
    assert enc.training  # mode restored
    enc.eval()
    torch.testing.assert_close(out, enc(g, x), rtol=1e-4, atol=1e-5)
    assert out.shape == (g.num_nodes, 6) and not out.requires_grad


def test_layerwise_memory_is_two_layers(monkeypatch):
    # Every batch's input is gathered from the previous layer only: no stored multi-hop
    # neighbourhoods and no list of all layers' outputs.
    g = _graph(n=300, m=600)
    x = torch.randn(300, 8)
    enc = build_encoder("sage", 8, 8, num_layers=3).eval()
    sizes = []
    orig = enc.layer_forward

    def spy(i, block, h):
        sizes.append((i, block.num_dst_nodes, h.size(0)))
        return orig(i, block, h)

    monkeypatch.setattr(enc, "layer_forward", spy)
    layerwise_inference(enc, g, x, batch_size=50)
    assert [s[0] for s in sizes] == [i for i in range(3) for _ in range(6)]  # layer by layer, 6 batches each
    assert all(dst <= 50 and src <= 300 for _, dst, src in sizes)


def test_layerwise_rejects_bad_input():
    g = _graph(n=20, m=30)
    enc = build_encoder("gcn", 4, 4)
    with pytest.raises(ValueError, match="GNNEncoder"):
        layerwise_inference(torch.nn.Linear(4, 4), g, torch.randn(20, 4))
    with pytest.raises(ValueError, match="x must be"):
        layerwise_inference(enc, g, torch.randn(19, 4))
    with pytest.raises(ValueError, match="batch_size"):
        layerwise_inference(enc, g, torch.randn(20, 4), batch_size=0)
