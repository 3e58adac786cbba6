"""graphssl/rec/user_items.py and data.py: per-user item sets, splits, slices, validation hold-out."""
import pytest
import torch

from graphssl.datasets import InteractionDataset
from graphssl.rec import InteractionData, UserItems


def test_user_items_from_pairs_sorts_and_dedups():
    s = UserItems.from_pairs(torch.tensor([2, 0, 2, 0, 2]), torch.tensor([5, 1, 3, 1, 0]), 4, 6)
    assert s.rowptr.tolist() == [0, 1, 1, 4, 4]
    assert s.items.tolist() == [1, 0, 3, 5]
    assert s.degree().tolist() == [1, 0, 3, 0]
    assert s.row(2).tolist() == [0, 3, 5]
    assert s.contains(torch.tensor([0, 0, 2, 3]), torch.tensor([1, 2, 5, 0])).tolist() == [True, False, True, False]
    assert s.contains(torch.tensor([[2], [1]]), torch.tensor([[0, 3, 4]])).tolist() == [[True, True, False]] + \
        [[False, False, False]]
    u, i = s.pairs()
    assert u.tolist() == [0, 2, 2, 2] and i.tolist() == [1, 0, 3, 5]


def test_user_items_rejects_bad_input():
    with pytest.raises(ValueError, match="same length"):
        UserItems.from_pairs(torch.tensor([0, 1]), torch.tensor([0]), 2, 2)
    with pytest.raises(ValueError, match="item id out of range"):
        UserItems.from_pairs(torch.tensor([0]), torch.tensor([2]), 2, 2)
    with pytest.raises(ValueError, match="sorted and unique"):
        UserItems(torch.tensor([0, 2]), torch.tensor([1, 0]), 3)
    with pytest.raises(ValueError, match="rowptr"):
        UserItems(torch.tensor([0, 3]), torch.tensor([1, 0]), 3)


def _dataset(val=False):
    train = torch.tensor([[0, 0], [0, 2], [1, 1], [2, 3], [2, 0], [0, 2]])
    test = torch.tensor([[0, 1], [2, 4]])
    v = torch.tensor([[1, 4]]) if val else None
    return InteractionDataset(num_users=3, num_items=5, train=train, test=test, val=v, name="toy")


def test_from_dataset_and_eval_split():
    d = InteractionData.from_dataset(_dataset())
    assert (d.num_users, d.num_items, d.train.nnz, d.test.nnz) == (3, 5, 5, 2)  # duplicate (0, 2) dropped
    truth, exclude = d.eval_split("test")
    assert truth is d.test and exclude == [d.train]
    with pytest.raises(ValueError, match="no validation split"):
        d.eval_split("val")
    with pytest.raises(ValueError, match="unknown split"):
        d.eval_split("train")
    dv = InteractionData.from_dataset(_dataset(val=True))
    assert dv.eval_split("test")[1] == [dv.train, dv.val] and dv.eval_split("val") == (dv.val, [dv.train])
    with pytest.raises(ValueError, match="InteractionDataset"):
        InteractionData.from_dataset(object())


def test_adj_is_normalised_bipartite_graph():
    d = InteractionData.from_dataset(_dataset())
    a = d.adj.to_dense()
    assert a.shape == (8, 8) and torch.allclose(a, a.t())
    assert a[:3, :3].abs().sum() == 0 and a[3:, 3:].abs().sum() == 0
    # user 2 (degree 2) - item 3 (degree 1): 1 / sqrt(2 * 1)
    assert a[2, 3 + 3].item() == pytest.approx(2 ** -0.5)
    assert d.adj is d.adj  # cached


def test_with_validation_moves_a_fraction_per_user(small):
    d = small.with_validation(0.3, seed=1)
    assert d.train.nnz + d.val.nnz == small.train.nnz
    deg = small.train.degree()
    assert torch.equal(d.val.degree(), torch.floor(0.3 * deg.double()).long())
    u, i = d.val.pairs()
    assert small.train.contains(u, i).all() and not d.train.contains(u, i).any()
    assert d.test is small.test
    assert torch.equal(small.with_validation(0.3, seed=1).val.items, d.val.items)  # seeded
    with pytest.raises(ValueError, match="already has"):
        d.with_validation(0.1)
    with pytest.raises(ValueError, match="fraction"):
        small.with_validation(1.0)


def test_slice_users_keeps_rows_and_reindexes_items(small):
    s = small.slice_users(10)
    assert s.num_users == 10
    kept = torch.unique(torch.cat([small.train.items[:int(small.train.rowptr[10])],
                                   small.test.items[:int(small.test.rowptr[10])]]))
    assert s.num_items == kept.numel()
    for split in ("train", "test"):
        a, b = getattr(small, split), getattr(s, split)
        for u in range(10):
            assert kept[b.row(u)].tolist() == a.row(u).tolist()
    with pytest.raises(ValueError, match="num_users"):
        small.slice_users(0)


def test_gowalla_statistics_and_slice(gowalla, gowalla_2000):
    assert (gowalla.num_users, gowalla.num_items) == (29858, 40981)
    assert gowalla.train.nnz == 810128 and gowalla.test.nnz == 217242  # no duplicate pairs in the files
    s = gowalla_2000
    assert s.num_users == 2000 and s.train.nnz == int(gowalla.train.rowptr[2000])
    assert s.test.nnz == int(gowalla.test.rowptr[2000])
    assert s.adj.num_nodes == 2000 + s.num_items and s.adj.num_edges == 2 * s.train.nnz
    assert not s.train.contains(*s.test.pairs()).any()  # the LightGCN split keeps test out of train
