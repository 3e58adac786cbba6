"""The edge split, AUC and Hits@K by hand and against scikit-learn, and the protocol."""
import numpy as np
import pytest
import torch

from graphssl.eval import hits_at_k, link_prediction, roc_auc, split_edges
from graphssl.multitask import pair_keys
from graphssl.sparse import Graph


def _grid(side=8):
    idx = torch.arange(side * side).view(side, side)
    ei = torch.cat([torch.stack([idx[:, :-1].reshape(-1), idx[:, 1:].reshape(-1)]),
                    torch.stack([idx[:-1].reshape(-1), idx[1:].reshape(-1)])], 1)
    return Graph.from_edge_index(ei, side * side).to_undirected()


def test_auc_by_hand_and_against_sklearn():
    # Pairs (pos, neg): (0.9 > 0.4), (0.9 > 0.1), (0.4 = 0.4: one half), (0.4 > 0.1) -> 3.5 / 4.
    assert roc_auc(torch.tensor([0.9, 0.4]), torch.tensor([0.4, 0.1])) == 0.875
    assert roc_auc(torch.tensor([1.0]), torch.tensor([2.0])) == 0.0
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    for _ in range(10):
        pos, neg = rng.integers(0, 5, 20).astype(float), rng.integers(0, 5, 30).astype(float)  # many ties
        expected = metrics.roc_auc_score(np.r_[np.ones(20), np.zeros(30)], np.r_[pos, neg])
        assert roc_auc(torch.from_numpy(pos), torch.from_numpy(neg)) == pytest.approx(expected)
    with pytest.raises(ValueError, match="at least one positive"):
        roc_auc(torch.tensor([]), torch.tensor([1.0]))


def test_hits_at_k_by_hand():
    pos, neg = torch.tensor([5.0, 3.0, 1.0]), torch.tensor([4.0, 2.0, 0.0])
    assert hits_at_k(pos, neg, 1) == pytest.approx(1 / 3)  # above 4: only 5
    assert hits_at_k(pos, neg, 2) == pytest.approx(2 / 3)  # above 2: 5 and 3
    assert hits_at_k(pos, neg, 3) == 1.0  # above 0: all
    assert hits_at_k(pos, neg, 4) == 1.0  # fewer negatives than k
    assert hits_at_k(torch.tensor([2.0]), torch.tensor([2.0]), 1) == 0.0  # ties do not count
    with pytest.raises(ValueError, match="k must be"):
        hits_at_k(pos, neg, 0)


def test_edge_split_is_disjoint_and_keeps_held_out_edges_out_of_the_training_graph():
    g = _grid()
    s = split_edges(g, val=0.1, test=0.2, seed=0)
    n = g.num_nodes
    keys = {k: set(pair_keys(p[0], p[1], n).tolist()) for k, p in
            (("train", s.train_pos), ("val", s.val_pos), ("test", s.test_pos), ("val_neg", s.val_neg),
             ("test_neg", s.test_neg))}
    m = g.num_edges // 2
    assert len(keys["train"]) + len(keys["val"]) + len(keys["test"]) == m
    assert not (keys["train"] & keys["val"]) and not (keys["train"] & keys["test"]) and not (keys["val"] & keys["test"])
    edges = set(pair_keys(g.col, g.row(), n).tolist())
    assert not (keys["val_neg"] & edges) and not (keys["test_neg"] & edges) and not (keys["val_neg"] & keys["test_neg"])
    # No held-out edge in the training graph, in either direction; every training pair is there.
    ei = s.train_graph.to_edge_index()[0]
    directed = set((ei[0] * n + ei[1]).tolist())
    for u, v in torch.cat([s.val_pos, s.test_pos], 1).t().tolist():
        assert u * n + v not in directed and v * n + u not in directed
    assert set(pair_keys(ei[0], ei[1], n).tolist()) == keys["train"]
    assert s.train_graph.num_edges == 2 * len(keys["train"])
    assert s.val_pos.size(1) == round(0.1 * m) == s.val_neg.size(1)
    with pytest.raises(ValueError, match="val \\+ test < 1"):
        split_edges(g, val=0.5, test=0.5)


def test_protocol_scores_informative_embeddings_high():
    g = _grid()
    s = split_edges(g, seed=1)
    coords = torch.stack(torch.meshgrid(torch.arange(8.0), torch.arange(8.0), indexing="ij"), -1).view(-1, 2)
    freqs = torch.linspace(0.3, 2.0, 16)
    emb = torch.cat([torch.cos(coords[:, :1] * freqs), torch.sin(coords[:, :1] * freqs),
                     torch.cos(coords[:, 1:] * freqs), torch.sin(coords[:, 1:] * freqs)], 1)  # neighbours look alike
    for decoder in ("dot", "logreg"):
        res = link_prediction(emb, s, decoder=decoder, hits_k=(5,), epochs=100)
        assert res["auc"] > 0.9 and 0.0 <= res["hits@5"] <= 1.0 and "val_auc" in res
    noise = link_prediction(torch.randn(64, 16, generator=torch.Generator().manual_seed(0)), s, epochs=50)
    assert noise["auc"] < 0.8
    with pytest.raises(ValueError, match="decoder"):
        link_prediction(emb, s, decoder="mlp")
    with pytest.raises(ValueError, match=r"\[64, D\]"):
        link_prediction(emb[:10], s)
