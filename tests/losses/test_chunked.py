import pytest
import torch

from graphssl.losses import chunked_similarity, default_chunk_size
from graphssl.sparse import Graph


def _dense(a, b, tau, reduce, exclude_mask, cols):
    s = a @ b.T / tau
    if exclude_mask is not None:
        s = s.masked_fill(exclude_mask, float("-inf"))
    if not cols:
        return torch.logsumexp(s, 1) if reduce == "logsumexp" else torch.nn.functional.softplus(s).sum(1)
    return torch.logsumexp(s, 0) if reduce == "logsumexp" else torch.nn.functional.softplus(s).sum(0)


def _inputs(n_a=23, n_b=17, d=6, seed=0, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    a = torch.randn(n_a, d, generator=gen, dtype=dtype).requires_grad_()
    b = torch.randn(n_b, d, generator=gen, dtype=dtype).requires_grad_()
    return a, b


@pytest.mark.parametrize("reduce", ["logsumexp", "softplus"])
@pytest.mark.parametrize("chunk", [1, 4, 23, 100])
def test_chunked_equals_dense_values_and_gradients(reduce, chunk):
    a, b = _inputs()
    ex = torch.tensor([[0, 0, 5, 22, 22], [1, 16, 5, 0, 3]])
    mask = torch.zeros(23, 17, dtype=torch.bool)
    mask[ex[0], ex[1]] = True
    w_r, w_c = torch.randn(23, dtype=a.dtype), torch.randn(17, dtype=a.dtype)

    rows, cols = chunked_similarity(a, b, tau=0.3, reduce=reduce, exclude=ex, return_columns=True, chunk_size=chunk)
    ((rows * w_r).sum() + (cols * w_c).sum()).backward()
    ga, gb = a.grad.clone(), b.grad.clone()
    a.grad = b.grad = None
    d_rows = _dense(a, b, 0.3, reduce, mask, cols=False)
    d_cols = _dense(a, b, 0.3, reduce, mask, cols=True)
    ((d_rows * w_r).sum() + (d_cols * w_c).sum()).backward()
    assert torch.allclose(rows, d_rows, atol=1e-10) and torch.allclose(cols, d_cols, atol=1e-10)
    assert torch.allclose(ga, a.grad, atol=1e-10) and torch.allclose(gb, b.grad, atol=1e-10)


def test_rows_only_matches_dense_in_float32_and_default_chunk():
    a, b = _inputs(dtype=torch.float32)
    out = chunked_similarity(a, b, tau=0.5)
    out.sum().backward()
    ga = a.grad.clone()
    a.grad = None
    ref = torch.logsumexp(a @ b.T / 0.5, 1)
    ref.sum().backward()
    assert torch.allclose(out, ref, atol=1e-5) and torch.allclose(ga, a.grad, atol=1e-5)


def test_gradcheck_with_diagonal_and_graph_exclusion():
    gen = torch.Generator().manual_seed(1)
    a = torch.randn(9, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    b = torch.randn(9, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    g = Graph.from_edge_index(torch.tensor([[0, 2, 8], [3, 2, 1]]), num_nodes=9)
    for reduce in ("logsumexp", "softplus"):
        f = lambda x, y: chunked_similarity(x, y, tau=0.7, reduce=reduce, exclude=g, exclude_diagonal=True,
                                            return_columns=True, chunk_size=2)
        assert torch.autograd.gradcheck(f, (a, b))


def test_graph_exclusion_reads_edges_as_row_to_column_and_diagonal():
    a, b = _inputs(n_a=6, n_b=6)
    g = Graph.from_edge_index(torch.tensor([[0, 4], [5, 1]]), num_nodes=6)  # excludes S[0,5], S[4,1]
    mask = torch.eye(6, dtype=torch.bool)
    mask[0, 5] = mask[4, 1] = True
    out = chunked_similarity(a, b, exclude=g, exclude_diagonal=True, chunk_size=4)
    assert torch.allclose(out, _dense(a, b, 1.0, "logsumexp", mask, cols=False))


def test_same_tensor_on_both_sides_accumulates_both_gradients():
    a, _ = _inputs(n_a=8)
    chunked_similarity(a, a, tau=0.4, exclude_diagonal=True, chunk_size=3).sum().backward()
    g = a.grad.clone()
    a.grad = None
    s = (a @ a.T / 0.4).masked_fill(torch.eye(8, dtype=torch.bool), float("-inf"))
    torch.logsumexp(s, 1).sum().backward()
    assert torch.allclose(g, a.grad, atol=1e-10)


def test_fully_excluded_row_is_minus_inf_with_zero_gradient():
    a, b = _inputs(n_a=3, n_b=2)
    out = chunked_similarity(a, b, exclude=torch.tensor([[1, 1], [0, 1]]), chunk_size=2)
    assert out[1] == float("-inf") and torch.isfinite(out[[0, 2]]).all()
    out[[0, 2]].sum().backward()
    assert torch.isfinite(a.grad).all() and torch.all(a.grad[1] == 0)
    sp = chunked_similarity(a, b, reduce="softplus", exclude=torch.tensor([[1, 1], [0, 1]]))
    assert sp[1] == 0


def test_no_grad_inputs_and_default_chunk_size():
    a, b = torch.randn(5, 3), torch.randn(4, 3)
    assert not chunked_similarity(a, b).requires_grad
    assert default_chunk_size(1 << 23) == 1 and default_chunk_size(0) == 1 << 23


@pytest.mark.parametrize("kwargs, match", [
    (dict(tau=0.0), "tau"), (dict(tau=-1.0), "tau"), (dict(reduce="max"), "reduce"),
    (dict(chunk_size=0), "chunk_size"), (dict(chunk_size=2.5), "chunk_size"),
    (dict(exclude=torch.tensor([[0], [9]])), "out of range"),
    (dict(exclude=torch.zeros(3, 2, dtype=torch.long)), r"\[2, P\]"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        chunked_similarity(torch.randn(5, 3), torch.randn(4, 3), **kwargs)


def test_bad_shapes():
    with pytest.raises(ValueError, match="widths"):
        chunked_similarity(torch.randn(5, 3), torch.randn(4, 2))
    with pytest.raises(ValueError, match="2-D"):
        chunked_similarity(torch.randn(5), torch.randn(4, 2))
    with pytest.raises(ValueError, match="floating"):
        chunked_similarity(torch.ones(5, 3, dtype=torch.long), torch.randn(4, 3))
    with pytest.raises(ValueError, match="dtypes"):
        chunked_similarity(torch.randn(5, 3), torch.randn(4, 3, dtype=torch.float64))


@pytest.mark.parametrize("bound", [0.0, 1e9])  # 0: every block shifted by its max; 1e9: never
@pytest.mark.parametrize("chunk", [1, 5, 100])
def test_shifted_and_unshifted_log_sum_exps_agree_with_dense(bound, chunk, monkeypatch):
    import graphssl.losses.chunked as chunked
    monkeypatch.setattr(chunked, "UNSHIFTED_BOUND", bound)
    a, b = _inputs(n_a=11, n_b=11)
    mask = torch.eye(11, dtype=torch.bool)
    mask[3, :] = True  # a fully excluded row
    ex = torch.nonzero(mask & ~torch.eye(11, dtype=torch.bool)).t()
    for want_cols in (False, True):
        out = chunked_similarity(a, b, tau=0.6, exclude=ex, exclude_diagonal=True, return_columns=want_cols,
                                 chunk_size=chunk)
        rows, cols = out if want_cols else (out, None)
        w_r = torch.randn(11, dtype=a.dtype)
        loss = (rows[[i for i in range(11) if i != 3]] * w_r[:10]).sum()
        ref_rows = _dense(a, b, 0.6, "logsumexp", mask, cols=False)
        ref = (ref_rows[[i for i in range(11) if i != 3]] * w_r[:10]).sum()
        if want_cols:
            loss = loss + cols.sum()
            ref = ref + _dense(a, b, 0.6, "logsumexp", mask, cols=True).sum()
        assert rows[3] == float("-inf")
        torch.testing.assert_close(loss, ref)
        for x, y in zip(torch.autograd.grad(loss, (a, b)), torch.autograd.grad(ref, (a, b))):
            torch.testing.assert_close(x, y)


@pytest.mark.parametrize("tau", [1.0, 1 / 40, 1 / 41, 0.005])
def test_unit_rows_in_float32_at_low_temperatures(tau):
    # unit rows at 1/tau <= 40 skip the max; below that they do not: no inf or nan either way
    gen = torch.Generator().manual_seed(3)
    a64 = torch.nn.functional.normalize(torch.randn(30, 5, generator=gen, dtype=torch.float64), dim=1)
    b64 = torch.nn.functional.normalize(a64 + 0.2 * torch.randn(30, 5, generator=gen, dtype=torch.float64), dim=1)
    a, b = a64.float().requires_grad_(), b64.float().requires_grad_()
    rows, cols = chunked_similarity(a, b, tau=tau, return_columns=True, chunk_size=7)
    loss = rows.mean() + cols.mean()
    a64.requires_grad_(), b64.requires_grad_()
    ref = _dense(a64, b64, tau, "logsumexp", None, cols=False).mean() + \
        _dense(a64, b64, tau, "logsumexp", None, cols=True).mean()
    assert torch.isfinite(loss)
    torch.testing.assert_close(loss.double(), ref, rtol=1e-4, atol=1e-3)
    for x, y in zip(torch.autograd.grad(loss, (a, b)), torch.autograd.grad(ref, (a64, b64))):
        assert torch.isfinite(x).all()
        torch.testing.assert_close(x.double(), y, rtol=1e-3, atol=1e-4)
