"""Attribute masking (Hu et al.) and GraphMAE on molecules."""
import pytest
import torch

from mol_pretext_toys import molecule_batch, small_encoder

from graphssl.molecules.features import MASK_ATOM, MASK_BOND
from graphssl.molecules.pretext import AttributeMasking, MoleculeGraphMAE, mask_atoms


def test_mask_atoms_counts_tokens_and_bonds():
    b = molecule_batch()
    m = mask_atoms(b, 0.15, torch.Generator().manual_seed(0))
    sizes = b.num_nodes_per_graph()
    assert torch.bincount(b.batch[m.atoms], minlength=b.num_graphs).tolist() == \
        torch.clamp(torch.floor(sizes * 0.15 + 1).long(), max=sizes).tolist()
    assert (m.x[m.atoms] == torch.tensor(MASK_ATOM)).all()
    untouched = torch.ones(b.num_nodes, dtype=torch.bool)
    untouched[m.atoms] = False
    assert torch.equal(m.x[untouched], b.x[untouched])
    # Masked edges are exactly those with a masked endpoint, in both directions.
    hit = set(m.atoms.tolist())
    g = b.graph
    expected = [e for e, (s, t) in enumerate(zip(g.col.tolist(), g.row().tolist())) if s in hit or t in hit]
    assert m.edges.tolist() == expected
    assert (m.edge_attr[m.edges] == torch.tensor(MASK_BOND)).all()
    keep = torch.ones(g.num_edges, dtype=torch.bool)
    keep[m.edges] = False
    assert torch.equal(m.edge_attr[keep], b.edge_attr[keep])


def test_mask_rate_is_respected_on_average():
    b = molecule_batch()
    gen = torch.Generator().manual_seed(1)
    m = mask_atoms(b, 0.5, gen, plus_one=False)
    sizes = b.num_nodes_per_graph()
    expect = torch.clamp(torch.floor(sizes * 0.5).long(), min=1)
    assert m.atoms.numel() == int(expect.sum())


@pytest.mark.parametrize("task_cls", [AttributeMasking, MoleculeGraphMAE])
def test_loss_finite_with_encoder_gradients_and_seeded(task_cls):
    b = molecule_batch()
    enc = small_encoder()
    torch.manual_seed(0)
    task = task_cls(9, enc.out_dim)
    loss = task.loss(enc, b, torch.Generator().manual_seed(5))
    assert torch.isfinite(loss)
    loss.backward()
    assert all(p.grad is not None for p in enc.atom_encoder.parameters())
    assert float(enc.convs[0].mlp[0].weight.grad.norm()) > 0
    again = task.loss(enc, b, torch.Generator().manual_seed(5))
    assert torch.allclose(loss, again)
    other = task.loss(enc, b, torch.Generator().manual_seed(6))
    assert not torch.allclose(loss, other)


def test_attr_masking_uses_mask_token_not_the_true_atom():
    # With the true atoms visible the head could read the type off the input; check that the
    # encoder receives the masked codes (the loss differs from an unmasked forward).
    b = molecule_batch()
    enc = small_encoder().eval()
    task = AttributeMasking(9, enc.out_dim).eval()
    m = mask_atoms(b, 0.15, torch.Generator().manual_seed(2))
    h_masked = enc(b, m.x, m.edge_attr)[m.atoms]
    h_plain = enc(b)[m.atoms]
    assert not torch.allclose(h_masked, h_plain)
    assert task.atom_head.out_features == 119


def test_graphmae_decoder_remasks_masked_rows():
    b = molecule_batch()
    enc = small_encoder()
    task = MoleculeGraphMAE(9, enc.out_dim)
    h = torch.randn(b.num_nodes, enc.out_dim)
    masked = torch.tensor([0, 5])
    out1 = task.decoder(b, h, b.edge_attr, masked)
    h2 = h.clone()
    h2[masked] = 1e3  # masked rows must not influence the decoding
    out2 = task.decoder(b, h2, b.edge_attr, masked)
    assert torch.allclose(out1, out2)
