import re

import pytest
import torch
from torch import nn

from graphssl.methods.base import SSLMethod
from graphssl.sparse import Graph, spmm
from graphssl.train import Trainer


class _AutoEncoder(SSLMethod):
    """A tiny graph autoencoder: reconstruct x from one propagated linear layer."""

    def __init__(self, in_dim: int) -> None:
        super().__init__()
        self.enc = nn.Linear(in_dim, 4)
        self.dec = nn.Linear(4, in_dim)

    def loss(self, data):
        h = torch.relu(spmm(data.graph, self.enc(data.x), "mean"))
        return ((self.dec(h) - data.x) ** 2).mean()

    def embed(self, data):
        return spmm(data.graph, self.enc(data.x), "mean")


class _Data:
    def __init__(self, seed=0):
        gen = torch.Generator().manual_seed(seed)
        ei = torch.randint(0, 30, (2, 90), generator=gen)
        self.graph = Graph.from_edge_index(ei, 30).to_undirected()
        self.x = torch.randn(30, 6, generator=gen)


def test_loss_decreases():
    hist = Trainer(_AutoEncoder(6), epochs=60, lr=0.02, progress=False).fit(_Data())
    assert hist.losses[-1] < 0.8 * hist.losses[0]


class _Crash(_AutoEncoder):
    """Fails on its 6th loss call, as a job killed mid-training."""

    calls = 0

    def loss(self, data):
        _Crash.calls += 1
        if _Crash.calls == 6:
            raise KeyboardInterrupt
        return super().loss(data)


def test_checkpoint_resumes_to_the_same_losses(tmp_path):
    data = _Data()
    kw = dict(epochs=10, lr=0.01, scheduler="cosine", progress=False, seed=0)
    straight = Trainer(_AutoEncoder(6), **kw).fit(data)
    ck = tmp_path / "ck.pt"
    with pytest.raises(KeyboardInterrupt):
        Trainer(_Crash(6), checkpoint=ck, checkpoint_every=5, **kw).fit(data)
    resumed = Trainer(_AutoEncoder(6), checkpoint=ck, **kw).fit(data)
    assert resumed.losses == pytest.approx(straight.losses, rel=1e-5)


def test_a_finished_cosine_run_extends_along_the_longer_schedule(tmp_path):
    data = _Data()
    ck = tmp_path / "ck.pt"
    torch.manual_seed(0)
    short = Trainer(_AutoEncoder(6), epochs=2, lr=0.01, scheduler="cosine", progress=False, seed=0, checkpoint=ck)
    short.fit(data)
    assert short.optimizer.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)  # the 2-epoch schedule's end
    before = {k: v.clone() for k, v in short.method.state_dict().items()}
    longer = Trainer(_AutoEncoder(6), epochs=4, lr=0.01, scheduler="cosine", progress=False, seed=0, checkpoint=ck)
    longer.load(ck)
    assert longer.optimizer.param_groups[0]["lr"] == pytest.approx(0.005)  # epoch 2 of 4: (1 + cos(pi/2)) / 2
    hist = longer.fit(data)
    assert len(hist.losses) == 4
    assert any(not torch.equal(v, longer.method.state_dict()[k]) for k, v in before.items())


