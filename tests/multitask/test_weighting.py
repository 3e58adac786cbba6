"""Task weightings: registry, fixed and uncertainty objectives, PCGrad's projections."""
import pytest
import torch

from graphssl.multitask.weighting import (WEIGHTINGS, FixedWeighting, MGDAWeighting, PCGradWeighting,
                                          UncertaintyWeighting, build_weighting, pcgrad_coefficients)


def test_registry_and_builder():
    assert WEIGHTINGS.names() == ["fixed", "mgda", "pcgrad", "uncertainty"]
    w = build_weighting({"name": "mgda", "normalization": "loss+"}, 3)
    assert isinstance(w, MGDAWeighting) and w.normalization == "loss+" and w.needs_gradients
    assert isinstance(build_weighting("fixed", 2, weights=[1, 2]), FixedWeighting)
    with pytest.raises(ValueError, match="unknown weighting 'nash'"):
        build_weighting("nash", 2)
    with pytest.raises(ValueError, match="bad arguments"):
        build_weighting("mgda", 2, gamma=1)
    with pytest.raises(ValueError, match="built for 2 tasks"):
        build_weighting(FixedWeighting(2), 3)
    with pytest.raises(ValueError, match="unknown gradient normalization"):
        MGDAWeighting(2, normalization="l1")


def test_fixed_weights():
    w = FixedWeighting(3, weights=[1.0, 0.0, 2.0])
    assert float(w.combine_losses(torch.tensor([1.0, 5.0, 2.0]))) == 5.0
    with pytest.raises(ValueError, match="non-negative"):
        FixedWeighting(2, weights=[1.0, -1.0])
    with pytest.raises(ValueError, match="2 values"):
        FixedWeighting(2, weights=[1.0])
    with pytest.raises(NotImplementedError):
        w.coefficients(torch.eye(3), torch.ones(3))


def test_uncertainty_objective_and_gradient():
    w = UncertaintyWeighting(2)
    with torch.no_grad():
        w.log_vars.copy_(torch.tensor([0.0, 1.0]))
    losses = torch.tensor([2.0, 3.0])
    total = w.combine_losses(losses)
    assert float(total.detach()) == pytest.approx(2.0 + 3.0 * torch.exp(torch.tensor(-1.0)).item() + 1.0)
    total.backward()
    expected = -torch.exp(-torch.tensor([0.0, 1.0])) * losses + 1.0
    assert torch.allclose(w.log_vars.grad, expected)
    assert w.weights.tolist() == pytest.approx(torch.exp(-torch.tensor([0.0, 1.0])).tolist())
    with pytest.raises(ValueError, match="non-negative task losses"):
        w.combine_losses(torch.tensor([-1.0, 1.0]))


def _explicit_pcgrad(g, gen):
    out = []
    for i in range(g.size(0)):
        gi = g[i].clone()
        for j in torch.randperm(g.size(0), generator=gen).tolist():
            if j == i:
                continue
            d = gi @ g[j]
            if d < 0:
                gi = gi - d / (g[j] @ g[j]) * g[j]
        out.append(gi)
    return torch.stack(out)


@pytest.mark.parametrize("num_tasks", [2, 3, 5])
def test_pcgrad_coefficients_match_explicit_projections(num_tasks):
    g = torch.randn(num_tasks, 7, generator=torch.Generator().manual_seed(num_tasks), dtype=torch.float64)
    c = pcgrad_coefficients(g @ g.t(), torch.Generator().manual_seed(3))
    explicit = _explicit_pcgrad(g, torch.Generator().manual_seed(3))
    assert torch.allclose(c @ g, explicit, atol=1e-10)
    coef = PCGradWeighting(num_tasks).coefficients(g @ g.t(), torch.ones(num_tasks), torch.Generator().manual_seed(3))
    assert torch.allclose(coef @ g, explicit.sum(0), atol=1e-10)


def test_pcgrad_projection_property():
    g1 = torch.tensor([1.0, 1.0], dtype=torch.float64)
    g2 = torch.tensor([-1.0, 0.5], dtype=torch.float64)  # conflicts with g1
    g = torch.stack([g1, g2])
    proj = pcgrad_coefficients(g @ g.t()) @ g
    # Each projected gradient is orthogonal to the other task's conflicting gradient ...
    assert float(proj[0] @ g2) == pytest.approx(0.0, abs=1e-12)
    assert float(proj[1] @ g1) == pytest.approx(0.0, abs=1e-12)
    # ... and is the original minus its component along the other gradient.
    assert torch.allclose(proj[0], g1 - (g1 @ g2) / (g2 @ g2) * g2)
    # Gradients that do not conflict are left alone: PCGrad is then the plain sum.
    h = torch.tensor([[1.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    assert torch.allclose(PCGradWeighting(2).coefficients(h @ h.t(), torch.ones(2)), torch.ones(2, dtype=torch.float64))
    assert torch.allclose(PCGradWeighting(2, reduction="mean").coefficients(h @ h.t(), torch.ones(2)),
                          torch.full((2,), 0.5, dtype=torch.float64))
