"""The MGDA min-norm solver against brute force, and ParetoGNN's gradient normalisers."""
import numpy as np
import pytest
import torch
from scipy.optimize import minimize

from graphssl.multitask.min_norm import gradient_normalizers, min_norm_two, min_norm_weights, normalize_gram


def _brute_force(m: np.ndarray) -> float:
    """min over the simplex of w^T M w: SLSQP from every vertex and the centre."""
    t = m.shape[0]
    best = np.inf
    starts = [np.eye(t)[i] for i in range(t)] + [np.full(t, 1.0 / t)]
    for w0 in starts:
        res = minimize(lambda w: w @ m @ w, w0, jac=lambda w: 2 * m @ w, method="SLSQP",
                       bounds=[(0, 1)] * t, constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}],
                       options={"ftol": 1e-14, "maxiter": 500})
        w = np.clip(res.x, 0, None)
        w /= w.sum()
        best = min(best, float(w @ m @ w))
    return best


@pytest.mark.parametrize("num_tasks", [2, 3, 4, 5, 6])
@pytest.mark.parametrize("dim", [3, 50])
def test_min_norm_matches_brute_force(num_tasks, dim):
    gen = torch.Generator().manual_seed(10 * num_tasks + dim)
    for trial in range(4):
        g = torch.randn(num_tasks, dim, generator=gen, dtype=torch.float64)
        if trial % 2:  # shared component: the optimum is interior; else often on a face
            g = g + 2.0 * torch.randn(1, dim, generator=gen, dtype=torch.float64)
        m = g @ g.t()
        w = min_norm_weights(m)
        assert w.shape == (num_tasks,) and w.dtype == torch.float64
        assert float(w.min()) >= 0.0 and float(w.sum()) == pytest.approx(1.0, abs=1e-12)
        ours = float(w @ m @ w)
        brute = _brute_force(m.numpy())
        assert ours <= brute + 1e-7 * max(1.0, brute)


def test_two_tasks_closed_form_against_a_dense_grid():
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        a, b = torch.randn(2, 4, generator=gen, dtype=torch.float64)
        gamma, cost = min_norm_two(float(a @ a), float(a @ b), float(b @ b))
        grid = torch.linspace(0, 1, 100001, dtype=torch.float64)
        vals = ((grid[:, None] * a + (1 - grid[:, None]) * b) ** 2).sum(1)
        assert cost == pytest.approx(float(vals.min()), abs=1e-8)
        assert gamma == pytest.approx(float(grid[vals.argmin()]), abs=1e-4)


def test_special_cases():
    # Identical gradients: any mixture; a descent direction of norm ||g||.
    g = torch.tensor([[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]], dtype=torch.float64)
    w = min_norm_weights(g @ g.t())
    assert float((w @ g).norm()) == pytest.approx(float(g[0].norm()))
    # Opposite gradients: Pareto-stationary, the min-norm point is 0.
    g = torch.tensor([[1.0, 0.0], [-2.0, 0.0]], dtype=torch.float64)
    w = min_norm_weights(g @ g.t())
    assert float((w @ g).norm()) == pytest.approx(0.0, abs=1e-12)
    assert w.tolist() == pytest.approx([2 / 3, 1 / 3])
    # One task: weight 1.
    assert min_norm_weights(torch.ones(1, 1)).tolist() == [1.0]
    # The combination is a common descent direction: <d, g_t> >= ||d||^2 for every task.
    gen = torch.Generator().manual_seed(5)
    g = torch.randn(5, 30, generator=gen, dtype=torch.float64)
    d = min_norm_weights(g @ g.t()) @ g
    assert bool(((g @ d) >= (d @ d) - 1e-8).all())


def test_bad_gram_raises():
    with pytest.raises(ValueError, match="square"):
        min_norm_weights(torch.ones(2, 3))
    with pytest.raises(ValueError, match="NaN or inf"):
        min_norm_weights(torch.tensor([[1.0, float("nan")], [float("nan"), 1.0]]))


def test_gradient_normalizers_follow_paretognn():
    g = torch.tensor([[3.0, 4.0], [0.0, 2.0]], dtype=torch.float64)
    gram = g @ g.t()
    losses = [2.0, 0.5]
    assert gradient_normalizers(gram, losses, "l2").tolist() == pytest.approx([5.0, 2.0])
    assert gradient_normalizers(gram, losses, "loss").tolist() == pytest.approx([2.0, 0.5])
    assert gradient_normalizers(gram, losses, "loss+").tolist() == pytest.approx([10.0, 1.0])
    assert gradient_normalizers(gram, losses, "none").tolist() == [1.0, 1.0]
    n = gradient_normalizers(gram, losses, "l2")
    gn = g / n[:, None]
    assert torch.allclose(normalize_gram(gram, n), gn @ gn.t())
    with pytest.raises(ValueError, match="loss is <= 0"):
        gradient_normalizers(gram, [-1.0, 1.0], "loss")
    with pytest.raises(ValueError, match="unknown gradient normalization"):
        gradient_normalizers(gram, losses, "max")
