import pytest
import torch
import torch.nn.functional as F

from graphssl.losses import bootstrap_loss


def _naive(p, z):
    return torch.stack([2 - 2 * torch.dot(p[i], z[i]) / (p[i].norm() * z[i].norm()) for i in range(len(p))]).mean()


def test_matches_the_formula_and_target_gets_no_gradient():
    gen = torch.Generator().manual_seed(0)
    p = torch.randn(6, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    z = torch.randn(6, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    loss = bootstrap_loss(p, z)
    loss.backward()
    assert z.grad is None  # the target branch is constant
    g = p.grad.clone()
    p.grad = None
    ref = _naive(p, z.detach())
    ref.backward()
    assert torch.allclose(loss, ref, atol=1e-12) and torch.allclose(g, p.grad, atol=1e-12)
    z = z.detach()
    assert float(bootstrap_loss(z, 3 * z)) == pytest.approx(0.0, abs=1e-12)
    assert float(bootstrap_loss(z, -z)) == pytest.approx(4.0, abs=1e-12)


def _descend(loss_fn, steps=30):
    gen = torch.Generator().manual_seed(1)
    p = torch.randn(32, 8, generator=gen, requires_grad=True)
    z = torch.randn(32, 8, generator=gen)
    before = F.cosine_similarity(p, z).mean().item()
    opt = torch.optim.Adam([p], lr=0.2)
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(p, z).backward()
        opt.step()
    return before, F.cosine_similarity(p, z).mean().item()


def test_minimising_it_aligns_the_views():
    """Known bug of anchors: a flipped sign pushes the views apart. Gradient descent on
    this loss must pull the prediction onto the target."""
    before, after = _descend(bootstrap_loss)
    assert after > 0.95 > before
    # the check would catch the bug: the flipped loss drives the views apart
    _, flipped = _descend(lambda p, z: -bootstrap_loss(p, z))
    assert flipped < -0.9


def test_sparse_positives_and_identity_mask():
    gen = torch.Generator().manual_seed(2)
    p, z = torch.randn(5, 3, generator=gen), torch.randn(4, 3, generator=gen)
    pairs = torch.tensor([[0, 0, 4], [1, 3, 3]])
    ref = _naive(p[pairs[0]], z[pairs[1]])
    assert torch.allclose(bootstrap_loss(p, z, pairs), ref, atol=1e-6)
    idx = torch.arange(4)
    assert torch.allclose(bootstrap_loss(p[:4], z, torch.stack([idx, idx])), bootstrap_loss(p[:4], z), atol=1e-6)


def test_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        bootstrap_loss(torch.randn(4, 3), torch.randn(5, 3))
    with pytest.raises(ValueError, match="widths"):
        bootstrap_loss(torch.randn(4, 3), torch.randn(4, 2))
    with pytest.raises(ValueError, match="no rows"):
        bootstrap_loss(torch.randn(0, 3), torch.randn(0, 3))
