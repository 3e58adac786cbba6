"""MGDA on toy problems with conflicting objectives reaches a Pareto-stationary point,
trained through graphssl's Trainer (the manual-backward hook)."""
import pytest
import torch
from torch import nn

from graphssl.multitask import MultiTask, PretextTask, min_norm_weights
from graphssl.sparse import Graph
from graphssl.train import Trainer


class Point(nn.Module):
    """A 'shared encoder' that is just a point in the plane."""

    def __init__(self, start):
        super().__init__()
        self.theta = nn.Parameter(torch.tensor(start, dtype=torch.float64))


class Quadratic(PretextTask):
    """||theta - target||^2 (times a scale): tasks with different targets conflict."""

    def __init__(self, target, scale=1.0, name="q"):
        super().__init__()
        self.target, self.scale, self.name = torch.tensor(target, dtype=torch.float64), scale, name

    def loss(self, encoder, data, generator=None):
        return self.scale * ((encoder.theta - self.target) ** 2).sum()


class _Data:
    graph = Graph.empty(1)
    x = torch.zeros(1, 1)


def _train(targets, weighting, scales=None, epochs=300, lr=0.02, start=(3.0, 2.5)):
    scales = scales or [1.0] * len(targets)
    tasks = [Quadratic(t, s, f"q{i}") for i, (t, s) in enumerate(zip(targets, scales))]
    mt = MultiTask(Point(list(start)), tasks, weighting=weighting, in_dim=1, emb_dim=1)
    Trainer(mt, epochs=epochs, lr=lr, optimizer="sgd", progress=False).fit(_Data())
    theta = mt.encoder.theta.detach()
    grads = torch.stack([2 * s * (theta - torch.tensor(t, dtype=torch.float64)) for t, s in zip(targets, scales)])
    w = min_norm_weights(grads @ grads.t())
    return theta, float((w @ grads).norm())


@pytest.mark.parametrize("normalization", ["none", "l2"])
def test_two_conflicting_tasks_reach_the_pareto_set(normalization):
    a, b = (0.0, 0.0), (2.0, 0.0)
    theta, stationarity = _train([a, b], {"name": "mgda", "normalization": normalization}, scales=[1.0, 4.0])
    assert stationarity < 1e-3  # no common descent direction is left
    assert abs(float(theta[1])) < 1e-3 and -1e-3 <= float(theta[0]) <= 2.0 + 1e-3  # on the segment [a, b]


def test_three_tasks_stop_inside_the_triangle():
    targets = [(0.0, 0.0), (2.0, 0.0), (0.0, 2.0)]
    theta, stationarity = _train(targets, "mgda", start=(4.0, 4.0))
    assert stationarity < 1e-3
    x, y = float(theta[0]), float(theta[1])
    assert x >= -1e-3 and y >= -1e-3 and x + y <= 2.0 + 1e-3  # the Pareto set: the convex hull


def test_fixed_weights_find_the_weighted_mean_instead():
    theta, _ = _train([(0.0, 0.0), (2.0, 0.0)], {"name": "fixed", "weights": [1.0, 3.0]}, lr=0.05)
    assert theta.tolist() == pytest.approx([1.5, 0.0], abs=1e-4)


def test_pcgrad_reaches_the_pareto_set():
    theta, stationarity = _train([(0.0, 0.0), (2.0, 0.0)], "pcgrad", lr=0.01, epochs=600)
    assert stationarity < 1e-2
    assert abs(float(theta[1])) < 1e-2
