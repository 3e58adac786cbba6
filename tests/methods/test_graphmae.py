"""GraphMAE: unit behaviour on small graphs, bad configs, and a short real run on Cora."""
import pytest
import torch

from graphssl.config import load_config, merge
from graphssl.methods import GraphMAE, GraphMAE2, build_method
from graphssl.pipeline import NodeInput
from graphssl.sparse import Graph
from graphssl.train import Trainer


def _toy(seed=0, n=60, f=12):
    gen = torch.Generator().manual_seed(seed)
    g = Graph.from_edge_index(torch.randint(0, n, (2, 4 * n), generator=gen), n).to_undirected().add_self_loops()
    return NodeInput(g, torch.rand(n, f, generator=gen))


def test_masking_rates_and_token():
    m = GraphMAE(in_dim=12, hidden_dim=16, heads=2, mask_rate=0.5, replace_rate=0.2, seed=0)
    with torch.no_grad():
        m.enc_mask_token.fill_(7.0)
    x = torch.rand(100, 12)
    out, mask, keep = m.mask_features(x)
    assert mask.numel() == 50 and keep.numel() == 50
    assert torch.equal(torch.sort(torch.cat([mask, keep])).values, torch.arange(100))
    assert torch.equal(out[keep], x[keep])
    token_rows = (out[mask] == 7.0).all(1)
    assert int(token_rows.sum()) == 40  # 1 - replace_rate of the masked nodes carry the token


@pytest.mark.parametrize("decoder", ["gat", "mlp"])
def test_decoder_input_projects_only_the_kept_rows(decoder):
    m = GraphMAE(in_dim=12, hidden_dim=16, heads=2, decoder=decoder, seed=0)
    enc = torch.randn(40, 16, requires_grad=True)
    keep = torch.tensor([3, 0, 17, 39])
    w = torch.randn(40, 16)
    got = m._to_decoder(enc, keep)
    g_got, gw_got = torch.autograd.grad((got * w).sum(), (enc, m.encoder_to_decoder.weight))
    ref = m.encoder_to_decoder(enc)
    if decoder == "gat":  # a GNN decoder sees every row but the kept ones re-masked to zero
        ref = torch.zeros_like(ref).index_copy(0, keep, ref.index_select(0, keep))
    g_ref, gw_ref = torch.autograd.grad((ref * w).sum(), (enc, m.encoder_to_decoder.weight))
    torch.testing.assert_close(got, ref)
    torch.testing.assert_close(g_got, g_ref)
    torch.testing.assert_close(gw_got, gw_ref)


def test_masks_are_deterministic_under_a_seed():
    a = GraphMAE(in_dim=12, hidden_dim=16, heads=2, seed=3).mask_features(torch.rand(30, 12))[1]
    b = GraphMAE(in_dim=12, hidden_dim=16, heads=2, seed=3).mask_features(torch.rand(30, 12))[1]
    assert torch.equal(a, b)


@pytest.mark.parametrize("cls,extra", [(GraphMAE, {}), (GraphMAE2, {"num_remask": 2})])
@pytest.mark.parametrize("enc", ["gat", "gin", "gcn"])
def test_loss_decreases(cls, extra, enc):
    data = _toy()
    m = cls(in_dim=12, hidden_dim=16, heads=2, encoder=enc, decoder=enc, seed=0, **extra)
    hist = Trainer(m, epochs=40, lr=0.01, progress=False, seed=0).fit(data)
    assert hist.losses[-1] < 0.7 * hist.losses[0]
    assert m.embed(data).shape == (60, 16)


def test_graphmae2_ema_target_moves_towards_the_encoder():
    data = _toy()
    m = GraphMAE2(in_dim=12, hidden_dim=16, heads=2, momentum=0.5, seed=0)
    before = [p.clone() for p in m.encoder_ema.parameters()]
    Trainer(m, epochs=3, lr=0.01, progress=False).fit(data)
    moved = any(not torch.equal(a, b) for a, b in zip(before, m.encoder_ema.parameters()))
    assert moved and all(not p.requires_grad for p in m.encoder_ema.parameters())


@pytest.mark.parametrize("kw,msg", [
    ({"mask_rate": 0.0}, "mask_rate"), ({"mask_rate": 1.0}, "mask_rate"),
    ({"replace_rate": 1.2}, "replace_rate"), ({"encoder": "transformer"}, "unknown"),
    ({"alpha": 0.5}, "alpha"), ({"hidden_dim": 10, "heads": 4}, "divisible"),
])
def test_bad_configs_raise_clear_errors(kw, msg):
    with pytest.raises(ValueError, match=msg):
        build_method("graphmae", in_dim=12, **{"hidden_dim": 16, "heads": 2, **kw})


def test_checkpoint_resumes_to_the_same_loss(tmp_path):
    data = _toy()

    def make():
        torch.manual_seed(0)  # same initial weights for every run
        return GraphMAE(in_dim=12, hidden_dim=16, heads=2, seed=0)

    kw = dict(epochs=6, lr=0.01, progress=False, seed=0)
    straight = Trainer(make(), **kw).fit(data).losses
    ck = tmp_path / "ck.pt"
    first = Trainer(make(), checkpoint=ck, **{**kw, "epochs": 3}).fit(data).losses
    # A fresh process: weights, optimiser and the mask generator's state come back from the file.
    resumed = Trainer(make(), checkpoint=ck, **kw).fit(data).losses
    assert first == pytest.approx(straight[:3], rel=1e-5)
    assert resumed == pytest.approx(straight, rel=1e-5)


def test_short_pretraining_on_cora_beats_a_random_encoder(data_root):
    from graphssl.datasets import load_dataset
    from graphssl.pipeline import pretrain_node

    ds = load_dataset("cora", root=data_root)
    cfg = merge(load_config("graphmae", "cora"), {"method": {"hidden_dim": 256, "heads": 4},
                                                   "probe": {"epochs": 200}})
    random_init = pretrain_node(ds, "graphmae", merge(cfg, {"train": {"epochs": 0}}), seed=0)
    trained = pretrain_node(ds, "graphmae", merge(cfg, {"train": {"epochs": 30}}), seed=0)
    assert trained.test_acc > random_init.test_acc + 0.03, (trained.test_acc, random_init.test_acc)
    assert trained.test_acc > 0.70
