"""Random-walk (GraphSAINT), local-cluster (PPR push) and cluster (partition) samplers."""
import numpy as np
import pytest
import torch

from graphssl.sampling import (ClusterSampler, LocalClusterSampler, RandomWalkSampler, Subgraph, partition_graph,
                               ppr_clusters, random_walks)
from graphssl.sparse import Graph

from sampling_reference import random_graph


def _check_induced(graph: Graph, sub: Subgraph) -> None:
    """The subgraph is exactly the induced one on each group of ``sub.nodes``."""
    ptr = sub.ptr.tolist() if sub.ptr is not None else [0, sub.nodes.numel()]
    nodes = sub.nodes.tolist()
    ei, _ = graph.to_edge_index()
    all_edges = ei.t().tolist()
    got = sub.graph.to_edge_index()[0].t().tolist()
    eids = sub.edge_ids.tolist()
    assert len(got) == len(eids)
    for (s, t), e in zip(got, eids):
        assert all_edges[e] == [nodes[s], nodes[t]]
        assert any(lo <= s < hi and lo <= t < hi for lo, hi in zip(ptr[:-1], ptr[1:]))
    expected = 0
    for lo, hi in zip(ptr[:-1], ptr[1:]):
        group = set(nodes[lo:hi])
        assert len(group) == hi - lo
        expected += sum(1 for s, t in all_edges if s in group and t in group)
    assert expected == len(got)


def test_random_walks_follow_edges_and_reproduce():
    g = random_graph(50, 200, 0)
    walks = random_walks(g, torch.arange(50), 4, torch.Generator().manual_seed(0))
    assert walks.shape == (50, 5) and torch.equal(walks[:, 0], torch.arange(50))
    edges = set(map(tuple, g.to_edge_index()[0].t().tolist()))
    deg = g.in_degree()
    for w in walks.tolist():
        for a, b in zip(w[:-1], w[1:]):
            assert (b, a) in edges or (deg[a] == 0 and a == b)
    again = random_walks(g, torch.arange(50), 4, torch.Generator().manual_seed(0))
    assert torch.equal(walks, again)


def test_random_walk_steps_are_uniform():
    from scipy.stats import chisquare

    dst = torch.zeros(4, dtype=torch.long)
    g = Graph.from_edge_index(torch.stack([torch.arange(1, 5), dst]), 5)
    w = random_walks(g, torch.zeros(4000, dtype=torch.long), 1, torch.Generator().manual_seed(1))
    assert chisquare(torch.bincount(w[:, 1], minlength=5)[1:].tolist()).pvalue > 1e-3


def test_random_walk_sampler_induces_the_visited_nodes():
    g = random_graph(80, 400, 1, undirected=True)
    s = RandomWalkSampler(g, walk_length=3, walks_per_root=2, seed=0)
    sub = s.sample(torch.tensor([0, 10, 20]))
    _check_induced(g, sub)
    assert torch.equal(sub.nodes[sub.roots], torch.tensor([0, 10, 20]))
    assert torch.equal(sub.nodes, torch.unique(sub.nodes))
    again = RandomWalkSampler(g, walk_length=3, walks_per_root=2, seed=0).sample(torch.tensor([0, 10, 20]))
    assert torch.equal(sub.nodes, again.nodes) and torch.equal(sub.graph.col, again.graph.col)


def _dense_ppr(g: Graph, seed: int, alpha: float) -> np.ndarray:
    a = g.to_dense().numpy()  # a[t, s]: the push walks from t to s
    deg = a.sum(1, keepdims=True)
    p = np.divide(a, deg, out=np.zeros_like(a), where=deg > 0)
    n = a.shape[0]
    e = np.zeros(n)
    e[seed] = 1
    return alpha * e @ np.linalg.inv(np.eye(n) - (1 - alpha) * p)


def test_ppr_clusters_match_exact_ppr_ranking():
    g = random_graph(40, 200, 2, undirected=True)
    g = g.subgraph(torch.arange(40))  # same graph, only to exercise a generic one
    deg = g.in_degree()
    seeds = torch.tensor([int(torch.argmax(deg)), 3])
    idx, val = ppr_clusters(g, seeds, cluster_size=6, alpha=0.2, eps=1e-7)
    for row, s in zip(idx.tolist(), seeds.tolist()):
        exact = _dense_ppr(g, s, 0.2)
        assert row[0] == s
        others = [i for i in np.argsort(-exact) if i != s and exact[i] > 0][:5]
        assert [i for i in row[1:] if i >= 0] == others
    assert torch.all(val[:, 1:-1] >= val[:, 2:])


