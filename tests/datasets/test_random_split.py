"""random_split: sizes, disjointness, seeding, unlabelled nodes."""
import pytest
import torch

from graphssl.datasets import random_split


def test_fractions_and_counts():
    tr, va, te = random_split(1000, train=0.1, val=0.2, seed=1)
    assert (int(tr.sum()), int(va.sum()), int(te.sum())) == (100, 200, 700)
    assert int((tr.int() + va.int() + te.int()).max()) == 1
    tr, va, te = random_split(50, train=20, val=10, test=5, seed=0)
    assert (int(tr.sum()), int(va.sum()), int(te.sum())) == (20, 10, 5)


def test_seeded_and_generator():
    a = random_split(300, seed=3)
    b = random_split(300, seed=3)
    c = random_split(300, seed=4)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a[0], c[0])
    g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    assert torch.equal(random_split(300, generator=g1)[0], random_split(300, generator=g2)[0])


def test_labels_skip_unlabelled_nodes():
    y = torch.tensor([0, 1, -1, 2, -1, 0, 1, 2, 0, 1])
    tr, va, te = random_split(y, train=2, val=2, seed=0)
    used = tr | va | te
    assert int(used.sum()) == 8 and not bool(used[y < 0].any())


@pytest.mark.parametrize("kw", [dict(train=0.7, val=0.5), dict(train=-1), dict(train=1.5), dict(train="a")])
def test_bad_sizes(kw):
    with pytest.raises(ValueError):
        random_split(10, **kw)


def test_bad_nodes():
    with pytest.raises(ValueError):
        random_split(torch.zeros(3, 2, dtype=torch.long))
    with pytest.raises(ValueError):
        random_split(-3)
