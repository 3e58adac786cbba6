"""Context prediction (Hu et al.): substructures, context rings, anchors and the loss."""
import pytest
import torch

from mol_pretext_toys import bfs, molecule_batch, small_encoder, train_steps

from graphssl.molecules.pretext import ContextPrediction, context_pairs


@pytest.mark.parametrize("k,r1,r2", [(2, 1, 3), (3, 1, 4), (5, 4, 7)])
def test_substructure_and_context_match_bfs(k, r1, r2):
    b = molecule_batch()
    pair = context_pairs(b, k, r1, r2, torch.Generator().manual_seed(0))
    centers = (pair.distance == 0).nonzero().view(-1)
    assert torch.equal(b.batch[centers], torch.arange(b.num_graphs))  # one centre per molecule
    kept = []
    for g_id, c in enumerate(centers.tolist()):
        ref = bfs(b.graph, c)
        sub = sorted(a for a, d in ref.items() if d <= k)
        ctx = sorted(a for a, d in ref.items() if r1 < d <= r2)
        anchors = sorted(a for a, d in ref.items() if r1 < d <= k)
        if anchors:
            kept.append((g_id, c, sub, ctx, anchors))
    assert pair.graphs.tolist() == [g for g, *_ in kept]
    sub_sizes = pair.substruct.num_nodes_per_graph().tolist()
    ctx_sizes = pair.context.num_nodes_per_graph().tolist()
    anchor_counts = torch.bincount(pair.anchor_graph, minlength=len(kept)).tolist()
    for i, (g_id, c, sub, ctx, anchors) in enumerate(kept):
        assert sub_sizes[i] == len(sub) and ctx_sizes[i] == len(ctx) and anchor_counts[i] == len(anchors)
        # the centre's row in the substructure batch is the centre atom
        row = int(pair.center[i]) - int(pair.substruct.ptr[i])
        assert sub[row] == c
    assert pair.substruct.x.shape[0] == sum(len(s) for _, _, s, _, _ in kept)


def test_context_radii_validated():
    with pytest.raises(ValueError, match="r1"):
        ContextPrediction(9, 32, k=2, r1=2, r2=4)


def test_context_loss_gradients_seed_and_learning():
    b = molecule_batch()
    enc = small_encoder(layers=2)
    torch.manual_seed(0)
    task = ContextPrediction(9, enc.out_dim, k=2, r1=1, r2=3)
    loss = task.loss(enc, b, torch.Generator().manual_seed(1))
    assert torch.isfinite(loss)
    loss.backward()
    assert float(enc.convs[-1].mlp[0].weight.grad.norm()) > 0
    assert any(p.grad is not None and float(p.grad.norm()) > 0 for p in task.context_encoder.parameters())
    assert torch.allclose(loss, task.loss(enc, b, torch.Generator().manual_seed(1)))
    # a few steps lower the loss on fixed draws
    train_steps(task, enc, b)
    after = task.loss(enc, b, torch.Generator().manual_seed(1))
    assert float(after.detach()) < float(loss.detach()) * 0.8
