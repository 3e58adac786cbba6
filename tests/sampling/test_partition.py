"""partition_graph's METIS and spectral methods on planted blocks, and edge_cut."""
import pytest
import torch

from graphssl.sampling import edge_cut, partition_graph
from graphssl.sampling import partition as partition_module
from graphssl.sparse import Graph

def _planted(num_blocks=4, size=30, p_in=0.3, p_out=0.01, seed=0):
    """A graph of dense blocks with few edges between them."""
    gen = torch.Generator().manual_seed(seed)
    n = num_blocks * size
    block = torch.arange(n) // size
    prob = torch.where(block[:, None] == block[None, :], p_in, p_out)
    adj = torch.triu(torch.rand(n, n, generator=gen) < prob, 1)
    return Graph.from_edge_index(adj.nonzero().t(), n).to_undirected(), block


@pytest.mark.parametrize("method", ["metis", "spectral"])
def test_partitions_are_valid_balanced_and_cut_few_edges(method):
    if method == "metis":
        pytest.importorskip("pymetis")
    g, block = _planted()
    parts = partition_graph(g, 4, method=method, seed=0)
    assert parts.shape == (120,) and parts.dtype == torch.int64
    assert sorted(torch.unique(parts).tolist()) == [0, 1, 2, 3]
    assert int(torch.bincount(parts).max()) <= 1.2 * 30
    rand_cut = edge_cut(g, torch.randint(0, 4, (120,), generator=torch.Generator().manual_seed(1)))
    assert edge_cut(g, parts) < 0.3 * rand_cut
    assert torch.equal(parts, partition_graph(g, 4, method=method, seed=0))  # seeded


def test_fallback_handles_more_components_than_parts():
    src = torch.arange(0, 20, 2)
    g = Graph.from_edge_index(torch.stack([src, src + 1]), 20).to_undirected()  # 10 components of 2 nodes
    parts = partition_graph(g, 3, "spectral", seed=0)
    counts = torch.bincount(parts, minlength=3)
    assert bool((counts > 0).all()) and int(counts.max()) <= 7  # ceil(1.05 * 20 / 3)


def test_partition_errors():
    g, _ = _planted(num_blocks=1, size=5)
    with pytest.raises(ValueError, match="exceeds the number of nodes"):
        partition_graph(g, 6)
    with pytest.raises(ValueError, match="method must be one of"):
        partition_graph(g, 2, method="spectral2")
    with pytest.raises(ValueError, match="labels must have shape"):
        edge_cut(g, torch.zeros(4, dtype=torch.long))
    assert partition_graph(g, 1).tolist() == [0] * 5


def test_auto_falls_back_without_pymetis(monkeypatch):
    import sys

    g, _ = _planted()
    monkeypatch.setitem(sys.modules, "pymetis", None)  # makes `import pymetis` fail
    assert torch.equal(partition_graph(g, 4, seed=2), partition_graph(g, 4, "spectral", seed=2))
    monkeypatch.setattr(partition_module, "_SPECTRAL_MAX_PARTS", 3)  # many parts: breadth-first
    assert torch.equal(partition_graph(g, 4, seed=2), partition_graph(g, 4, "bfs", seed=2))
    with pytest.raises(ImportError, match="pip install graphssl\\[metis\\]"):
        partition_graph(g, 4, "metis")
