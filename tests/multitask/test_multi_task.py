"""MultiTask: construction, the per-task gradient combination, the Trainer hook,
SSL methods as tasks."""
import pytest
import torch

from graphssl.methods import GraphMAE, build_method
from graphssl.multitask import MultiTask, ParetoGNN, PretextTask, min_norm_weights, normalize_gram
from graphssl.multitask.min_norm import gradient_normalizers
from graphssl.nn import build_encoder
from graphssl.train import Trainer

# Tasks whose loss has no randomness, so a step can be recomputed by hand.
DETERMINISTIC = ["node_property", "distance_to_clusters", "pairwise_attr_sim"]


def _mt(data, tasks, weighting, seed=0):
    torch.manual_seed(seed)
    enc = build_encoder("gcn", data.x.size(1), 16, 8, num_layers=2)
    opts = {"distance_to_clusters": {"num_clusters": 4}, "pairwise_attr_sim": {"num_anchors": 10, "k": 3}}
    return MultiTask(enc, tasks, weighting=weighting, task_options={k: v for k, v in opts.items() if k in tasks})


def _by_hand(mt, data):
    """Per-task encoder gradients and head gradients, one plain backward each."""
    shared = mt.shared_parameters()
    gs, heads, losses = [], [], []
    for task in mt.tasks.values():
        mt.zero_grad(set_to_none=True)
        loss = task.loss(mt.encoder, data, None)
        loss.backward()
        gs.append(torch.cat([p.grad.reshape(-1) for p in shared]))
        heads.append([p.grad.clone() for p in task.parameters()])
        losses.append(float(loss.detach()))
    mt.zero_grad(set_to_none=True)
    return torch.stack(gs), heads, losses


def test_mgda_step_sets_the_min_norm_combination(small):
    mt = _mt(small, DETERMINISTIC, "mgda")
    g, heads, losses = _by_hand(mt, small)
    gram = (g @ g.t()).double()
    w = min_norm_weights(normalize_gram(gram, gradient_normalizers(gram, losses, "l2")))
    total = mt.backward_step(small)
    assert float(total) == pytest.approx(sum(losses), rel=1e-5)
    got = torch.cat([p.grad.reshape(-1) for p in mt.shared_parameters()])
    assert torch.allclose(got, (w.float() @ g), rtol=1e-4, atol=1e-6)
    for task, expected in zip(mt.tasks.values(), heads):  # heads: their own loss's gradient, unscaled
        for p, e in zip(task.parameters(), expected):
            assert torch.allclose(p.grad, e, rtol=1e-5, atol=1e-7)
    assert list(mt.last_weights) == DETERMINISTIC
    assert sum(mt.last_weights.values()) == pytest.approx(1.0, abs=1e-6)


def test_fixed_weighting_step_equals_the_weighted_sum_backward(small):
    mt = _mt(small, DETERMINISTIC, {"name": "fixed", "weights": [1.0, 0.5, 2.0]})
    g, heads, _ = _by_hand(mt, small)
    mt.backward_step(small)
    got = torch.cat([p.grad.reshape(-1) for p in mt.shared_parameters()])
    assert torch.allclose(got, torch.tensor([1.0, 0.5, 2.0]) @ g, rtol=1e-4, atol=1e-6)
    for scale, task, expected in zip([1.0, 0.5, 2.0], mt.tasks.values(), heads):
        for p, e in zip(task.parameters(), expected):
            assert torch.allclose(p.grad, scale * e, rtol=1e-5, atol=1e-7)