def test_local_cluster_sampler_ego_graphs():
    g = random_graph(60, 300, 3, undirected=True)
    s = LocalClusterSampler(g, cluster_size=8, alpha=0.15, eps=1e-5)
    sub = s.sample(torch.tensor([1, 2, 3]))
    assert sub.ptr.numel() == 4 and torch.equal(sub.roots, sub.ptr[:-1])
    assert torch.equal(sub.nodes[sub.roots], torch.tensor([1, 2, 3]))
    assert int((sub.ptr[1:] - sub.ptr[:-1]).max()) <= 8
    _check_induced(g, sub)


def test_local_cluster_isolated_seed():
    g = Graph.from_edge_index(torch.tensor([[0, 1], [1, 0]]), 3)
    sub = LocalClusterSampler(g, cluster_size=4).sample(torch.tensor([2, 0]))
    assert sub.ptr.tolist() == [0, 1, 3] and sub.nodes.tolist() == [2, 0, 1]


@pytest.mark.parametrize("method", ["metis", "bfs", "random"])
def test_partition_methods(method):
    if method == "metis":
        pytest.importorskip("pymetis")
    g = random_graph(200, 800, 4, undirected=True)
    parts = partition_graph(g, 4, method=method, seed=0)
    assert parts.shape == (200,) and set(parts.tolist()) == {0, 1, 2, 3}
    assert torch.equal(parts, partition_graph(g, 4, method=method, seed=0))
    if method != "metis":
        assert torch.bincount(parts).tolist() == [50, 50, 50, 50]


def test_bfs_partition_cuts_fewer_edges_than_random():
    # a ring: contiguous arcs are the ideal parts
    n = 400
    ring = torch.stack([torch.arange(n), (torch.arange(n) + 1) % n])
    g = Graph.from_edge_index(ring, n).to_undirected()

    def cut(p):
        return int((p[g.col] != p[g.row()]).sum())
    assert cut(partition_graph(g, 8, "bfs", seed=1)) < cut(partition_graph(g, 8, "random", seed=1)) / 10


def test_partition_auto_without_pymetis_falls_back(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pymetis", None)  # makes `import pymetis` fail
    g = random_graph(50, 200, 5, undirected=True)
    assert torch.equal(partition_graph(g, 5, "auto", seed=3), partition_graph(g, 5, "spectral", seed=3))
    with pytest.raises(ImportError, match="pip install"):
        partition_graph(g, 5, "metis")


def test_cluster_sampler_unions_parts():
    g = random_graph(120, 600, 6, undirected=True)
    parts = partition_graph(g, 6, "random", seed=0)
    s = ClusterSampler(g, parts=parts)
    assert s.num_parts == 6 and torch.equal(s.default_items(), torch.arange(6))
    sub = s.sample(torch.tensor([4, 1]))
    expected = torch.cat([(parts == 4).nonzero().view(-1), (parts == 1).nonzero().view(-1)])
    assert torch.equal(sub.nodes, expected)
    _check_induced(g, sub)
    assert ClusterSampler(g, num_parts=3, method="bfs").sample(torch.tensor([0])).nodes.numel() == 40


def test_subgraph_sampler_errors():
    g = random_graph(20, 60, 7)
    with pytest.raises(ValueError, match="walk_length"):
        RandomWalkSampler(g, walk_length=-1)
    with pytest.raises(ValueError, match="out of range"):
        RandomWalkSampler(g).sample(torch.tensor([20]))
    with pytest.raises(ValueError, match="alpha"):
        LocalClusterSampler(g, alpha=1.5)
    with pytest.raises(ValueError, match="cluster_size"):
        LocalClusterSampler(g, cluster_size=0)
    with pytest.raises(ValueError, match="num_parts or parts"):
        ClusterSampler(g)
    with pytest.raises(ValueError, match="exceeds"):
        partition_graph(g, 21)
    with pytest.raises(ValueError, match="method"):
        partition_graph(g, 2, "kmeans")
    with pytest.raises(ValueError, match="parts must be"):
        ClusterSampler(g, parts=torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="duplicates"):
        ClusterSampler(g, 4, method="random").sample(torch.tensor([1, 1]))
