"""`graphssl.sparse.ops.gat_aggregate` on its reference path (backends without a fused
kernel), against the definition written edge by edge. The fused Triton kernel is
compared with this path in test_triton_backend.py."""
import pytest
import torch

from graphssl.sparse import Graph, use_backend
from graphssl.sparse.ops import gat_aggregate


def _graph(num_dst=6, num_src=8, seed=0) -> Graph:
    g = torch.Generator().manual_seed(seed)
    deg = torch.randint(0, 4, (num_dst,), generator=g)
    deg[0] = 0
    rowptr = torch.zeros(num_dst + 1, dtype=torch.long)
    rowptr[1:] = deg.cumsum(0)
    col = torch.randint(0, num_src, (int(rowptr[-1]),), generator=g)
    return Graph(rowptr, col, num_src_nodes=num_src)


def _definition(g: Graph, x, a_src, a_dst, slope):
    out = torch.zeros(g.num_dst_nodes, *x.shape[1:], dtype=x.dtype)
    for t in range(g.num_dst_nodes):
        lo, hi = int(g.rowptr[t]), int(g.rowptr[t + 1])
        if lo == hi:
            continue
        src = g.col[lo:hi]
        z = torch.nn.functional.leaky_relu(a_src[src] + a_dst[t], slope)  # [deg, H]
        alpha = torch.softmax(z, dim=0)
        out[t] = (alpha.unsqueeze(-1) * x[src]).sum(0)
    return out


@pytest.mark.parametrize("backend", ["torch", "numba"])
def test_reference_path_matches_definition(backend):
    g = _graph()
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(8, 3, 5, generator=gen, dtype=torch.float64)
    a_src = torch.randn(8, 3, generator=gen, dtype=torch.float64)
    a_dst = torch.randn(6, 3, generator=gen, dtype=torch.float64)
    with use_backend(backend):
        out = gat_aggregate(g, x, a_src, a_dst, negative_slope=0.1)
    torch.testing.assert_close(out, _definition(g, x, a_src, a_dst, 0.1))
    assert bool((out[0] == 0).all())


def test_reference_path_gradcheck_and_flat_shapes():
    g = _graph(seed=2)
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(8, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    a_src = torch.randn(8, generator=gen, dtype=torch.float64, requires_grad=True)
    a_dst = torch.randn(6, generator=gen, dtype=torch.float64, requires_grad=True)
    with use_backend("torch"):
        assert gat_aggregate(g, x, a_src, a_dst).shape == (6, 4)
        assert torch.autograd.gradcheck(lambda x, s, d: gat_aggregate(g, x, s, d), (x, a_src, a_dst))


def test_bad_inputs_raise_value_error():
    g = _graph()
    x = torch.randn(8, 2, 3)
    with pytest.raises(ValueError, match="a_src"):
        gat_aggregate(g, x, torch.randn(8, 3), torch.randn(6, 2))
    with pytest.raises(ValueError, match="a_dst"):
        gat_aggregate(g, x, torch.randn(8, 2), torch.randn(7, 2))
    with pytest.raises(ValueError, match="x"):
        gat_aggregate(g, torch.randn(5, 2, 3), torch.randn(8, 2), torch.randn(6, 2))
    with pytest.raises(ValueError, match="floating"):
        gat_aggregate(g, x, torch.zeros(8, 2, dtype=torch.long), torch.randn(6, 2))
