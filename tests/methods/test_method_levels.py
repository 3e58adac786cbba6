"""Methods declare what they embed (nodes, graphs or both); the pipelines refuse a dataset
of the other level before training, and a graph run whose embeddings are per node."""
import pytest
import torch

from graphssl.datasets import GraphDataset, GraphSample
from graphssl.methods import GRACE, check_level
from graphssl.pipeline import pretrain_graph, pretrain_node
from graphssl.sparse import Graph


def test_a_node_method_on_graph_data_names_the_graph_methods():
    with pytest.raises(ValueError, match="'grace' embeds nodes only, and this is a graph-classification") as e:
        check_level("grace", "graph")
    listed = str(e.value).split("methods that embed graphs: ")[1].split(", ")
    assert {"graphcl", "infograph", "graphmae", "mvgrl"} <= set(listed)
    assert not {"grace", "dgi", "bgrl", "cca_ssg", "paretognn"} & set(listed)


def test_a_graph_method_on_node_data_names_the_node_methods():
    with pytest.raises(ValueError, match="'infograph' embeds graphs only, and this is a node-classification") as e:
        check_level("infograph", "node")
    listed = str(e.value).split("methods that embed nodes: ")[1].split(", ")
    assert {"grace", "dgi", "graphmae", "mvgrl"} <= set(listed) and "graphcl" not in listed


@pytest.mark.parametrize("name", ["graphmae", "graphmae2", "mvgrl", "multitask"])
def test_methods_of_both_levels_pass(name):
    check_level(name, "node")
    check_level(name, "graph")


def test_pipelines_check_the_level_before_touching_the_data():
    with pytest.raises(ValueError, match="'graphcl' embeds graphs only"):
        pretrain_node(object(), "graphcl", {}, seed=0)
    with pytest.raises(ValueError, match="'dgi' embeds nodes only"):
        pretrain_graph([], "dgi", {}, seed=0)


def test_pretrain_graph_refuses_per_node_embeddings(monkeypatch):
    # A method that claims both levels but embeds nodes: the graph pipeline stops at the
    # embeddings with their shape instead of failing inside the SVM.
    monkeypatch.setattr(GRACE, "levels", ("node", "graph"))
    gen = torch.Generator().manual_seed(0)
    items = []
    for i, n in enumerate((5, 6, 7, 5, 6, 7)):
        ring = torch.stack([torch.arange(n), (torch.arange(n) + 1) % n])
        items.append(GraphSample(Graph.from_edge_index(torch.cat([ring, ring.flip(0)], 1), n),
                                 torch.rand(n, 4, generator=gen), torch.tensor(i % 2)))
    rings = GraphDataset("rings", items, num_classes=2, num_features=4)
    cfg = {"method": {"hidden_dim": 8, "out_dim": 4, "proj_dim": 4}, "train": {"epochs": 1}, "data": {"batch_size": 3}}
    with pytest.raises(ValueError, match=r"returned embeddings of shape \(36, 4\) for 6 graphs: it embeds nodes"):
        pretrain_graph(rings, "grace", cfg, seed=0)