def test_pcgrad_step_uses_the_projected_sum(small):
    mt = _mt(small, DETERMINISTIC, "pcgrad")
    g, _, _ = _by_hand(mt, small)
    from graphssl.multitask.weighting import pcgrad_coefficients
    mt.generator = torch.Generator().manual_seed(7)
    mt.backward_step(small)
    coef = pcgrad_coefficients((g @ g.t()).double(), torch.Generator().manual_seed(7)).sum(0)
    got = torch.cat([p.grad.reshape(-1) for p in mt.shared_parameters()])
    assert torch.allclose(got, coef.float() @ g, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("weighting", ["mgda", "pcgrad", "fixed", "uncertainty", {"name": "mgda", "normalization": "loss+"}])
def test_every_weighting_trains_through_the_trainer(small, weighting):
    tasks = ["feature_reconstruction", "graph_mi", "link_prediction", "node_property"]
    mt = MultiTask({"name": "gcn", "hidden_dim": 16, "out_dim": 8}, tasks, weighting=weighting,
                   in_dim=small.x.size(1), seed=0)
    hist = Trainer(mt, epochs=4, lr=0.01, progress=False).fit(small)
    assert len(hist.losses) == 4 and all(torch.isfinite(torch.tensor(hist.losses)))
    assert set(mt.last_losses) == set(tasks)
    assert mt.embed(small).shape == (small.x.size(0), 8)
    assert torch.isfinite(mt.loss(small))


def test_checkpoint_resume_reproduces_the_losses(small, tmp_path):
    def make():
        return MultiTask({"name": "gcn", "hidden_dim": 16, "out_dim": 8}, ["feature_reconstruction", "graph_mi"],
                         in_dim=small.x.size(1), seed=3)
    kw = dict(epochs=6, lr=0.01, progress=False, seed=0)
    straight = Trainer(make(), **kw).fit(small).losses
    ck = tmp_path / "mt.pt"
    Trainer(make(), checkpoint=ck, checkpoint_every=3, **{**kw, "epochs": 3}).fit(small)
    resumed = Trainer(make(), checkpoint=ck, **kw).fit(small).losses
    assert resumed == pytest.approx(straight, rel=1e-5)


def test_construction_errors(small):
    enc = build_encoder("gcn", 8, 16, 8)
    with pytest.raises(ValueError, match="non-empty list of tasks"):
        MultiTask(enc, [])
    with pytest.raises(ValueError, match="unknown pretext task 'jigsaw'"):
        MultiTask(enc, ["jigsaw"])
    with pytest.raises(ValueError, match="bad arguments for pretext task"):
        MultiTask(enc, [{"name": "graph_mi", "tau": 0.1}])
    with pytest.raises(ValueError, match="not in the task list"):
        MultiTask(enc, ["graph_mi"], task_options={"decorrelation": {}})
    with pytest.raises(ValueError, match="in_dim"):
        MultiTask({"name": "gcn", "hidden_dim": 8}, ["graph_mi"])
    mt = MultiTask(enc, ["graph_mi", "graph_mi"])
    assert mt.task_names == ["graph_mi", "graph_mi_2"]


class _Detached(PretextTask):
    name = "detached"

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(1))

    def loss(self, encoder, data, generator=None):
        return (self.w ** 2).sum()


def test_a_task_that_ignores_the_encoder_is_named(small):
    mt = MultiTask(build_encoder("gcn", 8, 16, 8), ["graph_mi", _Detached()])
    with pytest.raises(ValueError, match="'detached' does not depend on the shared encoder"):
        mt.backward_step(small)


def test_registered_methods_and_paretognn_defaults(small):
    mt = build_method("multitask", in_dim=8, encoder={"name": "gcn", "hidden_dim": 16, "out_dim": 8},
                      tasks=["node_property"], weighting="fixed")
    assert isinstance(mt, MultiTask) and mt.weighting.name == "fixed"
    p = build_method("paretognn", in_dim=8, encoder={"name": "gcn", "hidden_dim": 16, "out_dim": 8},
                     task_options={"subgraph_mi": {"max_nodes": 16}})
    assert isinstance(p, ParetoGNN) and p.weighting.name == "mgda"
    assert p.task_names == ["feature_reconstruction", "graph_mi", "decorrelation", "subgraph_mi", "link_prediction"]
    assert p.tasks["subgraph_mi"].max_nodes == 16
    assert float(p.backward_step(small)) == pytest.approx(sum(p.last_losses.values()), rel=1e-5)


def test_an_ssl_method_is_a_task_sharing_the_encoder(small):
    enc = build_encoder("gcn", 8, 16, 16, num_layers=2)
    mae = GraphMAE(8, hidden_dim=16, num_layers=2, encoder="gcn", decoder="gcn", seed=0)
    mt = MultiTask(enc, [mae, "graph_mi"], weighting="mgda", seed=0)
    assert mt.task_names == ["graphmae", "graph_mi"]
    assert mae.encoder is enc  # the method now trains the shared encoder
    mt.backward_step(small)
    assert all(p.grad is not None for p in enc.parameters())
    assert mae.encoder_to_decoder.weight.grad is not None  # its own head got its own gradient


def test_importing_the_methods_registers_the_multitask_methods():
    import subprocess
    import sys

    code = "from graphssl.methods import METHODS; assert 'paretognn' in METHODS and 'multitask' in METHODS"
    subprocess.run([sys.executable, "-c", code], check=True)
