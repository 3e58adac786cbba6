"""The hash dropout: torch's dropout distribution, reproducible, exact gradient."""
import pytest
import torch

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from graphssl.nn.dropout import MIN_NUMEL, dropout  # noqa: E402


def big(dtype=torch.float32) -> torch.Tensor:
    return torch.randn(300, 200, generator=torch.Generator().manual_seed(0), dtype=dtype).abs() + 0.1


@settings(max_examples=15, deadline=None)
@given(p=st.floats(0.05, 0.95), dtype=st.sampled_from([torch.float32, torch.float64]))
def test_keeps_one_minus_p_and_scales_the_kept_entries(p, dtype):
    x = big(dtype)
    y = dropout(x, p)
    kept = y != 0
    n = x.numel()
    sd = (p * (1 - p) / n) ** 0.5
    assert abs(float(kept.double().mean()) - (1 - p)) < 5 * sd + 1e-9
    torch.testing.assert_close(y[kept], x[kept] / (1 - p))
    assert y.dtype == dtype and y.shape == x.shape


def test_repeats_under_torch_manual_seed_and_differs_between_calls():
    x = big()
    torch.manual_seed(3)
    a, b = dropout(x, 0.4), dropout(x, 0.4)
    torch.manual_seed(3)
    assert torch.equal(dropout(x, 0.4), a)
    assert not torch.equal(a, b)
    # no visible structure: neighbouring entries and the two calls' masks are uncorrelated
    ma, mb = (a != 0).double().flatten(), (b != 0).double().flatten()
    for u, v in ((ma[:-1], ma[1:]), (ma, mb), (ma[:-200], ma[200:])):
        assert abs(float(torch.corrcoef(torch.stack([u, v]))[0, 1])) < 0.02


def test_gradient_is_the_same_mask_and_scale():
    x = big(torch.float64).requires_grad_()
    g = torch.randn(x.shape, dtype=torch.float64)
    y = dropout(x, 0.3)
    y.backward(g)
    keep = (y != 0).double()
    torch.testing.assert_close(x.grad, g * keep / 0.7)


def test_identity_and_fallbacks():
    x = big()
    assert dropout(x, 0.5, training=False) is x
    assert dropout(x, 0.0) is x
    assert torch.count_nonzero(dropout(x, 1.0)) == 0
    small = torch.ones(MIN_NUMEL - 1)
    assert set(dropout(small, 0.5).unique().tolist()) <= {0.0, 2.0}       # torch's dropout
    strided = big().t()                                                    # non-contiguous input
    y = dropout(strided, 0.5)
    assert y.shape == strided.shape and set(((y == 0) | torch.isclose(y, 2 * strided)).unique().tolist()) == {True}
    with pytest.raises(ValueError, match="dropout probability"):
        dropout(x, 1.5)
