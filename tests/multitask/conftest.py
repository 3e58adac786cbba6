"""Fixtures of the multi-task tests: a small random graph and Cora."""
import pytest
import torch

from graphssl.sparse import Graph


class NodeData:
    """A (graph, features) pair, the input of a multi-task step."""

    def __init__(self, graph, x):
        self.graph, self.x = graph, x


def random_graph(num_nodes: int = 40, num_edges: int = 120, num_features: int = 8, seed: int = 0) -> NodeData:
    gen = torch.Generator().manual_seed(seed)
    ei = torch.randint(0, num_nodes, (2, num_edges), generator=gen)
    ei = ei[:, ei[0] != ei[1]]
    g = Graph.from_edge_index(ei, num_nodes).to_undirected()
    return NodeData(g, torch.randn(num_nodes, num_features, generator=gen))


@pytest.fixture
def small():
    return random_graph()


@pytest.fixture(scope="session")
def cora(data_root):
    """Cora's graph with its 256 most frequent bag-of-words features (keeps steps fast)."""
    from graphssl.datasets import load_dataset
    ds = load_dataset("cora", root=data_root)
    top = ds.x.sum(0).argsort(descending=True)[:256]
    return NodeData(ds.graph, ds.x[:, top].contiguous())
