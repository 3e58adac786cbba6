"""graphssl/rec/metrics.py against a plain per-user loop."""
import math

import pytest
import torch

from graphssl.rec import UserItems, full_ranking_metrics, topk_items
from rec_core_data import random_interactions


def naive(user_emb, item_emb, truth, exclude, k):
    """One user at a time, with Python sets and sorted()."""
    out = {"recall": [], "ndcg": [], "precision": [], "hit": []}
    for u in range(truth.num_users):
        rel = set(truth.row(u).tolist())
        if not rel:
            continue
        known = set().union(*(set(s.row(u).tolist()) for s in exclude))
        scores = (item_emb @ user_emb[u]).tolist()
        ranked = sorted((i for i in range(len(scores)) if i not in known), key=lambda i: -scores[i])[:k]
        hits = [1.0 if i in rel else 0.0 for i in ranked]
        dcg = sum(h / math.log2(r + 2) for r, h in enumerate(hits))
        idcg = sum(1 / math.log2(r + 2) for r in range(min(len(rel), k)))
        out["recall"].append(sum(hits) / len(rel))
        out["precision"].append(sum(hits) / k)
        out["hit"].append(float(sum(hits) > 0))
        out["ndcg"].append(dcg / idcg)
    return {m: sum(v) / len(v) for m, v in out.items()}, len(out["recall"])


@pytest.mark.parametrize("seed", [0, 1])
def test_matches_naive_loop(seed):
    d = random_interactions(num_users=50, num_items=70, nnz=600, test_nnz=200, seed=seed)
    g = torch.Generator().manual_seed(seed)
    ue, ie = torch.randn(50, 8, generator=g, dtype=torch.float64), torch.randn(70, 8, generator=g, dtype=torch.float64)
    res = full_ranking_metrics(ue, ie, d.test, [d.train], ks=(1, 5, 20), chunk_size=7)
    for k in (1, 5, 20):
        ref, n = naive(ue, ie, d.test, [d.train], k)
        assert res["num_users"] == n
        for m, v in ref.items():
            assert res[f"{m}@{k}"] == pytest.approx(v, abs=1e-12), (m, k)


def test_chunking_and_per_user(small):
    g = torch.Generator().manual_seed(0)
    ue, ie = torch.randn(small.num_users, 16, generator=g), torch.randn(small.num_items, 16, generator=g)
    a = full_ranking_metrics(ue, ie, small.test, [small.train], ks=(10,), chunk_size=3, per_user=True)
    b = full_ranking_metrics(ue, ie, small.test, [small.train], ks=(10,), per_user=True)
    for key in ("recall@10", "ndcg@10", "precision@10", "hit@10"):
        assert torch.equal(a[key], b[key])
    assert a["recall@10"].numel() == int((small.test.degree() > 0).sum())


def test_masking_and_hand_computed_values():
    train = UserItems.from_pairs(torch.tensor([0, 0, 1]), torch.tensor([0, 1, 1]), 2, 4)
    test = UserItems.from_pairs(torch.tensor([0, 0, 1]), torch.tensor([2, 3, 3]), 2, 4)
    ie = torch.tensor([[10.0], [9.0], [2.0], [1.0]])  # every user ranks items 0 > 1 > 2 > 3
    ue = torch.tensor([[1.0], [1.0]])
    assert topk_items(ue, ie, torch.tensor([0, 1]), 2, [train]).tolist() == [[2, 3], [0, 2]]
    r = full_ranking_metrics(ue, ie, test, [train], ks=(1, 2, 3))
    # user 0: training items 0, 1 masked, so its two test items come first: perfect.
    # user 1: item 1 masked; ranking 0, 2, 3: its test item 3 is third.
    assert r["recall@2"] == pytest.approx(0.5) and r["ndcg@2"] == pytest.approx(0.5)
    assert r["recall@3"] == pytest.approx(1.0)
    assert r["ndcg@3"] == pytest.approx((1.0 + 0.5) / 2)  # user 1: (1 / log2 4) / (1 / log2 2)
    assert r["hit@1"] == pytest.approx(0.5) and r["precision@3"] == pytest.approx((2 / 3 + 1 / 3) / 2)
    unmasked = full_ranking_metrics(ue, ie, test, [], ks=(2,))
    assert unmasked["recall@2"] == 0.0


def test_errors(small):
    ue, ie = torch.randn(small.num_users, 4), torch.randn(small.num_items, 4)
    with pytest.raises(ValueError, match="every K"):
        full_ranking_metrics(ue, ie, small.test, ks=(small.num_items + 1,))
    with pytest.raises(ValueError, match="unknown metrics"):
        full_ranking_metrics(ue, ie, small.test, metrics=("auc",))
    with pytest.raises(ValueError, match="embeddings cover"):
        full_ranking_metrics(ue[:-1], ie, small.test)
    with pytest.raises(ValueError, match="without ground-truth"):
        empty = int(torch.nonzero(small.test.degree() == 0)[0])
        full_ranking_metrics(ue, ie, small.test, users=torch.tensor([empty]))


def test_gowalla_full_ranking_in_bounded_chunks(gowalla):
    # Every 5th user of the real split against all 40,981 items, in chunks of 1,000 users.
    g = torch.Generator().manual_seed(0)
    ue = torch.randn(gowalla.num_users, 8, generator=g)
    ie = torch.randn(gowalla.num_items, 8, generator=g)
    users = torch.arange(0, gowalla.num_users, 5)
    r = full_ranking_metrics(ue, ie, gowalla.test, [gowalla.train], ks=(20,), users=users, chunk_size=1000)
    assert r["num_users"] == users.numel()
    # random scores: recall@20 is about 20 / (#items - #training items), far below 0.002
    assert 0.0 < r["recall@20"] < 0.002 and 0.0 <= r["ndcg@20"] <= 1.0