def test_checkpoint_keeps_the_validation_selection(tmp_path):
    """A run that selects its weights on a validation score resumes with its best score,
    best weights and patience count, and ends as the uninterrupted run does."""
    data = _Data()

    def scores():  # a score per epoch, the same sequence in every run
        return iter([0.2, 0.9, 0.3, 0.4, 0.1, 0.1, 0.1, 0.5])

    kw = dict(epochs=8, lr=0.01, progress=False, seed=0, validate_every=1, patience=4)

    def model(cls=_AutoEncoder):  # the same initial weights in every run
        torch.manual_seed(0)
        return cls(6)

    s = scores()
    straight = Trainer(model(), validate=lambda m: next(s), **kw)
    hist = straight.fit(data)
    assert hist.stopped_early and hist.best_epoch == 1
    ck = tmp_path / "ck.pt"
    s = scores()
    _Crash.calls = 0
    with pytest.raises(KeyboardInterrupt):  # dies in its 6th epoch, after the checkpoint of epoch 4
        Trainer(model(_Crash), validate=lambda m: next(s), checkpoint=ck, checkpoint_every=2, **kw).fit(data)
    s = scores()
    for _ in range(4):  # the resumed run scores epochs 5.. (the validation callback is the user's)
        next(s)
    resumed = Trainer(model(), validate=lambda m: next(s), checkpoint=ck, **kw)
    rhist = resumed.fit(data)
    assert rhist.stopped_early and rhist.best_epoch == 1 and rhist.losses == pytest.approx(hist.losses, rel=1e-5)
    for a, b in zip(straight.method.state_dict().values(), resumed.method.state_dict().values()):
        torch.testing.assert_close(a, b)  # the best epoch's weights, carried through the checkpoint
    again = Trainer(model(), validate=lambda m: 1.0, checkpoint=ck, **kw)  # finished: stays so
    assert again.fit(data).losses == rhist.losses


def test_early_stopping_restores_best_weights():
    data = _Data()
    scores = iter([0.5, 0.9, 0.1, 0.1, 0.1, 0.1])
    t = Trainer(_AutoEncoder(6), epochs=60, lr=0.01, progress=False, validate=lambda m: next(scores),
                validate_every=1, patience=3)
    hist = t.fit(data)
    assert hist.stopped_early and hist.best_epoch == 1 and len(hist.losses) == 5


def test_bad_settings_raise():
    with pytest.raises(ValueError, match="optimizer"):
        Trainer(_AutoEncoder(6), optimizer="rmsprop2")
    with pytest.raises(ValueError, match="scheduler"):
        Trainer(_AutoEncoder(6), scheduler="step")
    with pytest.raises(ValueError, match="lr"):
        Trainer(_AutoEncoder(6), lr=0)


@pytest.mark.parametrize("kw, match", [
    ({"lr": "abc"}, "lr must be a number, got 'abc'"),
    ({"lr": float("nan")}, "lr must be"),
    ({"epochs": 2.5}, "epochs must be an integer, got 2.5"),
    ({"epochs": "10"}, "epochs must be an integer"),
    ({"epochs": True}, "epochs must be an integer"),
    ({"weight_decay": -1e-4}, "weight_decay must be >= 0 (non-negative)"),
    ({"grad_clip": 0}, "grad_clip must be > 0 (positive)"),
    ({"checkpoint_every": 0}, "checkpoint_every must be >= 1, got 0"),
    ({"validate_every": 0}, "validate_every must be >= 1, got 0"),
    ({"patience": 0}, "patience must be >= 1, got 0"),
])
def test_config_values_of_the_wrong_type_or_range_name_the_option(kw, match):
    # a YAML typo ("lr: 1e-3x") arrives as a string: a ValueError naming the option, not a TypeError
    with pytest.raises(ValueError, match=re.escape(match)):
        Trainer(_AutoEncoder(6), progress=False, **kw)


def test_load_rejects_a_foreign_file(tmp_path):
    bad = tmp_path / "x.pt"
    torch.save({"not": "a checkpoint"}, bad)
    with pytest.raises(ValueError, match="not a checkpoint"):
        Trainer(_AutoEncoder(6), progress=False).load(bad)
    with pytest.raises(FileNotFoundError):
        Trainer(_AutoEncoder(6), progress=False).load(tmp_path / "missing.pt")


def test_fit_over_an_iterable_of_batches():
    batches = [_Data(seed=s) for s in range(3)]
    hist = Trainer(_AutoEncoder(6), epochs=40, lr=0.02, progress=False).fit(batches)
    assert len(hist.losses) == 40 and hist.losses[-1] < hist.losses[0]
    with pytest.raises(ValueError, match="no batch"):
        Trainer(_AutoEncoder(6), epochs=1, progress=False).fit([])
