"""GROVER's contextual property labels (hand-checked), the dictionary, motif labels."""
import pytest
import torch

from mol_pretext_toys import SMILES, corpus, molecule_batch, small_encoder

from graphssl.molecules.featurize import smiles_to_graph
from graphssl.molecules.pretext import (ContextualProperty, MotifPrediction, bond_context_keys, bond_context_label,
                                        build_context_vocabulary, context_keys, context_label, motif_labels,
                                        motif_names)
from graphssl.sparse import collate


def labels(smiles, k=1):
    item = smiles_to_graph(smiles)
    return [context_label(item.x, item.edge_attr, item.graph, i, k) for i in range(item.x.size(0))]


def test_context_labels_hand_checked():
    assert labels("CC(=O)O") == ["C_C-SINGLE1", "C_C-SINGLE1_O-DOUBLE1_O-SINGLE1", "O_C-DOUBLE1", "O_C-SINGLE1"]
    assert set(labels("c1ccccc1")) == {"C_C-AROMATIC2"}
    assert labels("ClC(Cl)Cl")[1] == "C_Cl-SINGLE3"
    assert labels("C#N") == ["C_N-TRIPLE1", "N_C-TRIPLE1"]
    # k = 2 adds the elements two hops away
    assert labels("CCO", k=2) == ["C_C-SINGLE1|2:O1", "C_C-SINGLE1_O-SINGLE1|2:", "O_C-SINGLE1|2:C1"]
    assert labels("CC(=O)O", k=2)[0] == "C_C-SINGLE1|2:O2"


@pytest.mark.parametrize("k", [1, 2, 3])
def test_hash_keys_agree_with_labels(k):
    b = molecule_batch()
    keys = context_keys(b.x, b.edge_attr, b.graph, k).tolist()
    names = [context_label(b.x, b.edge_attr, b.graph, i, k) for i in range(b.num_nodes)]
    by_key, by_name = {}, {}
    for key, name in zip(keys, names):
        assert by_key.setdefault(key, name) == name
        assert by_name.setdefault(name, key) == key


def test_vocabulary_counts_and_lookup():
    b = molecule_batch()
    vocab = build_context_vocabulary([b], k=1)
    names = [context_label(b.x, b.edge_attr, b.graph, i, 1) for i in range(b.num_nodes)]
    assert sorted(vocab.names) == sorted(set(names))
    assert int(vocab.counts.sum()) == b.num_nodes
    lab = vocab.labels(b)
    assert (lab > 0).all()
    assert [vocab.names[int(c) - 1] for c in lab] == names
    rare = build_context_vocabulary([b], k=1, min_count=2)
    singles = {n for n in set(names) if names.count(n) == 1}
    assert set(rare.names) == set(names) - singles
    new = collate([smiles_to_graph("FC(F)(F)F")])
    assert rare.labels(new).tolist() == [0] * 5  # unseen contexts -> the rare class


def test_vocabulary_from_corpus_batches_matches_single_batch():
    ds = corpus()
    v1 = build_context_vocabulary(ds.batches(batch_size=7), k=1)
    v2 = build_context_vocabulary([molecule_batch()], k=1)
    assert torch.equal(v1.keys, v2.keys) and torch.equal(v1.counts, v2.counts) and v1.names == v2.names


def test_motif_labels_hand_checked():
    names = motif_names()
    assert len(names) == 85 and names == sorted(names)
    y = motif_labels(["CCO", "CC(=O)O", "c1ccccc1", "CC(=O)Oc1ccccc1C(=O)O"])
    on = [{names[i] for i in row.nonzero().view(-1).tolist()} for row in y]
    assert on[0] == {"fr_Al_OH", "fr_Al_OH_noTert"}
    assert {"fr_COO", "fr_Al_COO"} <= on[1] and "fr_benzene" not in on[1]
    assert on[2] == {"fr_benzene"}
    assert {"fr_ester", "fr_benzene", "fr_COO", "fr_Ar_COO"} <= on[3]
    with pytest.raises(ValueError, match="cannot parse"):
        motif_labels(["not a smiles"])


