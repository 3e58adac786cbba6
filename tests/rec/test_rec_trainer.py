"""graphssl/rec/trainer.py: learning on real data, the head contract, early stopping on
validation only, reproducibility, saved embeddings."""
import math

import pytest
import torch
from torch import nn

from graphssl.rec import LightGCN, MF, RecTrainer, build_backbone, load_embeddings, save_embeddings


def test_lightgcn_learns_on_gowalla_slice(gowalla_2000):
    d = gowalla_2000
    tr = RecTrainer(build_backbone("lightgcn", d, seed=0), d, epochs=2, max_steps_per_epoch=5, progress=False)
    before = tr.evaluate("test")["recall@20"]
    hist = tr.fit()
    after = tr.evaluate("test")["recall@20"]
    assert before < 0.005
    assert after > 0.03 and after > 10 * before, (before, after)
    assert hist.losses[1] < hist.losses[0] and len(hist.epoch_seconds) == 2
    assert hist.evals == [] and hist.best_epoch == 2  # no validation split: nothing is selected on test


@pytest.mark.parametrize("model", ["lightgcn", "mf", "sgl", "simgcl", "xsimgcl", "ncl"])
def test_batch_rows_step_equals_the_full_step(small, model):
    """Without heads that read the full tables the step propagates at its batch's rows only:
    same loss and gradients as the full propagation."""
    from graphssl.rec.pipeline import build_trainer
    tr, _ = build_trainer(small, model, seed=0)
    assert tr.batch_rows_only == (model != "ncl")  # NCL reads the host's layers
    for head in tr.heads:
        head.new_epoch(tr.backbone)
    users, pos, neg = next(iter(tr.sampler))
    out = []
    for flag in (True, False):
        tr.batch_rows_only = flag
        for head in tr.heads:
            head._generators.clear()  # the same noise (SimGCL) in both steps
        tr.optimizer.zero_grad(set_to_none=True)
        loss = tr.loss(users, pos, neg)
        loss.backward()
        out.append((loss.detach(), tr.backbone.ego.grad.clone()))
    torch.testing.assert_close(out[0][0], out[1][0])
    torch.testing.assert_close(out[0][1], out[1][1])


class RecordingHead(nn.Module):
    """A head that checks what it is given and adds weight * ||ego||^2."""

    def __init__(self, use_propagate=False):
        super().__init__()
        self.weight = nn.Parameter(torch.tensor(0.01))
        self.calls, self.epochs, self.views_seen = 0, 0, []
        if use_propagate:
            self.propagate = self._propagate

    def new_epoch(self, backbone=None, generator=None):
        assert not torch.is_grad_enabled()
        self.epochs += 1

    def _propagate(self, backbone):
        u, i = backbone()
        return u * 1.0, i * 1.0, {"tag": "mine"}

    def forward(self, users, pos_items, user_emb, item_emb, backbone=None, views=None):
        assert users.shape == pos_items.shape and users.dtype == torch.long
        assert user_emb.shape == (backbone.num_users, backbone.dim)
        assert item_emb.shape == (backbone.num_items, backbone.dim)
        self.calls += 1
        self.views_seen.append(views)
        return self.weight * backbone.ego.pow(2).sum() * 1e-3


@pytest.mark.parametrize("use_propagate", [False, True])
def test_head_contract(small, use_propagate):
    head = RecordingHead(use_propagate)
    bb = LightGCN(small.num_users, small.num_items, small.adj, dim=8, num_layers=2, seed=0)
    tr = RecTrainer(bb, small, [head], epochs=3, batch_size=64, progress=False)
    w0 = head.weight.detach().clone()
    tr.fit()
    steps = 3 * len(tr.sampler)
    assert head.epochs == 3 and head.calls == steps
    assert not torch.equal(head.weight.detach(), w0)  # head parameters are optimised too
    assert head.views_seen == ([{"tag": "mine"}] * steps if use_propagate else [None] * steps)
    with pytest.raises(ValueError, match="at most one head"):
        RecTrainer(bb, small, [RecordingHead(True), RecordingHead(True)])


