"""Two-tower feature-masking SSL: mutual information, CFM grouping on data correlated by
construction, masks, value dropout, the item tower and the head."""
import math
from collections import Counter

import pytest
import torch

from graphssl.rec.heads import (FeatureMaskingSSLHead, ItemFeatureTower, build_head, correlated_feature_groups,
                                correlated_feature_mask, feature_mutual_information, multi_value_dropout,
                                random_feature_mask)


def grouped_features(group_sizes, n=2000, vocab=6, noise=0.2, seed=0):
    """[n, F] codes: features of one group are noisy copies of one latent per group,
    independent across groups. Returns the codes and each feature's group id."""
    g = torch.Generator().manual_seed(seed)
    cols, group_of = [], []
    for gid, size in enumerate(group_sizes):
        z = torch.randint(1, vocab, (n,), generator=g)
        for _ in range(size):
            flip = torch.rand(n, generator=g) < noise
            cols.append(torch.where(flip, torch.randint(1, vocab, (n,), generator=g), z))
            group_of.append(gid)
    return torch.stack(cols, 1), torch.tensor(group_of)


def naive_mi(a, b):
    n = len(a)
    pab, pa, pb = Counter(zip(a, b)), Counter(a), Counter(b)
    return sum(c / n * math.log((c / n) / (pa[x] / n * pb[y] / n)) for (x, y), c in pab.items())


def test_mutual_information_matches_counting():
    codes, _ = grouped_features([2, 1], n=500)
    mi = feature_mutual_information(codes)
    cols = [codes[:, f].tolist() for f in range(3)]
    for i in range(3):
        for j in range(3):
            assert mi[i, j].item() == pytest.approx(naive_mi(cols[i], cols[j]), rel=1e-9, abs=1e-12)
    assert torch.equal(mi, mi.t())
    assert mi[0, 1] > 10 * mi[0, 2]


def test_multi_valued_padding_is_not_a_value():
    g = torch.Generator().manual_seed(0)
    a = torch.randint(1, 5, (300,), generator=g)
    padded = torch.stack([a, torch.zeros_like(a)], 1)  # one real value, one pad per row
    mi = feature_mutual_information({"a": a, "a_multi": padded})
    assert mi[0, 1].item() == pytest.approx(mi[0, 0].item(), rel=1e-9)


@pytest.mark.parametrize("sizes,num_masked", [([4, 4], None), ([3, 3, 3], 3), ([2, 2, 2, 2], 2)])
def test_cfm_recovers_the_generated_groups(sizes, num_masked):
    codes, group_of = grouped_features(sizes, seed=len(sizes))
    perm = torch.randperm(codes.size(1), generator=torch.Generator().manual_seed(1))
    codes, group_of = codes[:, perm], group_of[perm]  # groups not contiguous
    groups = correlated_feature_groups(feature_mutual_information(codes), num_masked)
    for seed in range(codes.size(1)):
        assert torch.equal(groups[seed], group_of == group_of[seed]), seed


def test_masks():
    g = torch.Generator().manual_seed(0)
    m = random_feature_mask(100, 6, 3, g)
    assert m.shape == (100, 6) and bool((m.sum(1) == 3).all())
    assert len({tuple(r) for r in m.tolist()}) > 5
    groups = correlated_feature_groups(torch.eye(4) + 0.5 * torch.tensor(
        [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], dtype=torch.float64))
    c = correlated_feature_mask(50, groups, g)
    assert all(any(torch.equal(row, grp) for grp in groups) for row in c)
    with pytest.raises(ValueError, match="num_masked"):
        random_feature_mask(3, 4, 4)
    with pytest.raises(ValueError, match="square"):
        correlated_feature_groups(torch.zeros(2, 3))


