"""logistic_regression: the fit against scikit-learn's, C chosen on validation only,
normalisation, determinism and bad inputs."""
import pytest
import torch
import torch.nn.functional as F

from graphssl.eval import DEFAULT_C_GRID, logistic_regression


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _data(n=400, d=16, k=4, seed=0):
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(0, k, (n,), generator=gen)
    x = torch.randn(n, d, generator=gen)
    x[torch.arange(n), y] += 1.0
    perm = torch.randperm(n, generator=gen)
    masks = [torch.zeros(n, dtype=torch.bool) for _ in range(3)]
    masks[0][perm[:80]] = True
    masks[1][perm[80:160]] = True
    masks[2][perm[160:]] = True
    return x, y, masks


def test_matches_sklearn_for_one_c():
    sk = pytest.importorskip("sklearn.linear_model")
    x, y, (tr, va, te) = _data()
    ours = logistic_regression(x, y, tr, va, te, c_grid=[0.5], max_iter=500, tol=1e-9)
    xn = F.normalize(x.double(), dim=1).numpy()
    ref = sk.LogisticRegression(C=0.5, max_iter=5000, tol=1e-10).fit(xn[tr.numpy()], y[tr].numpy())
    pred = torch.from_numpy(ref.predict(xn))
    assert ours.test_acc == pytest.approx(float((pred[te] == y[te]).double().mean()), abs=2e-3)
    assert ours.val_acc == pytest.approx(float((pred[va] == y[va]).double().mean()), abs=2e-3)


def test_c_is_chosen_on_validation_and_the_test_set_is_never_read_for_it():
    x, y, (tr, va, te) = _data()
    res = logistic_regression(x, y, tr, va, te, c_grid=[0.01, 1.0, 100.0])
    assert res.best_c in (0.01, 1.0, 100.0)
    y_noisy = y.clone()
    y_noisy[te] = (y[te] + 1) % 4  # wrong test labels change the test score, not the choice
    res2 = logistic_regression(x, y_noisy, tr, va, te, c_grid=[0.01, 1.0, 100.0])
    assert res2.best_c == res.best_c and res2.val_acc == res.val_acc and res2.test_acc != res.test_acc


def test_normalisation_and_determinism():
    x, y, (tr, va, te) = _data()
    a = logistic_regression(x, y, tr, va, te, c_grid=DEFAULT_C_GRID[8:12])
    b = logistic_regression(3.0 * x, y, tr, va, te, c_grid=DEFAULT_C_GRID[8:12])  # rows rescaled: same fit
    assert a == b
    assert a.train_acc > 0.5 and a.test_acc > 0.4


@pytest.mark.parametrize("change,msg", [
    (lambda x, y, m: (x[:, :1].view(-1), y, m), "embeddings"),
    (lambda x, y, m: (x, y[:10], m), "labels"),
    (lambda x, y, m: (x, y, [m[0].int(), m[1], m[2]]), "train_mask"),
    (lambda x, y, m: (x, y, [m[0], torch.zeros_like(m[1]), m[2]]), "selects no node"),
    (lambda x, y, m: (x * float("nan"), y, m), "NaN"),
    (lambda x, y, m: (x, torch.full_like(y, -1), m), "no label"),
])
def test_bad_inputs_raise(change, msg):
    x, y, masks = _data(n=200)
    x, y, masks = change(x, y, masks)
    with pytest.raises(ValueError, match=msg):
        logistic_regression(x, y, *masks)


def test_bad_grid_raises():
    x, y, masks = _data(n=200)
    with pytest.raises(ValueError, match="c_grid"):
        logistic_regression(x, y, *masks, c_grid=[])
    with pytest.raises(ValueError, match="c_grid"):
        logistic_regression(x, y, *masks, c_grid=[1.0, -2.0])
