"""The sparse input projection: same values and weight gradients as the dense product."""
import pytest
import torch
import torch.nn.functional as F

from graphssl.nn import MLP, GATConv, GCNConv, SAGEConv
from graphssl.nn.mlp import GraphLinear
from graphssl.nn.input_linear import MIN_HUGE_OUTPUT, MIN_WIDTH, dense_linear, input_linear, mostly_zero, nonzero_rows
from graphssl.sparse import Graph


def bag_of_words(n: int = 120, f: int = 400, density: float = 0.01, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, f, generator=g) < density).float() * torch.rand(n, f, generator=g)


def test_mostly_zero_picks_wide_sparse_inputs_without_gradient():
    x = bag_of_words()
    assert mostly_zero(x)
    assert not mostly_zero(bag_of_words(density=0.2))                   # dense enough
    assert not mostly_zero(bag_of_words(f=MIN_WIDTH - 1))                # narrow
    assert not mostly_zero(x.clone().requires_grad_())                   # needs a gradient
    assert not mostly_zero(x.half())                                     # no sparse half product here
    assert not mostly_zero(x[:0])                                        # empty


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_input_linear_matches_the_dense_product_and_its_gradients(bias, dtype):
    x = bag_of_words().to(dtype)
    w = torch.randn(24, x.size(1), dtype=dtype, requires_grad=True)
    b = torch.randn(24, dtype=dtype, requires_grad=True) if bias else None
    g = torch.randn(x.size(0), 24, dtype=dtype)
    out = input_linear(x, w, b)
    out.backward(g)
    grads = (w.grad.clone(), b.grad.clone() if bias else None)
    w.grad = None
    if bias:
        b.grad = None
    ref = F.linear(x, w, b)
    ref.backward(g)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(grads[0], w.grad)
    if bias:
        torch.testing.assert_close(grads[1], b.grad)


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_large_dense_products_match_f_linear_with_all_gradients(bias, dtype):
    g = torch.Generator().manual_seed(5)
    rows = MIN_HUGE_OUTPUT // 16  # exactly the threshold with 16 outputs
    x = torch.randn(rows, 8, dtype=dtype, generator=g, requires_grad=True)
    w = torch.randn(16, 8, dtype=dtype, generator=g, requires_grad=True)
    b = torch.randn(16, dtype=dtype, generator=g, requires_grad=True) if bias else None
    upstream = torch.randn(rows, 16, dtype=dtype, generator=g)
    params = (x, w) + ((b,) if bias else ())
    got = dense_linear(x, w, b)
    assert type(got.grad_fn).__name__ == "_HugePageLinearBackward"  # the huge-page path ran
    grads = torch.autograd.grad((got * upstream).sum(), params)
    ref = F.linear(x, w, b)
    ref_grads = torch.autograd.grad((ref * upstream).sum(), params)
    torch.testing.assert_close(got, ref)
    for a, r in zip(grads, ref_grads):
        torch.testing.assert_close(a, r)
    small = dense_linear(x[:10], w, b)  # below the threshold: F.linear itself
    assert type(small.grad_fn).__name__ != "_HugePageLinearBackward"
    torch.testing.assert_close(small, ref[:10])


@pytest.mark.parametrize("bias", [False, True])
def test_inputs_with_mostly_zero_rows_match_the_dense_product_and_all_gradients(bias):
    g = torch.Generator().manual_seed(3)
    x = torch.randn(200, MIN_WIDTH, dtype=torch.float64, generator=g)
    keep = torch.randperm(200, generator=g)[:50]
    x = torch.zeros_like(x).index_copy(0, keep, x[keep]).requires_grad_()  # 3/4 of the rows zero
    x.data[keep[0], 0] = float("nan")  # a NaN row stays a computed row
    assert torch.equal(nonzero_rows(x.detach()), keep.sort().values)
    w = torch.randn(24, MIN_WIDTH, dtype=torch.float64, generator=g, requires_grad=True)
    b = torch.randn(24, dtype=torch.float64, generator=g, requires_grad=True) if bias else None
    upstream = torch.randn(200, 24, dtype=torch.float64, generator=g)
    params = (x, w) + ((b,) if bias else ())
    got = input_linear(x, w, b)
    grads = torch.autograd.grad((got * upstream).nansum(), params)
    ref = F.linear(x, w, b)
    ref_grads = torch.autograd.grad((ref * upstream).nansum(), params)
    torch.testing.assert_close(got, ref, equal_nan=True)
    for a, r in zip(grads, ref_grads):  # x's zero rows get their gradient too
        torch.testing.assert_close(a, r, equal_nan=True)
    assert nonzero_rows(torch.randn(200, MIN_WIDTH)) is None          # no zero rows
    assert nonzero_rows(x.detach()[:, : MIN_WIDTH - 1]) is None      # narrow


@pytest.mark.parametrize("layer", [GCNConv, GATConv, SAGEConv, GraphLinear])
def test_layers_give_the_same_output_on_sparse_and_densified_features(layer):
    x = bag_of_words()
    ei = torch.randint(0, x.size(0), (2, 600), generator=torch.Generator().manual_seed(1))
    graph = Graph.from_edge_index(ei, x.size(0)).to_undirected()
    torch.manual_seed(0)
    conv = layer(x.size(1), 16)
    sparse_path = conv(graph, x)
    # A denser copy of the same values (one tiny entry per row) takes the dense product.
    dense = x.clone()
    dense[:, -8:] += 1e-30
    assert mostly_zero(x) and not mostly_zero(dense)
    torch.testing.assert_close(sparse_path, conv(graph, dense), rtol=1e-5, atol=1e-6)


def test_mlp_first_layer_gives_the_same_output_and_weight_gradients_on_sparse_features():
    x = bag_of_words()
    dense = x.clone()
    dense[:, -8:] += 1e-30  # same values, too many non-zeros for the sparse path
    assert mostly_zero(x) and not mostly_zero(dense)
    torch.manual_seed(0)
    mlp = MLP(x.size(1), 32, 8, num_layers=2, norm="batchnorm")
    outs, grads = [], []
    for inp in (x, dense):
        mlp.zero_grad()
        out = mlp(inp)
        out.square().sum().backward()
        outs.append(out)
        grads.append(mlp.lins[0].weight.grad.clone())
    torch.testing.assert_close(outs[0], outs[1], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-4, atol=1e-5)
