"""Node classification, partition prediction, and the four tasks with their means."""
import pytest
import torch

from graphssl.eval import (evaluate_downstream, harmonic_mean, node_classification, parse_tasks,
                           partition_prediction, split_edges)
from graphssl.sparse import Graph


def _blocks(num_blocks=3, size=40, seed=0):
    """Dense blocks with few edges between them, embeddings that reveal the block."""
    gen = torch.Generator().manual_seed(seed)
    n = num_blocks * size
    y = torch.arange(n) // size
    prob = torch.where(y[:, None] == y[None, :], 0.25, 0.005)
    adj = torch.triu(torch.rand(n, n, generator=gen) < prob, 1)
    g = Graph.from_edge_index(adj.nonzero().t(), n).to_undirected()
    emb = torch.eye(num_blocks)[y] * 3 + 0.5 * torch.randn(n, num_blocks, generator=gen)
    return g, y, emb


def test_harmonic_mean_and_task_names():
    assert harmonic_mean([0.5, 1.0]) == pytest.approx(2 / 3)
    assert harmonic_mean([0.9, 0.0]) == 0.0
    assert parse_tasks("all") == ("node_classification", "node_clustering", "link_prediction", "partition_prediction")
    assert parse_tasks("link_prediction, node_clustering") == ("link_prediction", "node_clustering")
    with pytest.raises(ValueError, match="bad downstream tasks"):
        parse_tasks("node_regression")


def test_node_classification_on_separable_embeddings():
    _, y, emb = _blocks()
    res = node_classification(emb, y, num_splits=2, c_grid=(1.0, 10.0, 100.0))
    assert res["acc"] > 0.95 and set(res) == {"acc", "std", "val_acc"}
    y2 = y.clone()
    y2[:10] = -1
    assert node_classification(emb, y2, num_splits=1, c_grid=(1.0, 10.0))["acc"] > 0.9  # unlabelled nodes left out
    with pytest.raises(ValueError, match="disagree"):
        node_classification(emb[:5], y)


def test_partition_prediction_learns_the_blocks():
    g, _, emb = _blocks()
    res = partition_prediction(emb, g, num_parts=3, num_splits=2, c_grid=(1.0, 10.0, 100.0))
    assert res["acc"] > 0.9


def test_all_four_tasks_and_their_means():
    g, y, emb = _blocks()
    split = split_edges(g, seed=0)
    res = evaluate_downstream(emb, g, y, "all", link_embeddings=emb, edge_split=split, num_splits=2,
                              clustering_seeds=(0,), num_parts=3, probe_options={"c_grid": (0.1, 1.0, 10.0)},
                              link_options={"epochs": 50})
    heads = [res["node_classification_acc"], res["node_clustering_nmi"], res["link_prediction_auc"],
             res["partition_prediction_acc"]]
    assert all(0.0 <= v <= 1.0 for v in heads)
    assert res["mean"] == pytest.approx(sum(heads) / 4)
    assert res["harmonic_mean"] == pytest.approx(4 / sum(1 / v for v in heads))
    assert res["harmonic_mean"] <= res["mean"] and res["link_prediction_edges_seen"] is False
    only = evaluate_downstream(emb, g, y, "node_clustering", clustering_seeds=(0,))
    assert only["mean"] == only["harmonic_mean"] == only["node_clustering_nmi"]
    with pytest.raises(ValueError, match="need node labels"):
        evaluate_downstream(emb, g, None, "node_classification")
