"""add_feature_noise / FeatureNoise: Gaussian noise with the requested standard deviation."""
import pytest
import torch

from augment_graphs import gen, random_graph
from graphssl.augment import FeatureNoise, add_feature_noise


def test_noise_statistics():
    x = torch.randn(300, 300)
    xn, noise = add_feature_noise(x, 0.5, generator=gen(0))
    assert torch.allclose(xn - x, noise, atol=1e-6)
    assert abs(float(noise.mean())) < 0.01 and abs(float(noise.std()) - 0.5) < 0.01


def test_determinism_training_dtype_and_errors():
    g = random_graph(5, 10, 0)
    x = torch.zeros(5, 3, dtype=torch.float64)
    _, a = FeatureNoise(0.1)(g, x, gen(1))
    _, b = FeatureNoise(0.1)(g, x, gen(1))
    _, c = FeatureNoise(0.1)(g, x, gen(2))
    assert a.dtype == torch.float64 and torch.equal(a, b) and not torch.equal(a, c)
    same, noise = add_feature_noise(x, 0.1, training=False)
    assert same is x and not bool(noise.any())
    with pytest.raises(ValueError, match="std must be >= 0"):
        FeatureNoise(-1.0)
    with pytest.raises(ValueError, match="floating-point"):
        add_feature_noise(torch.ones(2, dtype=torch.long), 0.1)
