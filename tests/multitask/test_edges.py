"""Edge utilities: undirected pairs, removal in both directions, non-edge sampling."""
import pytest
import torch

from graphssl.multitask import filter_edges, pair_keys, remove_pairs, sample_non_edges, undirected_pairs
from graphssl.sparse import Graph


def _path(n=5):
    src = torch.arange(n - 1)
    return Graph.from_edge_index(torch.stack([src, src + 1]), n).to_undirected()


def test_undirected_pairs_lists_each_pair_once():
    g = Graph.from_edge_index(torch.tensor([[0, 1, 2, 2, 3], [1, 0, 1, 2, 0]]), 4)  # 2->2 is a self-loop
    assert undirected_pairs(g).t().tolist() == [[0, 1], [0, 3], [1, 2]]


def test_remove_pairs_drops_both_directions():
    g = _path()
    out = remove_pairs(g, torch.tensor([[2], [1]]))  # the pair {1, 2}, given in either order
    ei = out.to_edge_index()[0].t().tolist()
    assert [1, 2] not in ei and [2, 1] not in ei and out.num_edges == g.num_edges - 2
    assert remove_pairs(g, torch.empty(2, 0, dtype=torch.long)) is g
    with pytest.raises(ValueError, match="outside"):
        remove_pairs(g, torch.tensor([[0], [9]]))
    with pytest.raises(ValueError, match=r"\[2, P\]"):
        remove_pairs(g, torch.tensor([0, 1]))


def test_filter_edges_keeps_csr_order_and_weights():
    g = _path().with_value(torch.arange(8, dtype=torch.float32))
    keep = torch.tensor([True, False] * 4)
    out = filter_edges(g, keep)
    assert out.num_edges == 4 and out.value.tolist() == [0.0, 2.0, 4.0, 6.0]
    assert torch.equal(out.col, g.col[keep]) and torch.equal(out.row(), g.row()[keep])


def test_sampled_non_edges_are_not_edges():
    g = _path(30)
    exclude = torch.tensor([[0, 5], [10, 20]])
    neg = sample_non_edges(g, 500, torch.Generator().manual_seed(0), exclude=exclude)
    assert neg.shape == (2, 500) and bool((neg[0] != neg[1]).all())
    keys = pair_keys(neg[0], neg[1], 30)
    assert not bool(torch.isin(keys, pair_keys(g.col, g.row(), 30)).any())
    assert not bool(torch.isin(keys, pair_keys(exclude[0], exclude[1], 30)).any())
    again = sample_non_edges(g, 500, torch.Generator().manual_seed(0), exclude=exclude)
    assert torch.equal(neg, again)


def test_a_complete_graph_has_no_non_edge():
    full = Graph.from_edge_index(torch.combinations(torch.arange(4)).t(), 4).to_undirected()
    with pytest.raises(ValueError, match="too dense"):
        sample_non_edges(full, 3)