def test_early_stopping_selects_on_validation(small):
    d = small.with_validation(0.3, seed=0)
    bb = MF(d.num_users, d.num_items, dim=8, seed=0)
    tr = RecTrainer(bb, d, epochs=30, batch_size=32, lr=0.05, eval_every=1, ks=(5,), monitor="recall@5",
                    patience=3, log_test=True, progress=False, on_eval=lambda rec: seen.append(dict(rec)))
    seen = []
    hist = tr.fit()
    assert seen == hist.evals  # on_eval saw every record as it came
    scores = [e["val_recall@5"] for e in hist.evals]
    assert len(scores) == len(hist.losses) and all("test_recall@5" in e for e in hist.evals)
    assert hist.best_epoch == hist.evals[scores.index(max(scores))]["epoch"]
    assert tr.evaluate("val")["recall@5"] == pytest.approx(max(scores))  # best weights restored
    if hist.stopped_early:
        assert len(scores) - 1 - scores.index(max(scores)) == 3


def test_reproducible_and_saved(small, tmp_path):
    def run():
        bb = LightGCN(small.num_users, small.num_items, small.adj, dim=8, num_layers=2, seed=3)
        tr = RecTrainer(bb, small, epochs=2, batch_size=50, seed=7, progress=False)
        tr.fit()
        return tr
    a, b = run(), run()
    ua, ia = a.embeddings()
    ub, ib = b.embeddings()
    assert torch.equal(ua, ub) and torch.equal(ia, ib)
    for name in ("emb.pt", "emb.npz"):
        p = a.save_embeddings(tmp_path / name)
        u, i = load_embeddings(p)
        assert torch.equal(u, ua) and torch.equal(i, ia)
    torch.save(torch.zeros(2), tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="does not hold"):
        load_embeddings(tmp_path / "bad.pt")
    with pytest.raises(FileNotFoundError):
        load_embeddings(tmp_path / "missing.pt")
    assert save_embeddings(ua, ia, tmp_path / "x" / "e.pt").is_file()


@pytest.mark.parametrize("model", ["lightgcn", "simgcl", "sgl"])
def test_checkpoint_resumes_to_the_uninterrupted_run(small, tmp_path, model):
    """Stopping after 3 epochs and resuming from the checkpoint in a new trainer gives the
    same losses, evaluations and weights as 5 epochs in one go (sampling, the heads' noise
    and dropped edges, the optimiser and early stopping all continue)."""
    from graphssl.rec.pipeline import build_trainer
    d = small.with_validation(0.2, seed=0)
    cfg = {"train": {"epochs": 5, "batch_size": 64, "eval_every": 1, "patience": 10}}

    def trainer(epochs, ckpt=None):
        train = dict(cfg["train"], epochs=epochs, checkpoint=ckpt, checkpoint_every=2)
        return build_trainer(d, model, {**cfg, "train": train}, seed=1, log_test=True)[0]

    full = trainer(5)
    full.fit()
    ckpt = tmp_path / "run.pt"
    first = trainer(3, ckpt)
    first.fit()
    assert ckpt.is_file() and not (tmp_path / "run.pt.tmp").exists()
    resumed = trainer(5, ckpt)
    hist = resumed.fit()
    assert resumed.epoch == 5 and hist.losses == full.history.losses
    assert hist.evals == full.history.evals and hist.best_epoch == full.history.best_epoch
    for a, b in zip(full.embeddings(), resumed.embeddings()):
        torch.testing.assert_close(a, b)
    again = trainer(5, ckpt)  # a finished run loads and stops at once
    assert again.fit().losses == hist.losses


def test_checkpoint_of_a_run_without_evaluations(small, tmp_path):
    """No validation split and no test logging: checkpoints are still written every
    checkpoint_every epochs, and a run killed mid-way resumes to the uninterrupted one."""
    def trainer(ckpt=None):
        bb = LightGCN(small.num_users, small.num_items, small.adj, dim=8, num_layers=2, seed=3)
        return RecTrainer(bb, small, epochs=4, batch_size=64, seed=7, progress=False, checkpoint=ckpt,
                          checkpoint_every=1)

    straight = trainer()
    straight.fit()
    ckpt = tmp_path / "plain.pt"
    killed = trainer(ckpt)
    real, calls = killed.train_epoch, []

    def dies_in_epoch_3():
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real()

    killed.train_epoch = dies_in_epoch_3
    with pytest.raises(KeyboardInterrupt):
        killed.fit()
    assert torch.load(ckpt, weights_only=False)["epoch"] == 2
    resumed = trainer(ckpt)
    assert resumed.fit().losses == straight.history.losses
    for a, b in zip(straight.embeddings(), resumed.embeddings()):
        torch.testing.assert_close(a, b)


