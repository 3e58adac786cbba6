import pytest
import torch

from graphssl.losses import sce_loss


def test_matches_the_formula():
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(7, 5, generator=gen), torch.randn(7, 5, generator=gen)
    cos = torch.stack([torch.dot(a[i], b[i]) / (a[i].norm() * b[i].norm()) for i in range(7)])
    assert torch.allclose(sce_loss(a, b, alpha=3), ((1 - cos) ** 3).mean(), atol=1e-6)
    assert float(sce_loss(a, 2 * a)) == pytest.approx(0.0, abs=1e-6)


def test_bad_inputs():
    with pytest.raises(ValueError, match="shapes differ"):
        sce_loss(torch.zeros(3, 2), torch.zeros(3, 3))
    with pytest.raises(ValueError, match="alpha"):
        sce_loss(torch.zeros(3, 2), torch.zeros(3, 2), alpha=0.5)
