"""The molecule Evaluator (OGB's official one, wrapped) agrees with scikit-learn on NaN-masked labels."""
import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from graphssl.molecules import MoleculeEvaluator, NoScorableTaskError, molecule_metric


def _labels(rng, n, t, missing=0.3):
    y = (rng.random((n, t)) < 0.3).astype(np.float64)
    y[rng.random((n, t)) < missing] = np.nan
    return y


def _reference(y, p, fn):
    scores = []
    for i in range(y.shape[1]):
        m = ~np.isnan(y[:, i])
        if len(np.unique(y[m, i])) == 2:
            scores.append(fn(y[m, i], p[m, i]))
    return float(np.mean(scores))


@pytest.mark.parametrize("backend", ["ogb", "sklearn"])
@pytest.mark.parametrize("name,tasks", [("tox21", 12), ("sider", 27), ("bbbp", 1), ("clintox", 2)])
def test_rocauc_matches_sklearn_on_masked_labels(backend, name, tasks):
    if backend == "ogb":
        pytest.importorskip("ogb")
    rng = np.random.default_rng(tasks)
    y, p = _labels(rng, 200, tasks), rng.normal(size=(200, tasks))
    y[:, 0] = np.where(np.isnan(y[:, 0]), np.nan, 1.0)  # task 0 has only positives: skipped
    ev = MoleculeEvaluator(name, backend=backend)
    assert ev.metric == "rocauc" and ev.backend == backend
    if tasks == 1:
        y[:5, 0] = 0.0  # keep one scorable task
    got = ev.eval(y, p)["rocauc"]
    assert got == pytest.approx(_reference(y, p, roc_auc_score), abs=1e-12)


@pytest.mark.parametrize("backend", ["ogb", "sklearn"])
def test_muv_uses_average_precision(backend):
    if backend == "ogb":
        pytest.importorskip("ogb")
    rng = np.random.default_rng(1)
    y, p = _labels(rng, 300, 17, missing=0.5), rng.normal(size=(300, 17))
    ev = MoleculeEvaluator("ogbg-molmuv", backend=backend)
    assert molecule_metric("muv") == "ap" and ev.metric == "ap"
    assert ev.eval(y, p)["ap"] == pytest.approx(_reference(y, p, average_precision_score), abs=1e-12)


def test_perfect_and_reversed_scores_torch_input():
    import torch
    y = torch.tensor([[1.0], [0.0], [float("nan")], [1.0], [0.0]])
    p = torch.tensor([[0.9], [0.1], [100.0], [0.8], [0.3]])  # the unlabelled row would break the order
    ev = MoleculeEvaluator("bace")
    assert ev.eval(y, p) == {"rocauc": 1.0} and ev.eval(y, -p) == {"rocauc": 0.0}


@pytest.mark.parametrize("backend", ["ogb", "sklearn"])
def test_no_scorable_task(backend):
    if backend == "ogb":
        pytest.importorskip("ogb")
    ev = MoleculeEvaluator("bbbp", backend=backend)
    with pytest.raises(NoScorableTaskError):
        ev.eval([[1.0], [1.0], [np.nan]], [[0.2], [0.3], [0.1]])
    assert np.isnan(ev.score([[1.0], [1.0]], [[0.2], [0.3]]))


def test_bad_input():
    ev = MoleculeEvaluator("tox21", backend="sklearn")
    with pytest.raises(ValueError, match="must both be"):
        ev.eval(np.zeros((4, 12)), np.zeros((4, 11)))
    with pytest.raises(ValueError, match="unknown molecule dataset"):
        MoleculeEvaluator("cora")
    with pytest.raises(ValueError, match="backend"):
        MoleculeEvaluator("bbbp", backend="torch")