def test_grover_tasks_train_and_need_labels():
    b = molecule_batch()
    enc = small_encoder()
    vocab = build_context_vocabulary([b], k=1)
    torch.manual_seed(0)
    prop = ContextualProperty(9, enc.out_dim, vocab=vocab, mask_rate=0.3)
    motif = MotifPrediction(9, enc.out_dim)
    params = list(enc.parameters()) + list(prop.parameters()) + list(motif.parameters())
    opt = torch.optim.Adam(params, lr=5e-3)
    fixed = lambda: torch.Generator().manual_seed(7)  # noqa: E731
    with torch.no_grad():
        before = (float(prop.loss(enc, b, fixed())), float(motif.loss(enc, b)))
    gen = torch.Generator().manual_seed(0)
    for _ in range(30):
        opt.zero_grad()
        (prop.loss(enc, b, gen) + motif.loss(enc, b)).backward()
        opt.step()
    with torch.no_grad():
        after = (float(prop.loss(enc, b, fixed())), float(motif.loss(enc, b)))
    assert after[0] < 0.7 * before[0] and after[1] < 0.7 * before[1]
    plain = collate([smiles_to_graph(s) for s in SMILES[:3]])
    with pytest.raises(ValueError, match="SMILES"):
        motif.loss(enc, plain)
    with pytest.raises(ValueError, match="ContextVocabulary"):
        ContextualProperty(9, 32)


def bond_labels(smiles):
    item = smiles_to_graph(smiles)
    g = item.graph
    return {(int(g.col[e]), int(g.row()[e])): bond_context_label(item.x, item.edge_attr, g, e)
            for e in range(g.num_edges)}


def test_bond_context_labels_hand_checked():
    acid = bond_labels("CC(=O)O")
    assert acid[(0, 1)] == acid[(1, 0)] == "SINGLE_C-DOUBLE1_C-SINGLE1"
    assert acid[(1, 2)] == "DOUBLE_C-SINGLE2"
    assert acid[(1, 3)] == "SINGLE_C-DOUBLE1_C-SINGLE1"
    assert set(bond_labels("c1ccccc1").values()) == {"AROMATIC_C-AROMATIC2"}
    assert set(bond_labels("C#N").values()) == {"TRIPLE"}


def test_bond_hash_keys_agree_with_labels_and_vocabulary():
    b = molecule_batch()
    keys = bond_context_keys(b.x, b.edge_attr, b.graph).tolist()
    names = [bond_context_label(b.x, b.edge_attr, b.graph, e) for e in range(b.num_edges)]
    by_key, by_name = {}, {}
    for key, name in zip(keys, names):
        assert by_key.setdefault(key, name) == name
        assert by_name.setdefault(name, key) == key
    vocab = build_context_vocabulary([b], kind="bond")
    assert vocab.kind == "bond" and sorted(vocab.names) == sorted(set(names))
    assert int(vocab.counts.sum()) == b.num_edges // 2  # counted once per bond
    lab = vocab.labels(b)
    assert lab.shape == (b.num_edges,) and [vocab.names[int(c) - 1] for c in lab] == names


def test_contextual_property_with_bond_vocabulary():
    b = molecule_batch()
    enc = small_encoder()
    atom, bond = build_context_vocabulary([b]), build_context_vocabulary([b], kind="bond")
    task = ContextualProperty(9, enc.out_dim, vocab=atom, bond_vocab=bond)
    only_atoms = ContextualProperty(9, enc.out_dim, vocab=atom)
    only_atoms.head = task.head
    gen = lambda: torch.Generator().manual_seed(1)  # noqa: E731
    with torch.no_grad():
        assert float(task.loss(enc, b, gen())) > float(only_atoms.loss(enc, b, gen()))
    with pytest.raises(ValueError, match="kind='bond'"):
        ContextualProperty(9, 32, vocab=atom, bond_vocab=atom)
