"""SimGCL's noise and mean-over-batch loss; XSimGCL's propagate/forward contract."""
import math

import pytest
import torch

from graphssl.rec.heads import SimGCLHead, XSimGCLHead, propagate_layers, uniform_noise

from rec_head_data import batch_of


def test_uniform_noise_has_radius_eps_and_keeps_the_orthant():
    g = torch.Generator().manual_seed(0)
    h = torch.randn(50, 8, generator=g)
    out = uniform_noise(h, 0.1, g)
    delta = out - h
    torch.testing.assert_close(delta.norm(dim=1), torch.full((50,), 0.1))
    assert bool((torch.sign(delta) == torch.sign(h)).all())


def _naive_mean_info_nce(a, b, t):
    a, b = torch.nn.functional.normalize(a, dim=1), torch.nn.functional.normalize(b, dim=1)
    total = 0.0
    for k in range(a.size(0)):
        scores = [float(a[k] @ b[j]) / t for j in range(b.size(0))]
        total += math.log(sum(math.exp(s) for s in scores)) - scores[k]
    return total / a.size(0)


def test_contrastive_loss_is_a_mean_over_the_batch_not_a_sum(tiny, tiny_ctx):
    head = SimGCLHead(seed=0)
    with torch.no_grad():
        (u1, i1), (u2, i2) = head.perturbed_views(tiny_ctx)
    users, items = batch_of(tiny, 200)
    got = head.contrastive_loss(users, items, (u1, i1), (u2, i2)).item()
    uu, ii = torch.unique(users), torch.unique(items)
    expected = 0.5 * (_naive_mean_info_nce(u1[uu], u2[uu], 0.2) + _naive_mean_info_nce(i1[ii], i2[ii], 0.2))
    assert got == pytest.approx(expected, rel=1e-5)
    # A sum would grow with the batch; a mean is bounded by log(B) + 2 / t per term.
    bound = 0.5 * (math.log(uu.numel()) + math.log(ii.numel()) + 2 * 2 / 0.2)
    assert got < bound
    small = head.contrastive_loss(users[:20], items[:20], (u1, i1), (u2, i2)).item()
    assert got < 3 * small
    # repeated ids count once (the batch's unique users and items)
    again = head.contrastive_loss(torch.cat([users, users]), torch.cat([items, items]), (u1, i1), (u2, i2))
    assert again.item() == pytest.approx(got, rel=1e-6)


def test_views_leave_out_the_ego_layer_unless_asked(tiny_ctx):
    ego = tiny_ctx.ego.detach()
    layers = propagate_layers(tiny_ctx.adj, ego, 2)
    for include, ref in ((False, torch.stack(layers[1:]).mean(0)), (True, torch.stack(layers).mean(0))):
        head = SimGCLHead(eps=1e-7, include_ego=include, seed=0)
        (u, i), _ = head.perturbed_views(tiny_ctx)
        torch.testing.assert_close(torch.cat([u, i]), ref, atol=1e-6, rtol=0)


def test_xsimgcl_contract(tiny, tiny_ctx):
    head = XSimGCLHead(seed=0)
    u, i, views = head.propagate(tiny_ctx, perturb=False)
    layers = propagate_layers(tiny_ctx.adj, tiny_ctx.ego, 2)
    torch.testing.assert_close(torch.cat([u, i]), torch.stack(layers[1:]).mean(0))
    torch.testing.assert_close(torch.cat([views["user"], views["item"]]), layers[1])
    users, items = batch_of(tiny, 64)
    u, i, views = head.propagate(tiny_ctx)
    loss = head(users, items, u, i, views=views)
    loss.backward()
    assert tiny_ctx.ego.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="views"):
        head(users, items, u, i)
    with pytest.raises(ValueError, match="views must be"):
        head(users, items, u, i, views={"user": views["user"][:3], "item": views["item"]})
    with pytest.raises(ValueError, match="exceeds"):
        XSimGCLHead(layer_cl=3).propagate(tiny_ctx)


