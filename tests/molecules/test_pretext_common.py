"""Shared pieces of the molecule pretext tasks: per-graph sampling, reverse edges, BFS."""
import pytest
import torch
from hypothesis import given, settings, strategies as st

from mol_pretext_toys import bfs, molecule_batch

from graphssl.molecules.pretext.common import (bond_edges, hop_distances, induced_batch, per_graph_counts,
                                               reverse_edges, sample_per_group)


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(0, 9), min_size=1, max_size=6), ks=st.lists(st.integers(0, 12), min_size=6,
                                                                             max_size=6), seed=st.integers(0, 99))
def test_sample_per_group_counts_and_distinct(sizes, ks, seed):
    group = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
    group = group[torch.randperm(group.numel(), generator=torch.Generator().manual_seed(seed))]
    k = torch.tensor(ks[:len(sizes)])
    pick = sample_per_group(group, k, torch.Generator().manual_seed(seed))
    assert pick.unique().numel() == pick.numel()
    got = torch.bincount(group[pick], minlength=len(sizes))
    assert got.tolist() == torch.minimum(k, torch.tensor(sizes)).tolist()


def test_sample_per_group_is_seeded_and_uniform():
    group = torch.zeros(5, dtype=torch.long)
    a = sample_per_group(group, torch.tensor([2]), torch.Generator().manual_seed(3))
    b = sample_per_group(group, torch.tensor([2]), torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    gen = torch.Generator().manual_seed(0)
    hits = torch.zeros(5)
    for _ in range(1000):
        hits[sample_per_group(group, torch.tensor([1]), gen)] += 1
    assert (hits / 1000 - 0.2).abs().max() < 0.05


def test_per_graph_counts():
    sizes = torch.tensor([0, 1, 3, 7, 20])
    assert per_graph_counts(sizes, 0.15, plus_one=True).tolist() == [0, 1, 1, 2, 4]  # Hu et al.: int(0.15 n + 1)
    assert per_graph_counts(sizes, 0.15).tolist() == [0, 1, 1, 1, 3]


def test_reverse_edges_and_bonds():
    b = molecule_batch()
    g = b.graph
    rev = reverse_edges(g)
    assert torch.equal(g.col[rev], g.row()) and torch.equal(g.row()[rev], g.col)
    assert torch.equal(b.edge_attr[rev], b.edge_attr)  # both directions carry the bond's features
    assert bond_edges(g).numel() * 2 == g.num_edges


def test_hop_distances_match_python_bfs():
    b = molecule_batch()
    centers = b.ptr[:-1] + (b.num_nodes_per_graph() - 1) // 2
    d = hop_distances(b.graph, centers, 3)
    for c in centers.tolist():
        ref = bfs(b.graph, c)
        for node, hops in ref.items():
            assert int(d[node]) == (hops if hops <= 3 else -1)


def test_induced_batch_keeps_graph_ids_and_attributes():
    b = molecule_batch()
    keep = torch.arange(b.num_nodes) % 3 != 0
    sub, nodes = induced_batch(b, keep)
    assert sub.num_graphs == b.num_graphs and torch.equal(sub.batch, b.batch[keep])
    g, sg = b.graph, sub.graph
    orig = {(int(s), int(t)): tuple(a) for s, t, a in zip(g.col, g.row(), b.edge_attr.tolist())}
    for s, t, a in zip(sg.col.tolist(), sg.row().tolist(), sub.edge_attr.tolist()):
        assert orig[(int(nodes[s]), int(nodes[t]))] == tuple(a)
    assert int(sub.edge_ptr[-1]) == sg.num_edges


def test_check_rejects_float_features():
    from graphssl.molecules.pretext.common import check_molecules
    b = molecule_batch()
    b.x = b.x.float()
    with pytest.raises(ValueError, match="int64 atom codes"):
        check_molecules(b)
