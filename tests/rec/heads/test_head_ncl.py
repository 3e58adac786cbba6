"""NCL's torch k-means, warm-up, prototypes and loss."""
import pytest
import torch

from graphssl.rec.heads import NCLHead, info_nce, kmeans, propagate_layers

from rec_head_data import batch_of


def _blobs(seed=0):
    g = torch.Generator().manual_seed(seed)
    centers = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    truth = torch.arange(3).repeat_interleave(40)
    return centers[truth] + 0.5 * torch.randn(120, 2, generator=g), truth


def test_kmeans_recovers_separated_blobs_and_is_seeded():
    x, truth = _blobs()
    found = None
    for seed in range(3):
        c, a = kmeans(x, 3, generator=torch.Generator().manual_seed(seed))
        # same partition up to relabelling: each true blob maps to one cluster
        pairs = set(zip(truth.tolist(), a.tolist()))
        if len(pairs) == 3:
            found = (c, a)
            break
    assert found is not None
    c1, a1 = kmeans(x, 3, generator=torch.Generator().manual_seed(7))
    c2, a2 = kmeans(x, 3, generator=torch.Generator().manual_seed(7))
    assert torch.equal(c1, c2) and torch.equal(a1, a2)
    with pytest.raises(ValueError, match="k must be"):
        kmeans(x, 121)
    with pytest.raises(ValueError, match="floating"):
        kmeans(torch.zeros(5, dtype=torch.long), 2)


def test_warmup_then_prototypes(tiny, tiny_ctx):
    head = NCLHead(num_clusters=4, warmup_epochs=2, seed=0)
    users, items = batch_of(tiny, 32)
    head.new_epoch(tiny_ctx)
    head.new_epoch(tiny_ctx)
    assert not head.has_prototypes
    before = head(users, items, None, None, backbone=tiny_ctx)
    head.new_epoch(tiny_ctx)
    assert head.has_prototypes
    assert head.user_clusters.shape == (tiny.num_users,) and head.item_centroids.shape == (4, 16)
    torch.testing.assert_close(head.user_centroids.norm(dim=1), torch.ones(4))
    assert head(users, items, None, None, backbone=tiny_ctx).item() > before.item()
    with pytest.raises(ValueError, match="exceeds the number"):
        NCLHead(num_clusters=50, warmup_epochs=0).new_epoch(tiny_ctx)


def test_loss_matches_the_official_formula(tiny, tiny_ctx):
    head = NCLHead(num_clusters=3, warmup_epochs=0, ssl_weight=0.5, proto_weight=0.25, alpha=2.0, seed=0)
    head.new_epoch(tiny_ctx)
    users, items = batch_of(tiny, 40)
    nu = tiny.num_users
    with torch.no_grad():
        layers = propagate_layers(tiny_ctx.adj, tiny_ctx.ego, 2)
        got = head(users, items, None, None, backbone=tiny_ctx)
        via_layers = head(users, items, None, None, backbone=tiny_ctx, layers=layers)
        e0, e2 = layers[0], layers[2]

        def term(anchor, cands, pos):
            return info_nce(anchor, None, 0.05, candidates=cands, pos_index=pos, reduction="sum")

        ssl = term(e2[:nu][users], e0[:nu], users) + 2.0 * term(e2[nu:][items], e0[nu:], items)
        proto = term(e0[:nu][users], head.user_centroids, head.user_clusters[users]) \
            + term(e0[nu:][items], head.item_centroids, head.item_clusters[items])
    torch.testing.assert_close(got, 0.5 * ssl + 0.25 * proto)
    torch.testing.assert_close(via_layers, got)
    with pytest.raises(ValueError, match="layers"):
        head(users, items, None, None, backbone=tiny_ctx, layers=layers[:2])
