import pytest
import torch

from graphssl.eval import linear_probe, mean_std


def _masks(n, gen):
    perm = torch.randperm(n, generator=gen)
    masks = [torch.zeros(n, dtype=torch.bool) for _ in range(3)]
    masks[0][perm[: n // 5]] = True
    masks[1][perm[n // 5: 2 * n // 5]] = True
    masks[2][perm[2 * n // 5:]] = True
    return masks


def test_separable_embeddings_are_learned():
    gen = torch.Generator().manual_seed(0)
    y = torch.randint(0, 4, (400,), generator=gen)
    centers = torch.randn(4, 16, generator=gen) * 4
    emb = centers[y] + torch.randn(400, 16, generator=gen)
    res = linear_probe(emb, y, *_masks(400, gen), epochs=200)
    assert res.test_acc > 0.95 and 0 <= res.best_epoch < 200


def test_random_embeddings_stay_near_chance():
    gen = torch.Generator().manual_seed(1)
    y = torch.randint(0, 4, (800,), generator=gen)
    emb = torch.randn(800, 16, generator=gen)
    res = linear_probe(emb, y, *_masks(800, gen), epochs=100)
    assert res.test_acc < 0.4


def test_probe_is_deterministic_under_a_seed():
    gen = torch.Generator().manual_seed(2)
    y = torch.randint(0, 3, (200,), generator=gen)
    emb = torch.randn(200, 8, generator=gen)
    m = _masks(200, gen)
    assert linear_probe(emb, y, *m, seed=3) == linear_probe(emb, y, *m, seed=3)


def test_bad_inputs_name_the_problem():
    y = torch.zeros(10, dtype=torch.long)
    m = torch.ones(10, dtype=torch.bool)
    with pytest.raises(ValueError, match="embeddings must be"):
        linear_probe(torch.zeros(10), y, m, m, m)
    with pytest.raises(ValueError, match="NaN"):
        linear_probe(torch.full((10, 2), float("nan")), y, m, m, m)
    with pytest.raises(ValueError, match="selects no node"):
        linear_probe(torch.zeros(10, 2), y, m, m, torch.zeros(10, dtype=torch.bool))
    with pytest.raises(ValueError, match="no label"):
        linear_probe(torch.zeros(10, 2), torch.full((10,), -1), m, m, m)


def test_mean_std():
    assert mean_std([1.0, 3.0]) == (2.0, 1.0)
    with pytest.raises(ValueError):
        mean_std([])
