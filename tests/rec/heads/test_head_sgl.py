"""SGL's augmented views (edge drop, node drop, random walk) and its per-epoch contract."""
import pytest
import torch

from graphssl.rec.heads import SGLHead, info_nce, interaction_pairs

from rec_head_data import batch_of


def _pairs(graph, num_users):
    u, i = interaction_pairs(graph, num_users)
    return set(zip(u.tolist(), i.tolist()))


def test_edge_drop_keeps_a_subset_of_the_right_size(tiny, tiny_ctx):
    head = SGLHead(aug="ed", drop_ratio=0.2, seed=0)
    head.new_epoch(tiny_ctx)
    full = _pairs(tiny_ctx.adj, tiny.num_users)
    for view in head.views:
        kept = _pairs(view, tiny.num_users)
        assert kept <= full
        # duplicated training pairs collapse in the graph, so count on the distinct ones
        assert len(kept) <= len(full) and len(kept) >= int(len(full) * 0.8) - 1
    assert _pairs(head.views[0], tiny.num_users) != _pairs(head.views[1], tiny.num_users)


def test_node_drop_isolates_the_dropped_nodes(tiny, tiny_ctx):
    head = SGLHead(aug="nd", drop_ratio=0.25, seed=0)
    head.new_epoch(tiny_ctx)
    for view in head.views:
        deg = view.in_degree()
        assert int((deg[: tiny.num_users] == 0).sum()) >= int(tiny.num_users * 0.25)
        assert int((deg[tiny.num_users:] == 0).sum()) >= int(tiny.num_items * 0.25)
        assert _pairs(view, tiny.num_users) <= _pairs(tiny_ctx.adj, tiny.num_users)


def test_random_walk_draws_one_graph_per_layer(tiny_ctx):
    head = SGLHead(aug="rw", seed=0)
    head.new_epoch(tiny_ctx)
    v1, v2 = head.views
    assert isinstance(v1, list) and len(v1) == tiny_ctx.num_layers == len(v2)
    assert not torch.equal(v1[0].col, v1[1].col) or not torch.equal(v1[0].rowptr, v1[1].rowptr)


def test_views_change_every_epoch_and_are_required(tiny, tiny_ctx):
    head = SGLHead(seed=0)
    users, items = batch_of(tiny, 32)
    with pytest.raises(RuntimeError, match="new_epoch"):
        head(users, items, None, None, backbone=tiny_ctx)
    head.new_epoch(tiny_ctx)
    first = head.views[0]
    head.new_epoch(tiny_ctx)
    assert not (torch.equal(first.col, head.views[0].col) and torch.equal(first.rowptr, head.views[0].rowptr))


def test_all_node_negatives_sum_matches_info_nce(tiny, tiny_ctx):
    head = SGLHead(negatives="all", reduction="sum", seed=0)
    head.new_epoch(tiny_ctx)
    users, items = batch_of(tiny, 50)
    with torch.no_grad():
        (u1, i1), (u2, i2) = head.view_embeddings(tiny_ctx)
        got = head(users, items, None, None, backbone=tiny_ctx)
    uu, ii = torch.unique(users), torch.unique(items)
    expected = 0.1 * (info_nce(u1[uu], None, 0.2, candidates=u2, pos_index=uu, reduction="sum")
                      + info_nce(i1[ii], None, 0.2, candidates=i2, pos_index=ii, reduction="sum"))
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("aug", ["ed", "rw"])
def test_batch_rows_path_equals_full_views(tiny, tiny_ctx, aug):
    head = SGLHead(aug=aug, seed=0)
    head.new_epoch(tiny_ctx)
    users, items = batch_of(tiny, 80)
    ref = head.contrastive_loss(users, items, *head.view_embeddings(tiny_ctx))
    g_ref = torch.autograd.grad(ref, tiny_ctx.ego)[0]
    got = head(users, items, None, None, backbone=tiny_ctx)
    g_got = torch.autograd.grad(got, tiny_ctx.ego)[0]
    torch.testing.assert_close(got, ref)
    torch.testing.assert_close(g_got, g_ref)
