import pytest
import torch

from graphssl.losses import barlow_twins_loss, batch_standardize


def _naive(z1, z2, lam, eps=1e-5):
    n, d = z1.shape

    def std(z):
        mean = z.sum(0) / n
        var = ((z - mean) ** 2).sum(0) / n
        return (z - mean) / torch.sqrt(var + eps)
    a, b = std(z1), std(z2)
    loss = 0
    for i in range(d):
        for j in range(d):
            c = (a[:, i] * b[:, j]).sum() / n
            loss = loss + ((1 - c) ** 2 if i == j else lam * c ** 2)
    return loss


@pytest.mark.parametrize("lam", [None, 0.3])
def test_matches_dense_reference_values_and_gradients(lam):
    gen = torch.Generator().manual_seed(0)
    z1 = torch.randn(10, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    z2 = torch.randn(10, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    got = barlow_twins_loss(z1, z2, lambda_=lam)
    got.backward()
    g1, g2 = z1.grad.clone(), z2.grad.clone()
    z1.grad = z2.grad = None
    ref = _naive(z1, z2, 1 / 4 if lam is None else lam)
    ref.backward()
    assert torch.allclose(got, ref, atol=1e-12)
    assert torch.allclose(g1, z1.grad, atol=1e-12) and torch.allclose(g2, z2.grad, atol=1e-12)


def test_identical_decorrelated_views_are_near_optimal():
    z = torch.linalg.qr(torch.randn(64, 8, dtype=torch.float64))[0]  # orthogonal columns
    z = z - z.mean(0)
    assert float(barlow_twins_loss(z, z)) < 0.05
    s = batch_standardize(torch.randn(50, 3) * 5 + 2)
    assert torch.allclose(s.mean(0), torch.zeros(3), atol=1e-5)


def test_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        barlow_twins_loss(torch.randn(4, 3), torch.randn(5, 3))
    with pytest.raises(ValueError, match="at least 2"):
        barlow_twins_loss(torch.randn(1, 3), torch.randn(1, 3))
    with pytest.raises(ValueError, match="lambda_"):
        barlow_twins_loss(torch.randn(4, 3), torch.randn(4, 3), lambda_=-1.0)
