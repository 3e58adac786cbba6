"""The molecule pretext tasks as registered SSL methods, in MultiTask, and as pretrainers."""
import pytest
import torch

from mol_pretext_toys import corpus, molecule_batch, small_encoder

from graphssl.methods import build_method
from graphssl.molecules import MoleculeGIN, pretrain, pretrainer_names
from graphssl.molecules.pretext import (AttributeMasking, ContextPrediction, MoleculeGraphMAE, MotifPrediction,
                                        build_context_vocabulary, train_pretext)
from graphssl.multitask import MultiTask

SMALL = {"num_layers": 2, "hidden": 32}
METHODS = {"mol_attr_masking": {}, "mol_context_prediction": {"k": 2, "r1": 1, "r2": 3},
           "mol_motif_prediction": {}, "mol_dsla": {}, "mol_graphmae": {}, "mol_graphcl": {}}


@pytest.mark.parametrize("name", sorted(METHODS))
def test_registered_methods_give_losses_and_embeddings(name):
    b = molecule_batch()
    torch.manual_seed(0)
    method = build_method(name, 9, encoder_kwargs=SMALL, seed=0, **METHODS[name])
    loss = method.loss(b)
    assert loss.dim() == 0 and torch.isfinite(loss)
    loss.backward()
    assert any(p.grad is not None and float(p.grad.abs().sum()) > 0 for p in method.encoder.parameters())
    emb = method.embed(b)
    assert emb.shape == (b.num_graphs, 32) and method.training


def test_context_property_method_needs_vocab_and_trains():
    b = molecule_batch()
    vocab = build_context_vocabulary([b])
    method = build_method("mol_context_property", 9, encoder_kwargs=SMALL, seed=0, vocab=vocab)
    assert torch.isfinite(method.loss(b))
    with pytest.raises(ValueError):
        build_method("mol_context_property", 9, encoder_kwargs=SMALL)


@pytest.mark.parametrize("weighting", ["fixed", "mgda"])
def test_tasks_in_the_multitask_trainer(weighting):
    b = molecule_batch()
    enc = small_encoder()
    tasks = [AttributeMasking(9, 32), ContextPrediction(9, 32, k=2, r1=1, r2=3), MoleculeGraphMAE(9, 32),
             MotifPrediction(9, 32)]
    mt = MultiTask(enc, tasks=tasks, weighting=weighting, in_dim=9, emb_dim=32, seed=0)
    opt = torch.optim.Adam(mt.parameters(), lr=3e-3)
    first = None
    for _ in range(15):
        opt.zero_grad()
        total = mt.backward_step(b)
        first = float(total) if first is None else first
        opt.step()
    assert set(mt.last_losses) == {"mol_attr_masking", "mol_context_prediction", "mol_graphmae",
                                   "mol_motif_prediction"}
    assert float(total) < first


def test_pretrainers_registered_deterministic_and_loadable():
    names = pretrainer_names()
    for n in ("attr_masking", "context_prediction", "context_property", "motif_prediction", "grover", "dsla",
              "graphmae", "graphcl"):
        assert n in names
    ds = corpus()
    hist = []
    s1 = pretrain("attr_masking", ds, epochs=2, seed=0, batch_size=8, encoder_kwargs=SMALL, history=hist)
    s2 = pretrain("attr_masking", ds, epochs=2, seed=0, batch_size=8, encoder_kwargs=SMALL)
    s3 = pretrain("attr_masking", ds, epochs=2, seed=1, batch_size=8, encoder_kwargs=SMALL)
    assert len(hist) == 2 and all(torch.isfinite(torch.tensor(hist)))
    assert all(torch.equal(s1[k], s2[k]) for k in s1)
    assert any(not torch.equal(s1[k], s3[k]) for k in s1 if s1[k].is_floating_point())
    enc = MoleculeGIN(**SMALL)
    enc.load_state_dict(s1)
    init = pretrain("attr_masking", ds, epochs=0, seed=0, encoder_kwargs=SMALL)
    assert any(not torch.equal(s1[k], init[k]) for k in s1 if s1[k].is_floating_point())


@pytest.mark.parametrize("name", ["grover", "dsla", "graphcl", "context_prediction"])
def test_each_pretrainer_runs_an_epoch(name):
    ds = corpus()
    opts = {"k": 2, "r1": 1, "r2": 3} if name == "context_prediction" else {}
    hist = []
    state = pretrain(name, ds, epochs=1, seed=0, batch_size=10, encoder_kwargs=SMALL, history=hist, **opts)
    assert len(hist) == 1 and torch.isfinite(torch.tensor(hist[0]))
    MoleculeGIN(**SMALL).load_state_dict(state)


def test_train_pretext_lowers_the_loss():
    ds = corpus()
    torch.manual_seed(0)
    method = build_method("mol_graphmae", 9, encoder_kwargs=SMALL, seed=0)
    hist = train_pretext(method, ds, epochs=12, seed=0, batch_size=10, lr=3e-3)
    assert hist[-1] < hist[0]
    with pytest.raises(ValueError, match="epochs"):
        train_pretext(method, ds, epochs=-1)


def test_multitask_on_the_molecule_gin_embeds_molecules():
    b = molecule_batch()
    mt = MultiTask(small_encoder(), tasks=[AttributeMasking(9, 32), MotifPrediction(9, 32)], in_dim=9, emb_dim=32,
                   seed=0)
    emb = mt.embed(b)
    assert emb.shape == (b.num_graphs, 32) and mt.training
    mt.encoder.eval()
    torch.testing.assert_close(emb, mt.encoder.graph_embed(b))
