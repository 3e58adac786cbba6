import pytest
import torch

from graphssl.losses import vicreg_loss


def _naive(z1, z2, ws=(25.0, 25.0, 1.0), gamma=1.0, eps=1e-4):
    n, d = z1.shape
    inv = ((z1 - z2) ** 2).sum() / (n * d)

    def var_term(z):
        std = torch.sqrt(((z - z.mean(0)) ** 2).sum(0) / (n - 1) + eps)
        return torch.clamp(gamma - std, min=0).mean()

    def cov_term(z):
        zc = z - z.mean(0)
        total = 0
        for i in range(d):
            for j in range(d):
                if i != j:
                    total = total + ((zc[:, i] * zc[:, j]).sum() / (n - 1)) ** 2
        return total / d
    var = (var_term(z1) + var_term(z2)) / 2
    cov = cov_term(z1) + cov_term(z2)
    return ws[0] * inv + ws[1] * var + ws[2] * cov


@pytest.mark.parametrize("weights", [(25.0, 25.0, 1.0), (1.0, 0.5, 2.0)])
def test_matches_dense_reference_values_and_gradients(weights):
    gen = torch.Generator().manual_seed(0)
    z1 = (0.5 * torch.randn(9, 4, generator=gen, dtype=torch.float64)).requires_grad_()  # std < 1: hinge active
    z2 = torch.randn(9, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    got = vicreg_loss(z1, z2, *weights)
    got.backward()
    g1, g2 = z1.grad.clone(), z2.grad.clone()
    z1.grad = z2.grad = None
    ref = _naive(z1, z2, weights)
    ref.backward()
    assert torch.allclose(got, ref, atol=1e-12)
    assert torch.allclose(g1, z1.grad, atol=1e-12) and torch.allclose(g2, z2.grad, atol=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        vicreg_loss(torch.randn(4, 3), torch.randn(5, 3))
    with pytest.raises(ValueError, match="at least 2"):
        vicreg_loss(torch.randn(1, 3), torch.randn(1, 3))
    with pytest.raises(ValueError, match="var_weight"):
        vicreg_loss(torch.randn(4, 3), torch.randn(4, 3), var_weight=-1.0)
