"""Node centralities against networkx, and GCA's drop probabilities."""
import pytest
import torch

from augment_graphs import random_graph
from graphssl.augment import (degree_centrality, edge_drop_probabilities, eigenvector_centrality,
                              node_centrality, pagerank_centrality)
from graphssl.sparse import Graph


def _nx(g: Graph):
    nx = pytest.importorskip("networkx")
    h = nx.DiGraph()
    h.add_nodes_from(range(g.num_nodes))
    ei, _ = g.to_edge_index()
    h.add_edges_from(ei.t().tolist())
    return nx, h


def test_degree_is_in_degree():
    g = random_graph(30, 90, 0).coalesce()
    assert torch.equal(degree_centrality(g), g.in_degree().float())


def test_pagerank_matches_networkx():
    g = random_graph(60, 200, 1).coalesce()
    nx, h = _nx(g)
    ref = nx.pagerank(h, alpha=0.85, tol=1e-12, max_iter=1000)
    pr = pagerank_centrality(g, 0.85, num_iterations=500, tol=1e-12)
    assert torch.allclose(pr, torch.tensor([ref[i] for i in range(60)]), atol=1e-5)
    assert abs(float(pr.sum()) - 1) < 1e-5


def test_eigenvector_matches_networkx():
    g = random_graph(50, 200, 2, undirected=True).coalesce().remove_self_loops()
    nx, h = _nx(g)
    ref = nx.eigenvector_centrality(h, max_iter=1000, tol=1e-10)
    ev = eigenvector_centrality(g, num_iterations=1000, tol=1e-10)
    assert torch.allclose(ev, torch.tensor([ref[i] for i in range(50)], dtype=torch.float32), atol=1e-4)


def test_cache_and_errors():
    g = random_graph(10, 30, 3)
    assert node_centrality(g, "pagerank") is node_centrality(g, "pagerank")
    with pytest.raises(ValueError, match="unknown centrality 'betweenness'"):
        node_centrality(g, "betweenness")
    with pytest.raises(ValueError, match=r"damping must lie in \[0, 1\)"):
        pagerank_centrality(g, damping=1.0)
    block = Graph.from_edge_index(torch.tensor([[0], [0]]), 1, num_src_nodes=3)
    with pytest.raises(ValueError, match="square"):
        pagerank_centrality(block)
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\]"):
        edge_drop_probabilities(g, 1.5)


def test_gca_formula():
    g = random_graph(40, 160, 4, undirected=True)
    c = degree_centrality(g).double()
    s = torch.log(c[g.row()])
    w = (s.max() - s) / (s.max() - s.mean())
    ref = (w / w.mean() * 0.3).clamp(max=0.7)
    assert torch.allclose(edge_drop_probabilities(g, 0.3, "degree", 0.7), ref.float(), atol=1e-6)