def test_xsimgcl_contrast_is_a_batch_mean(tiny, tiny_ctx):
    head = XSimGCLHead(seed=0)
    with torch.no_grad():
        u, i, views = head.propagate(tiny_ctx)
    users, items = batch_of(tiny, 100)
    uu, ii = torch.unique(users), torch.unique(items)
    expected = 0.2 * (_naive_mean_info_nce(u[uu], views["user"][uu], 0.15)
                      + _naive_mean_info_nce(i[ii], views["item"][ii], 0.15))
    assert head(users, items, u, i, views=views).item() == pytest.approx(expected, rel=1e-5)


def _deterministic_noise(monkeypatch, eps_dirs=8, d=16):
    """Replace SimGCL's random noise with a row-independent direction per call, so the direct
    views (perturbed_views) and the offset form (forward) draw the same noise."""
    import graphssl.rec.heads.simgcl as simgcl
    g = torch.Generator().manual_seed(0)
    dirs = torch.nn.functional.normalize(torch.rand(eps_dirs, d, generator=g), dim=-1)
    state = {"n": 0}

    def noise(pre, eps):
        v = dirs[state["n"] % eps_dirs]
        state["n"] += 1
        return eps * torch.sign(pre) * v

    monkeypatch.setattr(simgcl, "add_uniform_noise", lambda h, eps, gen=None: h + noise(h, eps))
    monkeypatch.setattr(simgcl, "noise_offset",
                        lambda c, s, eps, gen=None: noise(c, eps) if s is None else s + noise(c + s, eps))
    return state


@pytest.mark.parametrize("include_ego", [False, True])
def test_offset_form_equals_two_noisy_propagations(tiny, tiny_ctx, monkeypatch, include_ego):
    state = _deterministic_noise(monkeypatch)
    head = SimGCLHead(eps=0.2, include_ego=include_ego, seed=0)
    users, items = batch_of(tiny, 128)
    ref = head.contrastive_loss(users, items, *head.perturbed_views(tiny_ctx))
    g_ref = torch.autograd.grad(ref, tiny_ctx.ego)[0]
    state["n"] = 0
    got = head(users, items, backbone=tiny_ctx)
    g_got = torch.autograd.grad(got, tiny_ctx.ego)[0]
    torch.testing.assert_close(got, ref)
    torch.testing.assert_close(g_got, g_ref)


def test_views_from_propagate_give_the_standalone_loss(tiny, tiny_ctx):
    from graphssl.rec import LightGCN
    bb = LightGCN(tiny.num_users, tiny.num_items, tiny_ctx.adj, dim=16, num_layers=2, include_ego=False, seed=0)
    head = SimGCLHead(seed=3)
    users, items = batch_of(tiny, 64)
    u, i, views = head.propagate(bb)
    torch.testing.assert_close(torch.cat([u, i]), bb.propagate())
    shared = head(users, items, u, i, backbone=bb, views=views, generator=torch.Generator().manual_seed(9))
    g_shared = torch.autograd.grad(shared, bb.embedding)[0]
    alone = head(users, items, backbone=bb, generator=torch.Generator().manual_seed(9))
    g_alone = torch.autograd.grad(alone, bb.embedding)[0]
    torch.testing.assert_close(shared, alone)
    torch.testing.assert_close(g_shared, g_alone)
    with pytest.raises(ValueError, match="layers"):
        head(users, items, backbone=bb, views={"layers": views["layers"][:2]})


def test_xsimgcl_gathers_from_the_whole_tables_or_the_slices_alike(tiny, tiny_ctx):
    head = XSimGCLHead(seed=0)
    users, items = batch_of(tiny, 64)
    u, i, views = head.propagate(tiny_ctx)
    full = head(users, items, u, i, views=views)
    sliced = head(users, items, u, i, views={"user": views["user"], "item": views["item"]})
    torch.testing.assert_close(full, sliced)
