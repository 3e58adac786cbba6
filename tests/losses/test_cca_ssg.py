import pytest
import torch

from graphssl.losses import cca_ssg_loss


def _naive(z1, z2, lam):
    n, d = z1.shape

    def std(z):
        mean = z.sum(0) / n
        sd = torch.sqrt(((z - mean) ** 2).sum(0) / (n - 1))
        return (z - mean) / sd / n ** 0.5
    a, b = std(z1), std(z2)
    inv = -sum((a[:, k] * b[:, k]).sum() for k in range(d))
    dec = 0
    for h in (a, b):
        for i in range(d):
            for j in range(d):
                dec = dec + ((h[:, i] * h[:, j]).sum() - (1.0 if i == j else 0.0)) ** 2
    return inv + lam * dec


@pytest.mark.parametrize("lam", [1e-3, 0.5])
def test_matches_dense_reference_values_and_gradients(lam):
    gen = torch.Generator().manual_seed(0)
    z1 = torch.randn(8, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    z2 = torch.randn(8, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    got = cca_ssg_loss(z1, z2, lambda_=lam)
    got.backward()
    g1, g2 = z1.grad.clone(), z2.grad.clone()
    z1.grad = z2.grad = None
    ref = _naive(z1, z2, lam)
    ref.backward()
    assert torch.allclose(got, ref, atol=1e-12)
    assert torch.allclose(g1, z1.grad, atol=1e-12) and torch.allclose(g2, z2.grad, atol=1e-12)


def test_invariance_is_half_the_squared_distance_up_to_a_constant():
    gen = torch.Generator().manual_seed(1)
    z1 = torch.randn(20, 4, generator=gen, dtype=torch.float64)
    z2 = torch.randn(20, 4, generator=gen, dtype=torch.float64)
    h = [(z - z.mean(0)) / z.std(0) / 20 ** 0.5 for z in (z1, z2)]
    constant = 4 * 19 / 20  # trace(H.T H) of each standardised view
    assert float(cca_ssg_loss(z1, z2, lambda_=0.0)) == pytest.approx(
        0.5 * float(((h[0] - h[1]) ** 2).sum()) - constant, abs=1e-10)


def test_constant_column_stays_finite_and_bad_input():
    z = torch.randn(6, 3)
    z[:, 1] = 2.0
    assert torch.isfinite(cca_ssg_loss(z, z))
    with pytest.raises(ValueError, match="same shape"):
        cca_ssg_loss(torch.randn(4, 3), torch.randn(5, 3))
    with pytest.raises(ValueError, match="at least 2"):
        cca_ssg_loss(torch.randn(1, 3), torch.randn(1, 3))
    with pytest.raises(ValueError, match="lambda_"):
        cca_ssg_loss(torch.randn(4, 3), torch.randn(4, 3), lambda_=float("nan"))
