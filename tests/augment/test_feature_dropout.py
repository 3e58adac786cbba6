"""dropout_features / FeatureDropout: keeps each entry with probability 1 - p and preserves
the expectation (PyGCL's FeatureDropout keeps with probability p instead)."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from augment_graphs import gen, random_graph
from graphssl.augment import FeatureDropout, dropout_features


@pytest.mark.parametrize("p", [0.1, 0.2, 0.5, 0.8])
def test_keep_rate_is_one_minus_p(p):
    x = torch.ones(400, 250)
    xd, keep = dropout_features(x, p, generator=gen(0))
    assert abs(float(keep.float().mean()) - (1 - p)) < 0.01
    # kept entries are scaled by 1 / (1 - p), dropped ones are 0
    assert torch.allclose(xd[keep], torch.full_like(xd[keep], 1 / (1 - p)))
    assert bool((xd[~keep] == 0).all())


@pytest.mark.parametrize("p", [0.2, 0.7])
def test_expectation_is_preserved(p):
    x = torch.randn(8, 6, generator=gen(1))
    total = torch.zeros_like(x)
    draws = 4000
    g = gen(2)
    for _ in range(draws):
        total += dropout_features(x, p, generator=g)[0]
    # standard error per entry: |x| sqrt(p / (1 - p) / draws)
    se = x.abs() * (p / (1 - p) / draws) ** 0.5
    assert bool(((total / draws - x).abs() <= 5 * se + 1e-6).all())


def test_augmenter_matches_function_and_is_deterministic():
    g = random_graph(10, 20, 0)
    x = torch.randn(10, 30)
    _, a = FeatureDropout(0.3)(g, x, gen(5))
    b, _ = dropout_features(x, 0.3, generator=gen(5))
    _, c = FeatureDropout(0.3)(g, x, gen(6))
    assert torch.equal(a, b) and not torch.equal(a, c)


@settings(max_examples=20, deadline=None)
@given(p=st.floats(0, 0.95), seed=st.integers(0, 10 ** 6))
def test_values_are_zero_or_scaled(p, seed):
    x = torch.randn(7, 5, generator=gen(seed))
    xd, keep = dropout_features(x, p, generator=gen(seed))
    assert torch.allclose(xd, torch.where(keep, x / (1 - p), torch.zeros_like(x)))


def test_training_flag_and_errors():
    x = torch.randn(3, 4)
    same, keep = dropout_features(x, 0.5, training=False)
    assert same is x and bool(keep.all())
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\)"):
        dropout_features(x, 1.0)
    with pytest.raises(ValueError, match="floating-point"):
        dropout_features(torch.ones(3, dtype=torch.long), 0.5)
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\)"):
        FeatureDropout(-0.5)
