"""graphssl/rec/sampler.py: uniform negatives never hit a training positive, epochs cover every
pair once, and everything is fixed by the seed."""
import pytest
import torch

from graphssl.rec import BPRSampler, NegativeSampler, UserItems


def test_negatives_are_exactly_uniform_over_allowed_items():
    train = UserItems.from_pairs(torch.tensor([0, 0, 1]), torch.tensor([1, 3, 5]), 2, 6)
    s = NegativeSampler(train)
    g = torch.Generator().manual_seed(0)
    n = 60000
    neg = s.sample(torch.zeros(n, dtype=torch.long), generator=g)
    counts = torch.bincount(neg, minlength=6).double() / n
    assert counts[1] == 0 and counts[3] == 0
    assert torch.allclose(counts[[0, 2, 4, 5]], torch.full((4,), 0.25, dtype=torch.float64), atol=0.01)
    neg1 = s.sample(torch.ones(n, dtype=torch.long), generator=g)
    c1 = torch.bincount(neg1, minlength=6).double() / n
    assert c1[5] == 0 and torch.allclose(c1[:5], torch.full((5,), 0.2, dtype=torch.float64), atol=0.01)


def test_never_a_training_positive_exhaustively_on_gowalla_slice(gowalla_2000):
    train = gowalla_2000.train
    sampler = BPRSampler(train, batch_size=2048, seed=3)
    for _ in range(2):
        users, pos, neg = sampler.epoch()
        assert neg.min() >= 0 and neg.max() < train.num_items
        assert not train.contains(users, neg).any()
        assert train.contains(users, pos).all()
    # every user, many draws each: the dense check (a [U, I] membership table) agrees
    dense = torch.zeros(train.num_users, train.num_items, dtype=torch.bool)
    u, i = train.pairs()
    dense[u, i] = True
    users = torch.arange(train.num_users).repeat_interleave(50)
    neg = sampler.negatives.sample(users, generator=torch.Generator().manual_seed(0))
    assert not dense[users, neg].any()


def test_epochs_cover_every_pair_once_in_shuffled_batches(small):
    train = small.train
    s = BPRSampler(train, batch_size=64, seed=0)
    batches = list(s)
    assert len(batches) == len(s) == -(-train.nnz // 64)
    assert all(b[0].numel() == 64 for b in batches[:-1])
    users = torch.cat([b[0] for b in batches])
    pos = torch.cat([b[1] for b in batches])
    keys = torch.sort(users * train.num_items + pos).values
    assert torch.equal(keys, train.keys())
    assert not torch.equal(users, train.pairs()[0])  # shuffled
    assert len(BPRSampler(train, batch_size=64, drop_last=True)) == train.nnz // 64


def test_seeded_and_fresh_each_epoch(small):
    a, b = BPRSampler(small.train, 100, seed=5), BPRSampler(small.train, 100, seed=5)
    ea1, eb1 = [torch.cat(x) for x in zip(*a)], [torch.cat(x) for x in zip(*b)]
    assert all(torch.equal(x, y) for x, y in zip(ea1, eb1))
    ea2 = [torch.cat(x) for x in zip(*a)]
    assert not torch.equal(ea1[2], ea2[2])  # new negatives next epoch
    c = BPRSampler(small.train, 100, seed=6)
    assert not torch.equal(torch.cat([x[2] for x in c]), ea1[2])


def test_several_negatives_and_errors(small):
    s = BPRSampler(small.train, 32, num_negatives=4, seed=0)
    users, pos, neg = next(iter(s))
    assert neg.shape == (32, 4)
    assert not small.train.contains(users.unsqueeze(1), neg).any()
    full = UserItems.from_pairs(torch.tensor([0, 0, 1]), torch.tensor([0, 1, 0]), 2, 2)
    with pytest.raises(ValueError, match="user 0 has interacted with all 2 items"):
        NegativeSampler(full)
    with pytest.raises(ValueError, match="batch_size"):
        BPRSampler(small.train, 0)
    with pytest.raises(ValueError, match="out of range"):
        NegativeSampler(small.train).sample(torch.tensor([small.num_users]))
    with pytest.raises(ValueError, match="num_negatives"):
        NegativeSampler(small.train).sample(torch.tensor([0]), num_negatives=0)
