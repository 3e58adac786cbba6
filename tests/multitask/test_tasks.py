"""Every pretext task: a finite loss that decreases over a few steps on Cora, and the
invariants each task relies on."""
import networkx as nx
import pytest
import torch

from graphssl.multitask import TASKS, MultiTask, build_task
from graphssl.multitask.tasks import (PARETOGNN_TASKS, SELFTASK_TASKS, LinkPrediction, cluster_centers,
                                      distance_buckets)
from graphssl.nn import build_encoder
from graphssl.sparse import Graph
from graphssl.train import Trainer

FAST = {"subgraph_mi": {"max_nodes": 256}, "pairwise_distance": {"num_anchors": 16},
        "pairwise_attr_sim": {"num_anchors": 64}}


def test_registry_holds_both_families():
    # (other subpackages register their own tasks too, e.g. the molecule pretext tasks)
    assert set(PARETOGNN_TASKS) | set(SELFTASK_TASKS) <= set(TASKS.names())


@pytest.mark.parametrize("name", sorted(set(PARETOGNN_TASKS) | set(SELFTASK_TASKS)))
def test_loss_is_finite_and_decreases_on_cora(cora, name):
    torch.manual_seed(0)
    enc = build_encoder("gcn", cora.x.size(1), 32, 16, num_layers=2)
    mt = MultiTask(enc, [{"name": name, **FAST.get(name, {})}], weighting="fixed", seed=0)
    losses = Trainer(mt, epochs=8, lr=0.01, progress=False, seed=0).fit(cora).losses
    assert all(torch.isfinite(torch.tensor(losses)))
    assert sum(losses[-2:]) / 2 < losses[0]


class _Spy(torch.nn.Module):
    """Wraps an encoder and records the graphs it is given."""

    def __init__(self, enc):
        super().__init__()
        self.enc, self.graphs = enc, []

    def forward(self, graph, x):
        self.graphs.append(graph)
        return self.enc(graph, x)


def test_link_prediction_holds_its_positives_out_of_the_message_graph(small):
    task = LinkPrediction(8, 8, pos_rate=0.25, max_pos=None)
    spy = _Spy(build_encoder("gcn", 8, 8, 8))
    task.loss(spy, small, torch.Generator().manual_seed(0))
    num_pairs = small.graph.num_edges // 2  # an undirected simple graph stores both directions
    assert spy.graphs[0].num_edges == small.graph.num_edges - 2 * int(0.25 * num_pairs)


def test_distance_buckets():
    d = torch.tensor([0.0, 1.0, 2.0, 3.0, 4.0, 7.0, float("inf")])
    assert distance_buckets(d, 4).tolist() == [-1, 0, 1, 2, 3, 3, 3]


def test_pairwise_distance_labels_match_networkx():
    g = Graph.from_edge_index(torch.tensor([[0, 1, 2, 3, 4], [1, 2, 3, 4, 5]]), 7).to_undirected()
    task = build_task({"name": "pairwise_distance", "num_anchors": 7}, 4, 4)
    anchors, per_class = task._build(g)
    nxg = nx.Graph(g.to_edge_index()[0].t().tolist())
    nxg.add_nodes_from(range(7))
    for c, flat in enumerate(per_class):
        for idx in flat.tolist():
            a, v = int(anchors[idx // 7]), idx % 7
            d = nx.shortest_path_length(nxg, a, v) if nx.has_path(nxg, a, v) else float("inf")
            assert min(d, 4) - 1 == c if d != float("inf") else c == 3


def test_cluster_centers_are_the_highest_degree_nodes():
    # A star on 0..3 (centre 0) and a path 4-5-6 (centre 5).
    g = Graph.from_edge_index(torch.tensor([[0, 0, 0, 4, 5], [1, 2, 3, 5, 6]]), 7).to_undirected()
    parts = torch.tensor([0, 0, 0, 0, 1, 1, 1])
    assert cluster_centers(g, parts, 2).tolist() == [0, 5]
    assert cluster_centers(g, parts, 3).tolist() == [0, 5, -1]
