"""Feature checks and the `data` section of configs (`graphssl.transforms`)."""
from types import SimpleNamespace

import pytest
import torch

from graphssl.pipeline import pretrain_graph, pretrain_node
from graphssl.datasets.types import GraphDataset, GraphSample
from graphssl.sparse import Graph
from graphssl.transforms import check_features, prepare, row_normalize

RING = Graph.from_edge_index(torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]]), 4)


def test_prepare_normalises_rows_and_sets_one_self_loop_per_node():
    x = torch.tensor([[1.0, 3.0], [0.0, 0.0], [2.0, 2.0], [5.0, 0.0]])
    g, out = prepare(RING.add_self_loops(), x, {"normalize_features": True, "self_loops": True})
    assert torch.allclose(out, row_normalize(x)) and torch.allclose(out[[0, 2, 3]].sum(1), torch.ones(3))
    assert out[1].abs().sum() == 0  # an all-zero row stays zero
    src, dst = g.to_edge_index()[0]
    assert int((src == dst).sum()) == 4 and g.num_edges == 8
    with pytest.raises(ValueError, match="unknown data options"):
        prepare(RING, x, {"normalise_features": True})


@pytest.mark.parametrize("x, match", [
    (torch.randn(3, 2), r"must be \[4, F\]"),
    (torch.randn(4), r"must be \[4, F\]"),
    (torch.ones(4, 2, dtype=torch.long), "floating point"),
    ([[0.0]] * 4, "torch.Tensor"),
])
def test_check_features_names_the_problem(x, match):
    with pytest.raises(ValueError, match=match):
        check_features(x, 4)


def test_non_finite_features_are_counted_and_located():
    x = torch.zeros(4, 3)
    x[2, 1], x[3, 0] = float("nan"), float("inf")
    with pytest.raises(ValueError, match=r"hold 2 NaN/inf value\(s\); the first at node 2, feature 1 \(nan\)"):
        check_features(x, 4)
    assert check_features(torch.zeros(4, 3), 4) is not None


def test_pipelines_refuse_nan_features_before_training():
    x = torch.randn(4, 3)
    x[1, 2] = float("nan")
    mask = torch.tensor([True, True, False, False])
    ds = SimpleNamespace(graph=RING, x=x, y=torch.tensor([0, 1, 0, 1]), train_mask=mask, val_mask=~mask,
                         test_mask=~mask)
    with pytest.raises(ValueError, match="node features hold 1 NaN/inf"):
        pretrain_node(ds, "grace", {"train": {"epochs": 1}}, 0)
    samples = [GraphSample(RING, torch.randn(4, 3), torch.tensor(i % 2)) for i in range(3)]
    graphs = GraphDataset("toy", samples + [GraphSample(RING, x, torch.tensor(1))], num_classes=2, num_features=3)
    with pytest.raises(ValueError, match="node features of graph 3 hold 1 NaN/inf"):
        pretrain_graph(graphs, "graphcl", {"train": {"epochs": 1}}, 0)
