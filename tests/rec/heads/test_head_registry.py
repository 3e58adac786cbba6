"""Registry, shared checks and helpers, and InfoNCE against a naive implementation."""
import math

import pytest
import torch

from graphssl.rec import lightgcn_propagate
from graphssl.rec.heads import (HEADS, GraphContext, build_head, info_nce, interaction_pairs,
                                propagate_layers)

from rec_head_data import batch_of


def test_registry_lists_every_head():
    assert set(HEADS.names()) >= {"sgl", "simgcl", "xsimgcl", "ncl", "lightgcl", "directau", "feature_masking"}


def test_build_head_errors():
    with pytest.raises(ValueError, match="unknown recommender head"):
        build_head("nope")
    with pytest.raises(ValueError, match="bad arguments"):
        build_head("simgcl", epsilon=0.1)
    for name, kw in [("sgl", {"aug": "xx"}), ("sgl", {"drop_ratio": 1.0}), ("sgl", {"temperature": 0}),
                     ("sgl", {"negatives": "some"}), ("simgcl", {"eps": -1}), ("xsimgcl", {"layer_cl": 0}),
                     ("ncl", {"num_clusters": 0}), ("ncl", {"reduction": "max"}), ("lightgcl", {"rank": 0}),
                     ("directau", {"gamma": -1}), ("simgcl", {"seed": 1.5})]:
        with pytest.raises(ValueError):
            build_head(name, **kw)


def test_batch_and_backbone_checks(tiny, tiny_ctx):
    head = build_head("simgcl", seed=0)
    u, i = batch_of(tiny, 16)
    with pytest.raises(ValueError, match="needs a backbone"):
        head(u, i, None, None)
    with pytest.raises(ValueError, match="ids must lie"):
        head(u + tiny.num_users, i, None, None, backbone=tiny_ctx)
    with pytest.raises(ValueError, match="same length"):
        head(u[:3], i, None, None, backbone=tiny_ctx)
    with pytest.raises(ValueError, match="integer"):
        head(u.float(), i, None, None, backbone=tiny_ctx)
    bad = GraphContext(tiny_ctx.adj, tiny_ctx.ego, 2, tiny.num_users + 1, tiny.num_items)
    with pytest.raises(ValueError, match="square graph"):
        head(u, i, None, None, backbone=bad)
    bad = GraphContext(tiny_ctx.adj, torch.zeros(3, 4), 2, tiny.num_users, tiny.num_items)
    with pytest.raises(ValueError, match="rows"):
        head(u, i, None, None, backbone=bad)


def test_ego_may_be_an_embedding(tiny, tiny_ctx):
    emb = torch.nn.Embedding.from_pretrained(tiny_ctx.ego.detach().clone(), freeze=False)
    ctx = GraphContext(tiny_ctx.adj, emb, 2, tiny.num_users, tiny.num_items)
    u, i = batch_of(tiny, 16)
    build_head("simgcl", seed=0)(u, i, None, None, backbone=ctx).backward()
    assert emb.weight.grad is not None and emb.weight.grad.abs().sum() > 0


def test_propagate_layers_matches_lightgcn(tiny_ctx):
    ego = tiny_ctx.ego.detach()
    layers = propagate_layers(tiny_ctx.adj, ego, 3)
    ref, ref_layers = lightgcn_propagate(tiny_ctx.adj, ego, 3, return_layers=True)
    assert len(layers) == 4
    torch.testing.assert_close(torch.stack(layers).mean(0), ref)
    with pytest.raises(ValueError, match="per-layer"):
        propagate_layers([tiny_ctx.adj], ego, 2)


def test_interaction_pairs_round_trip(tiny, tiny_ctx):
    u, i = interaction_pairs(tiny_ctx.adj, tiny.num_users)
    got = set(zip(u.tolist(), i.tolist()))
    assert got == set(zip(tiny.users.tolist(), tiny.items.tolist()))
    assert len(got) == u.numel()


def _naive_info_nce(anchor, cands, pos, t, normalize=True):
    losses = []
    for b in range(anchor.size(0)):
        a = anchor[b]
        scores = []
        for c in cands:
            if normalize:
                scores.append(float(a @ c) / (float(a.norm()) * float(c.norm())) / t)
            else:
                scores.append(float(a @ c) / t)
        losses.append(-(scores[pos[b]] - math.log(sum(math.exp(s) for s in scores))))
    return losses


@pytest.mark.parametrize("normalize", [True, False])
def test_info_nce_in_batch_matches_naive(normalize):
    g = torch.Generator().manual_seed(0)
    a, p = torch.randn(7, 5, generator=g), torch.randn(7, 5, generator=g)
    naive = _naive_info_nce(a.double(), p.double(), list(range(7)), 0.3, normalize)
    got = info_nce(a.double(), p.double(), 0.3, normalize=normalize, reduction="none")
    torch.testing.assert_close(got, torch.tensor(naive, dtype=torch.float64))
    torch.testing.assert_close(info_nce(a.double(), p.double(), 0.3, normalize=normalize),
                               torch.tensor(sum(naive) / 7, dtype=torch.float64))
    torch.testing.assert_close(info_nce(a.double(), p.double(), 0.3, normalize=normalize, reduction="sum"),
                               torch.tensor(sum(naive), dtype=torch.float64))


def test_info_nce_with_candidates_matches_naive():
    g = torch.Generator().manual_seed(1)
    a, c = torch.randn(4, 3, generator=g).double(), torch.randn(9, 3, generator=g).double()
    pos = torch.tensor([2, 0, 8, 2])
    got = info_nce(a, None, 0.5, candidates=c, pos_index=pos, reduction="none")
    torch.testing.assert_close(got, torch.tensor(_naive_info_nce(a, c, pos.tolist(), 0.5), dtype=torch.float64))


def test_info_nce_errors():
    a = torch.randn(3, 2)
    with pytest.raises(ValueError, match="temperature"):
        info_nce(a, a, 0.0)
    with pytest.raises(ValueError, match="reduction"):
        info_nce(a, a, 0.1, reduction="max")
    with pytest.raises(ValueError, match="shape"):
        info_nce(a, a[:2], 0.1)
    with pytest.raises(ValueError, match="pos_index"):
        info_nce(a, None, 0.1, candidates=a, pos_index=torch.tensor([0, 1, 5]))
