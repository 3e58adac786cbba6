"""Hop distances against networkx."""
import networkx as nx
import pytest
import torch

from graphssl.multitask import hop_distances
from graphssl.sparse import Graph


def test_hop_distances_match_networkx():
    # 30 nodes, 25 random undirected edges: several components, so some distances are inf.
    edges = torch.randint(0, 30, (2, 25), generator=torch.Generator().manual_seed(3))
    g = Graph.from_edge_index(edges, 30).to_undirected().remove_self_loops()
    nxg = nx.Graph(g.to_edge_index()[0].t().tolist())
    nxg.add_nodes_from(range(30))
    sources = torch.tensor([0, 7, 21])
    d = hop_distances(g, sources)
    for i, s in enumerate(sources.tolist()):
        lengths = nx.single_source_shortest_path_length(nxg, s)
        expected = [float(lengths.get(v, float("inf"))) for v in range(30)]
        assert d[i].tolist() == expected
    with pytest.raises(ValueError, match="source ids"):
        hop_distances(g, torch.tensor([30]))
