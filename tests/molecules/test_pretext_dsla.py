"""D-SLA: perturbation statistics (edit distances, masking, locality) and the losses."""
import torch

from mol_pretext_toys import bfs, bond_set, molecule_batch, small_encoder, train_steps

from graphssl.molecules.features import MASK_ATOM
from graphssl.molecules.pretext import DSLA, perturb_molecules
from graphssl.molecules.pretext.common import reverse_edges


def _bonds_of(batch, graph_id, offset):
    g = batch.graph
    lo, hi = int(batch.edge_ptr[graph_id]), int(batch.edge_ptr[graph_id + 1])
    return {(int(s) - offset, int(t) - offset): tuple(a) for s, t, a in
            zip(g.col[lo:hi], g.row()[lo:hi], batch.edge_attr[lo:hi].tolist())}


def test_perturbation_edit_distances_masks_and_locality():
    b = molecule_batch()
    c, k, strength = 4, 3, 0.2
    pert = perturb_molecules(b, c, k, strength, 0.8, torch.Generator().manual_seed(0))
    out = pert.batch
    assert out.num_graphs == c * b.num_graphs
    reverse_edges(out.graph)  # every candidate stays symmetric
    orig_all = bond_set(b.graph, b.edge_attr)
    sub = pert.subgraph
    for m in range(b.num_graphs):
        n0, n1 = int(b.ptr[m]), int(b.ptr[m + 1])
        orig = {(s - n0, t - n0): a for (s, t), a in orig_all.items() if n0 <= s < n1}
        sub_atoms = {a - n0 for a in range(n0, n1) if bool(sub[a])}
        sub_bonds = sum(1 for (s, t) in orig if s < t and s in sub_atoms and t in sub_atoms)
        n_sub = len(sub_atoms)
        free = n_sub * (n_sub - 1) // 2 - sub_bonds
        p = max(1, int(sub_bonds * strength))
        # the subgraph is the k-hop ball of some atom
        assert any(set(a - n0 for a, d in bfs(b.graph, cc).items() if d <= k) == sub_atoms for cc in range(n0, n1))
        for cand in range(c):
            gid = cand * b.num_graphs + m
            offset = int(out.ptr[gid])
            now = _bonds_of(out, gid, offset)
            removed = {e for e in orig if e not in now}
            added = {e for e in now if e not in orig}
            assert len(removed) == 2 * int(pert.removed[m, cand]) and len(added) == 2 * int(pert.added[m, cand])
            assert int(pert.edit_distance[m, cand]) == (len(removed) + len(added)) // 2
            expect_r = 0 if cand == 0 else min(cand * p, sub_bonds)
            expect_a = 0 if cand == 0 else min(cand * p, free)
            assert int(pert.removed[m, cand]) == expect_r and int(pert.added[m, cand]) == expect_a
            for s, t in removed | added:  # edits stay inside the subgraph
                assert s in sub_atoms and t in sub_atoms
            for e in added:
                assert now[e][0] in (0, 1, 2, 3) and now[e][1:] == (0, 0)
            for e in orig.keys() & now.keys():
                assert now[e] == orig[e]
            x = out.x[offset:offset + n1 - n0]
            masked = (x == torch.tensor(MASK_ATOM)).all(1)
            assert int(masked.sum()) == int(n_sub * 0.8)
            assert all(int(i) in sub_atoms for i in masked.nonzero().view(-1))
            assert torch.equal(x[~masked], b.x[n0:n1][~masked])


def test_dsla_losses_gradients_seed_and_learning():
    b = molecule_batch()
    enc = small_encoder()
    torch.manual_seed(0)
    task = DSLA(9, enc.out_dim)
    with torch.no_grad():
        parts = task.losses(enc, b, torch.Generator().manual_seed(3))
    assert all(torch.isfinite(v) for v in parts.values())
    assert float(parts["edit"]) > 0 and float(parts["margin"]) > 0
    total = task.loss(enc, b, torch.Generator().manual_seed(3))
    total.backward()
    assert float(enc.convs[0].mlp[0].weight.grad.norm()) > 0
    assert torch.allclose(total, task.loss(enc, b, torch.Generator().manual_seed(3)))
    train_steps(task, enc, b)
    with torch.no_grad():
        after = task.losses(enc, b, torch.Generator().manual_seed(3))
        final = float(task.loss(enc, b, torch.Generator().manual_seed(3)))
    assert float(after["gd"]) < float(parts["gd"]) and final < float(total.detach())


def test_edit_loss_is_zero_when_distances_are_proportional():
    task = DSLA(9, 4)
    rep = torch.zeros(2, 4, 4)
    edit = torch.tensor([[0, 2, 4, 6], [0, 1, 2, 3]]).float()
    for c in range(1, 4):
        rep[:, c, 0] = edit[:, c] * 0.5
    dist = (rep[:, 1:] - rep[:, :1]).norm(dim=-1)
    ratio = dist / edit[:, 1:]
    assert torch.allclose(ratio[:, task._pairs[0]], ratio[:, task._pairs[1]])
