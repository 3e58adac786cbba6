"""LightGCL's truncated SVD and SVD-view propagation against dense references."""
import pytest
import torch

from graphssl.rec.heads import GraphContext, LightGCLHead, propagate_layers, svd_factors

from rec_head_data import batch_of, make_context


def _dense_r(ctx):
    a = ctx.adj.to_dense()
    return a[: ctx.num_users, ctx.num_users:]


def test_svd_factors_match_dense_svd(tiny_ctx):
    r = _dense_r(tiny_ctx)
    full = min(tiny_ctx.num_users, tiny_ctx.num_items)
    us, vs, u, v = svd_factors(tiny_ctx.adj, tiny_ctx.num_users, rank=full, niter=4, generator_seed=0)
    torch.testing.assert_close(us @ v.t(), r, atol=1e-4, rtol=0)
    torch.testing.assert_close(u @ vs.t(), r, atol=1e-4, rtol=0)
    _, _, u5, v5 = svd_factors(tiny_ctx.adj, tiny_ctx.num_users, rank=5, niter=8, generator_seed=0)
    top = torch.linalg.svdvals(r)[:5]
    s5 = (u5.t() @ r @ v5).diagonal().abs()
    torch.testing.assert_close(s5, top, atol=2e-2, rtol=2e-2)
    with pytest.raises(ValueError, match="rank"):
        svd_factors(tiny_ctx.adj, tiny_ctx.num_users, rank=full + 1)


def test_svd_view_matches_dense_propagation(tiny_ctx):
    head = LightGCLHead(rank=5, seed=0)
    with torch.no_grad():
        main, svd = head.views(tiny_ctx)
        us, vs, u, v = head._factors
        nu = tiny_ctx.num_users
        r_hat = us @ v.t()
        a_hat = torch.zeros(tiny_ctx.adj.num_nodes, tiny_ctx.adj.num_nodes)
        a_hat[:nu, nu:] = r_hat
        a_hat[nu:, :nu] = r_hat.t()
        layers = propagate_layers(tiny_ctx.adj, tiny_ctx.ego, 2)
        expected = layers[0] + a_hat @ layers[0] + a_hat @ layers[1]
    torch.testing.assert_close(svd, expected, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(main, torch.stack(layers).sum(0))


def test_svd_recomputed_for_a_new_graph(tiny, tiny_ctx):
    head = LightGCLHead(seed=0)
    head.new_epoch(tiny_ctx)
    first = head._factors[0]
    head.new_epoch(tiny_ctx)
    assert head._factors[0] is first
    other = GraphContext.from_interactions(tiny.num_users, tiny.num_items, tiny.users[:300], tiny.items[:300],
                                           tiny_ctx.ego, 2)
    users, items = batch_of(tiny, 16)
    head(users, items, None, None, backbone=other)
    assert head._factors[0] is not first


def test_positive_logit_is_clamped(tiny, tiny_ctx):
    users, items = batch_of(tiny, 32)
    big = make_context(tiny, dim=16)
    with torch.no_grad():
        big.ego.mul_(100.0)
    clamped = LightGCLHead(seed=0)(users, items, None, None, backbone=big)
    free = LightGCLHead(seed=0, clamp=None)(users, items, None, None, backbone=big)
    assert torch.isfinite(clamped) and clamped.item() > free.item()