def test_checkpoint_errors_name_the_file(small, tmp_path):
    bb = MF(small.num_users, small.num_items, dim=8, seed=0)
    tr = RecTrainer(bb, small, epochs=1, batch_size=64, progress=False)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        tr.load(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="junk.pt is not a readable checkpoint"):
        tr.load(tmp_path / "junk.pt")
    torch.save({"epoch": 3}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a graphssl recommendation checkpoint"):
        tr.load(tmp_path / "other.pt")
    wider = RecTrainer(MF(small.num_users, small.num_items, dim=16, seed=0), small, epochs=1, progress=False)
    wider.save(tmp_path / "wide.pt")
    with pytest.raises(ValueError, match="another model or dataset"):
        tr.load(tmp_path / "wide.pt")
    with pytest.raises(ValueError, match="checkpoint_every must be >= 1"):
        RecTrainer(bb, small, checkpoint_every=0, progress=False)


def test_softmax_and_settings(small):
    bb = MF(small.num_users, small.num_items, dim=8, seed=0)
    tr = RecTrainer(bb, small, epochs=3, batch_size=64, main_loss="softmax", num_negatives=2, lr=0.01,
                    progress=False)
    hist = tr.fit()
    assert all(math.isfinite(v) for v in hist.losses) and hist.losses[-1] < hist.losses[0]
    for kw, msg in [({"main_loss": "hinge"}, "main_loss"), ({"main_loss": "none"}, "needs at least one head"),
                    ({"lr": 0}, "lr"), ({"eval_every": 0}, "eval_every"), ({"num_negatives": 0}, "num_negatives"),
                    ({"lr": float("nan")}, "lr must be finite"), ({"batch_size": 0}, "batch_size must be >= 1"),
                    ({"epochs": 2.5}, "epochs must be an integer"), ({"patience": 0}, "patience must be >= 1"),
                    ({"reg": -1e-4}, r"reg must be >= 0"), ({"softmax_temperature": 0}, "softmax_temperature")]:
        with pytest.raises(ValueError, match=msg):
            RecTrainer(bb, small, **kw)


@pytest.mark.parametrize("name", ["ncl", "lightgcl"])
def test_layer_heads_reuse_the_backbone_layers(small, name):
    """NCL and LightGCL get the step's clean layers instead of propagating again, and the loss
    is the one they compute on their own."""
    from graphssl.rec.heads import LightGCLHead, NCLHead
    head = NCLHead(num_clusters=4, seed=0) if name == "ncl" else LightGCLHead(rank=3, seed=0)
    bb = LightGCN(small.num_users, small.num_items, small.adj, dim=8, num_layers=2, seed=0)
    tr = RecTrainer(bb, small, [head], epochs=1, batch_size=64, progress=False)
    seen = []
    original = head.forward

    def spy(*args, **kwargs):
        seen.append(kwargs.get("layers"))
        return original(*args, **kwargs)

    head.forward = spy
    with torch.no_grad():
        head.new_epoch(bb)
    users, pos, neg = next(iter(tr.sampler))
    with torch.no_grad():
        tr.loss(users, pos, neg)
        u, i = bb()
        alone = original(users, pos, u, i, backbone=bb)
        given = original(users, pos, u, i, backbone=bb, layers=seen[0])
    assert seen[0] is not None and len(seen[0]) == 3  # E_0..E_2 of the step's propagation
    torch.testing.assert_close(given, alone)


def test_views_at_rows_must_hold_the_batch(small):
    from graphssl.rec.pipeline import build_trainer
    for model in ("simgcl", "xsimgcl"):
        tr, _ = build_trainer(small, model, seed=0)
        head = tr.heads[0]
        _, _, views = head.propagate(tr.backbone, rows=torch.tensor([0, 1]))
        with pytest.raises(ValueError, match="must hold every user"):
            head(torch.tensor([0, 5]), torch.tensor([0, 1]), None, None, backbone=tr.backbone, views=views)