def test_multi_value_dropout_rate_and_padding():
    g = torch.Generator().manual_seed(0)
    codes = torch.randint(1, 9, (2000, 5), generator=g)
    codes[:, 4] = 0
    out = multi_value_dropout(codes, 0.3, g)
    dropped = ((out == 0) & (codes != 0)).sum().item() / (codes != 0).sum().item()
    assert 0.27 < dropped < 0.33
    assert bool((out[:, 4] == 0).all()) and bool(((out == codes) | (out == 0)).all())
    assert multi_value_dropout(codes, 0.0) is codes


def _item_features(n=300, seed=0):
    codes, _ = grouped_features([2, 2], n=n, seed=seed)
    g = torch.Generator().manual_seed(seed + 1)
    tags = torch.randint(0, 8, (n, 3), generator=g)
    return {f"f{k}": codes[:, k] for k in range(4)} | {"tags": tags}


def _tower(seed=0):
    torch.manual_seed(seed)
    return ItemFeatureTower({"f0": 6, "f1": 6, "f2": 6, "f3": 6, "tags": 8}, embedding_dim=8,
                            hidden_dims=(16,), out_dim=8)


def test_tower_masks_fields():
    tower = _tower()
    feats = {k: v[:5] for k, v in _item_features().items()}
    everything = torch.ones(5, 5, dtype=torch.bool)
    out = tower(feats, everything)
    assert torch.allclose(out, out[:1].expand_as(out))  # all fields hidden: same output
    assert not torch.allclose(tower(feats), out)
    with pytest.raises(ValueError, match="missing"):
        tower({"f0": feats["f0"]})
    with pytest.raises(ValueError, match="feature_mask"):
        tower(feats, everything[:, :3])


@pytest.mark.parametrize("mode", ["cfm", "rfm", "mixed"])
def test_head_loss_decreases_and_is_seeded(mode):
    feats = _item_features()
    items = torch.arange(0, 300, 2)
    tower = _tower()
    head = build_head("feature_masking", tower=tower, item_features=feats, mode=mode, seed=0)
    assert head.num_masked == 2 or head.num_masked == 3
    opt = torch.optim.Adam(head.parameters(), lr=0.01)
    losses = []
    for _ in range(15):
        loss = head(None, items)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(math.isfinite(v) for v in losses)
    assert sum(losses[-3:]) < sum(losses[:3])
    a = FeatureMaskingSSLHead(_tower(1), feats, mode=mode, seed=5)(None, items).item()
    b = FeatureMaskingSSLHead(_tower(1), feats, mode=mode, seed=5)(None, items).item()
    assert a == b


def test_views_hide_complementary_fields():
    feats = _item_features()
    seen = []

    class Spy(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(1, 4)

        def forward(self, features, mask):
            seen.append(mask)
            return self.lin(mask.float().sum(1, keepdim=True))

    FeatureMaskingSSLHead(Spy(), feats, seed=0)(None, torch.arange(20))
    assert torch.equal(seen[0], ~seen[1])


def test_head_errors():
    feats = _item_features()
    tower = _tower()
    with pytest.raises(ValueError, match="at least 2 feature fields"):
        FeatureMaskingSSLHead(tower, {"f0": feats["f0"]})
    with pytest.raises(ValueError, match="mode"):
        FeatureMaskingSSLHead(tower, feats, mode="xfm")
    with pytest.raises(ValueError, match="mask_ratio"):
        FeatureMaskingSSLHead(tower, feats, mask_ratio=1.0)
    with pytest.raises(ValueError, match="mutual_information"):
        FeatureMaskingSSLHead(tower, feats, mutual_information=torch.zeros(3, 3))
    with pytest.raises(ValueError, match="tower"):
        FeatureMaskingSSLHead("tower", feats)
    head = FeatureMaskingSSLHead(tower, feats)
    with pytest.raises(ValueError, match="at least 2 distinct"):
        head(None, torch.tensor([3, 3]))
    with pytest.raises(ValueError, match="lie in"):
        head(None, torch.tensor([0, 300]))
    with pytest.raises(ValueError, match="SSL items"):
        head(None, None)
    with pytest.raises(ValueError, match="integer"):
        feature_mutual_information({"a": torch.rand(4), "b": torch.rand(4)})
