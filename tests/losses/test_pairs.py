import pytest
import torch

from graphssl.losses import PairIndex, positive_pairs
from graphssl.sparse import Graph


def test_pairs_are_sorted_unique_with_anchor_pointers():
    p = positive_pairs(torch.tensor([[2, 0, 2, 2], [1, 3, 0, 1]]), num_anchors=4, num_samples=5)
    assert p.anchor.tolist() == [0, 2, 2] and p.sample.tolist() == [3, 0, 1]
    assert p.rowptr.tolist() == [0, 1, 1, 3, 3] and p.counts().tolist() == [1, 0, 2, 0]
    t = p.transpose()
    assert (t.num_anchors, t.num_samples) == (5, 4)
    assert t.anchor.tolist() == [0, 1, 3] and t.sample.tolist() == [2, 2, 0]


def test_the_three_forms_agree_on_the_identity():
    idx = torch.arange(5)
    forms = [None, torch.stack([idx, idx]).int(), Graph.from_edge_index(torch.stack([idx, idx]), 5)]
    for f in forms:
        p = positive_pairs(f, 5, 5)
        assert p.anchor.tolist() == idx.tolist() and p.sample.tolist() == idx.tolist()


def test_graph_edge_source_is_the_anchor():
    g = Graph.from_edge_index(torch.tensor([[4, 0], [1, 2]]), num_nodes=3, num_src_nodes=5)
    p = positive_pairs(g, 5, 3)
    assert list(zip(p.anchor.tolist(), p.sample.tolist())) == [(0, 2), (4, 1)]
    assert isinstance(p, PairIndex) and "num_pairs=2" in repr(p)


@pytest.mark.parametrize("pos, sizes, match", [
    (None, (3, 4), "index-aligned"),
    (torch.tensor([[0, -1], [0, 0]]), (3, 3), "negative"),
    (torch.tensor([[0, 3], [0, 0]]), (3, 3), "anchor index 3"),
    (torch.tensor([[0, 0], [0, 3]]), (3, 3), "sample index 3"),
    (torch.tensor([0, 1]), (3, 3), r"\[2, P\]"),
    (torch.tensor([[True], [False]]), (3, 3), "integer"),
    (Graph.empty(4), (3, 3), "positive graph"),
    (torch.zeros(2, 0, dtype=torch.long), (3, 3), "no positive"),
    ("all", (3, 3), "pos must be"),
])
def test_bad_positives(pos, sizes, match):
    with pytest.raises(ValueError, match=match):
        positive_pairs(pos, *sizes)
