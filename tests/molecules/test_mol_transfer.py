"""Transfer protocol: masked BCE, fine-tuning learns on a real subset, best-valid selection,
determinism per seed, pretrained states loaded (and rejected when they do not fit)."""
import math

import pytest
import torch
import torch.nn.functional as F

pytest.importorskip("rdkit")

from graphssl.molecules import MoleculeGIN, finetune, masked_bce, summarize_results  # noqa: E402
from graphssl.molecules.transfer import _load_state  # noqa: E402

SMALL = {"num_layers": 2, "hidden": 32, "dropout": 0.1}


def test_masked_bce_ignores_missing_labels():
    logits = torch.tensor([[0.5, -1.0], [2.0, 0.3], [-0.7, 1.1]], requires_grad=True)
    y = torch.tensor([[1.0, float("nan")], [0.0, 1.0], [float("nan"), float("nan")]])
    loss = masked_bce(logits, y)
    ref = F.binary_cross_entropy_with_logits(torch.stack([logits[0, 0], logits[1, 0], logits[1, 1]]),
                                             torch.tensor([1.0, 0.0, 1.0]))
    torch.testing.assert_close(loss, ref)
    loss.backward()
    assert logits.grad[2].abs().sum() == 0 and logits.grad[0, 1] == 0
    empty = masked_bce(logits, torch.full_like(y, float("nan")))
    assert float(empty.detach()) == 0.0 and empty.requires_grad
    with pytest.raises(ValueError, match="same shape"):
        masked_bce(logits, y[:2])


def test_finetune_learns_and_selects_by_valid(small_molecules):
    torch.set_num_threads(1)
    ds = small_molecules("bbbp", 300)
    res = finetune(None, ds, seeds=[0], epochs=8, encoder_kwargs=SMALL, batch_size=32)
    (r,) = res
    h = r.history
    assert len(h) == 8 and r.metric == "rocauc" and not r.pretrained
    assert h[-1]["loss"] < h[0]["loss"]
    valids = [e["valid"] for e in h]
    assert r.valid == max(valids) and r.best_epoch == valids.index(max(valids)) + 1
    assert r.test == h[r.best_epoch - 1]["test"] and r.final_test == h[-1]["test"]
    assert r.valid > 0.7  # BBBP's valid molecules are easy; a constant predictor gives 0.5


def test_finetune_deterministic_per_seed_and_pretrained_state(small_molecules):
    torch.set_num_threads(1)
    ds = small_molecules("bace", 120)
    rng_before = torch.get_rng_state()
    a = finetune(None, ds, seeds=[3, 4], epochs=2, encoder_kwargs=SMALL)
    assert torch.equal(torch.get_rng_state(), rng_before)  # the caller's RNG is untouched
    b = finetune(None, ds, seeds=[3], epochs=2, encoder_kwargs=SMALL)
    assert a[0].history == b[0].history and a[0].history != a[1].history
    torch.manual_seed(0)
    state = MoleculeGIN(**SMALL).state_dict()
    p = finetune(state, ds, seeds=[3], epochs=2, encoder_kwargs=SMALL)[0]
    assert p.pretrained and p.history != b[0].history
    s = summarize_results(a)
    assert s["n"] == 2 and math.isclose(s["mean"], (a[0].test + a[1].test) / 2)


def test_load_state_checks_fit():
    torch.manual_seed(0)
    src, dst = MoleculeGIN(**SMALL), MoleculeGIN(**SMALL)
    assert _load_state(dst, src.state_dict())
    for k, v in src.state_dict().items():
        assert torch.equal(dst.state_dict()[k], v)
    with pytest.raises(ValueError, match="does not fit"):
        _load_state(MoleculeGIN(num_layers=3, hidden=32), src.state_dict())
    with pytest.raises(ValueError, match="state_dict"):
        _load_state(dst, 42)
    assert not _load_state(dst, None)


def test_finetune_bad_arguments(small_molecules):
    ds = small_molecules("bace", 120)
    with pytest.raises(ValueError, match="seed"):
        finetune(None, ds, seeds=[])
    with pytest.raises(ValueError, match="epochs"):
        finetune(None, ds, seeds=[0], epochs=0)
    with pytest.raises(ValueError, match="no split"):
        finetune(None, ds[torch.arange(10)], seeds=[0], epochs=1)
