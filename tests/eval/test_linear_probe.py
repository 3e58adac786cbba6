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


def _manual_last_epoch_accuracy(emb, y, masks, epochs, gen):
    """A classifier initialised as the probe does, trained ``epochs`` steps: its final test accuracy."""
    tr, _, te = masks
    lin = torch.nn.Linear(emb.size(1), int(y.max()) + 1)
    with torch.no_grad():
        bound = 1.0 / emb.size(1) ** 0.5
        lin.weight.copy_(torch.rand(lin.weight.shape, generator=gen) * 2 * bound - bound)
        lin.bias.copy_(torch.rand(lin.bias.shape, generator=gen) * 2 * bound - bound)
    opt = torch.optim.Adam(lin.parameters(), lr=0.01, weight_decay=0.0)
    for _ in range(epochs):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(lin(emb[tr]), y[tr]).backward()
        opt.step()
    with torch.no_grad():
        return float((lin(emb[te]).argmax(1) == y[te]).float().mean())


def test_last_epoch_selection_averaged_over_classifiers_matches_a_manual_loop():
    # DGI's protocol: the last epoch's test accuracy of several classifiers, averaged
    gen = torch.Generator().manual_seed(4)
    y = torch.randint(0, 3, (300,), generator=gen)
    emb = torch.randn(3, 8, generator=gen)[y] + 1.5 * torch.randn(300, 8, generator=gen)
    masks = _masks(300, gen)
    res = linear_probe(emb, y, *masks, epochs=30, weight_decay=0.0, seed=5, select="last", repeats=3)
    init = torch.Generator().manual_seed(5)
    manual = [_manual_last_epoch_accuracy(emb, y, masks, 30, init) for _ in range(3)]
    assert res.best_epoch == 29
    assert res.test_acc == pytest.approx(sum(manual) / 3, abs=1e-6)
    assert len(set(manual)) > 1 or manual[0] in (0.0, 1.0)  # the repeats are distinct classifiers
    one = linear_probe(emb, y, *masks, epochs=30, weight_decay=0.0, seed=5, select="last")
    assert one.test_acc == pytest.approx(manual[0], abs=1e-6)


@pytest.mark.parametrize("kw, match", [({"select": "best_test"}, "unknown probe select"),
                                       ({"repeats": 0}, "repeats must be >= 1, got 0"),
                                       ({"epochs": 0}, "epochs must be >= 1, got 0")])
def test_bad_selection_options(kw, match):
    y = torch.tensor([0, 1] * 5)
    m = torch.ones(10, dtype=torch.bool)
    with pytest.raises(ValueError, match=match):
        linear_probe(torch.randn(10, 2), y, m, m, m, **kw)


def test_mean_std():
    assert mean_std([1.0, 3.0]) == (2.0, 1.0)
    with pytest.raises(ValueError):
        mean_std([])
