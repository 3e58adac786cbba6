"""graphssl.minibatch: sampler outputs as method inputs, rank shares, the re-iterable
stream the Trainer uses, config/CLI options; Trainer(sampler=...) resumes exactly."""
import argparse

import pytest
import torch

from graphssl.methods import build_method
from graphssl.minibatch import (BlockInput, SampledInputs, SubgraphInput, make_input, sampler_from_config,
                                shard_items)
from graphssl.minibatch_cli import add_minibatch_arguments, checkpoint_for_seed, minibatch_overrides
from graphssl.sampling import LinkSampler, LocalClusterSampler, NeighborSampler, RandomWalkSampler
from graphssl.sparse import Graph
from graphssl.train import Trainer


class _Data:
    def __init__(self, graph, x):
        self.graph, self.x = graph, x


def _data(n=90, m=300, seed=0):
    g = torch.Generator().manual_seed(seed)
    ei = torch.randint(0, n, (2, m), generator=g)
    return _Data(Graph.from_edge_index(torch.cat([ei, ei.flip(0)], 1), n).coalesce(), torch.randn(n, 6, generator=g))


def test_make_input_gathers_features_by_global_id():
    d = _data()
    mb = NeighborSampler(d.graph, [3, 2], seed=0).sample(torch.tensor([5, 7, 1]))
    b = make_input(mb, d.x, d.graph)
    assert isinstance(b, BlockInput) and b.num_seeds == 3
    assert torch.equal(b.x, d.x[mb.input_nodes]) and torch.equal(b.seeds, torch.tensor([5, 7, 1]))
    assert all(hasattr(blk, "global_in_degree") for blk in b.blocks)
    sub = RandomWalkSampler(d.graph, 2, seed=0).sample(torch.tensor([0, 3]))
    s = make_input(sub, d.x)
    assert isinstance(s, SubgraphInput) and torch.equal(s.x, d.x[sub.nodes]) and s.graph is sub.graph
    assert not hasattr(s, "ptr")  # not mistaken for a batch of graphs to pool
    with pytest.raises(ValueError, match="Subgraph or MiniBatch"):
        make_input(LinkSampler(d.graph, seed=0).sample(torch.tensor([0, 1])), d.x)
    with pytest.raises(ValueError, match="do not match"):
        make_input(mb, d.x[:3])


def test_shard_items_splits_each_epoch_into_disjoint_equal_shares():
    items = torch.arange(100, 203)
    for epoch in range(3):
        shares = [shard_items(items, epoch, 0, r, 4) for r in range(4)]
        assert all(s.numel() == 25 for s in shares)
        allv = torch.cat(shares)
        assert allv.unique().numel() == 100 and set(allv.tolist()) <= set(items.tolist())
    assert not torch.equal(shard_items(items, 0, 0, 0, 4), shard_items(items, 1, 0, 0, 4))
    with pytest.raises(ValueError):
        shard_items(items, 0, 0, 4, 4)
    with pytest.raises(ValueError, match="cannot be shared"):
        shard_items(torch.arange(3), 0, 0, 0, 4)


def test_sampled_inputs_is_reiterable_and_reproducible():
    d = _data()
    stream = SampledInputs(LocalClusterSampler(d.graph, cluster_size=5), d.x, batch_size=20, seed=3)
    assert len(stream) == 5
    e0 = [b.nodes for b in stream]
    e1 = [b.nodes for b in stream]
    assert len(e0) == len(e1) == 5
    assert any(not torch.equal(a, b) for a, b in zip(e0, e1))  # reshuffled each epoch
    stream.set_epoch(0)
    assert all(torch.equal(a, b.nodes) for a, b in zip(e0, stream))
    ranks = [SampledInputs(NeighborSampler(d.graph, [2], seed=0), d.x, batch_size=16, rank=r, world_size=2)
             for r in range(2)]
    assert len(ranks[0]) == 3  # 45 nodes each
    seeds = [torch.cat([b.seeds for b in s]) for s in ranks]
    assert seeds[0].numel() == seeds[1].numel() == 45 and torch.cat(seeds).unique().numel() == 90
    with pytest.raises(ValueError, match="rows"):
        SampledInputs(NeighborSampler(d.graph, [2]), d.x[:10])


def test_sampled_inputs_same_batches_with_workers():
    d = _data()
    kw = dict(batch_size=30, seed=1)
    a = [b.seeds for b in SampledInputs(NeighborSampler(d.graph, [3], seed=0), d.x, **kw)]
    b = [b.seeds for b in SampledInputs(NeighborSampler(d.graph, [3], seed=0), d.x, num_workers=1, **kw)]
    assert all(torch.equal(u, v) for u, v in zip(a, b)) and len(a) == 3


def test_trainer_with_sampler_resumes_exactly(tmp_path, one_torch_thread):
    d = _data()

    def run(epochs, ckpt):
        torch.manual_seed(0)
        m = build_method("graphmae", in_dim=6, hidden_dim=8, heads=2, seed=0)
        t = Trainer(m, epochs=epochs, lr=1e-2, sampler=NeighborSampler(d.graph, [3, 3, 3], seed=0), batch_size=32,
                    progress=False, checkpoint=ckpt, seed=0)
        t.fit(d)
        return m, t.history.losses

    straight, losses = run(4, None)
    run(2, tmp_path / "c.pt")
    resumed, resumed_losses = run(4, tmp_path / "c.pt")
    assert resumed_losses == losses
    for (k, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), k


def test_trainer_rejects_bad_sampler_use():
    d = _data()
    m = build_method("graphmae", in_dim=6, hidden_dim=8, heads=2)
    with pytest.raises(ValueError, match="Sampler"):
        Trainer(m, sampler="neighbor")
    with pytest.raises(ValueError, match="batch_size"):
        Trainer(m, sampler=NeighborSampler(d.graph, [2, 2, 2]), batch_size=0)
    with pytest.raises(ValueError, match="distributed=True"):
        Trainer(m, distributed=True)
    t = Trainer(m, epochs=1, sampler=NeighborSampler(d.graph, [2, 2, 2]), progress=False)
    with pytest.raises(ValueError, match="full graph's input"):
        t.fit([d])


def test_sampler_from_config():
    d = _data()
    s, kw, eb = sampler_from_config(d.graph, {"fanouts": [4, 3], "batch_size": 64, "embed_batch_size": 100}, seed=2)
    assert isinstance(s, NeighborSampler) and s.fanouts == [4, 3] and kw["batch_size"] == 64 and eb == 100
    s, kw, _ = sampler_from_config(d.graph, {"batch_size": 8, "cluster_size": 7})
    assert isinstance(s, LocalClusterSampler) and s.cluster_size == 7 and kw["sampler"] is s
    with pytest.raises(ValueError, match="bad minibatch options"):
        sampler_from_config(d.graph, {"sampler": "random_walk", "fanouts": [2]})
    with pytest.raises(ValueError):
        sampler_from_config(d.graph, {"sampler": "nope"})


def test_cli_minibatch_options():
    p = argparse.ArgumentParser()
    add_minibatch_arguments(p)
    args = p.parse_args(["--batch-size", "256", "--fanouts", "15,10"])
    assert minibatch_overrides(args) == {"minibatch": {"batch_size": 256, "fanouts": [15, 10]}}
    assert minibatch_overrides(p.parse_args([])) == {}
    assert "--fanouts" in p.format_help() and "DistributedDataParallel" in p.format_help()
    with pytest.raises(ValueError, match="neighbour sampler"):
        minibatch_overrides(p.parse_args(["--fanouts", "5", "--sampler", "random_walk"]))
    with pytest.raises(ValueError, match="positive"):
        minibatch_overrides(p.parse_args(["--batch-size", "0"]))
    with pytest.raises(SystemExit):
        p.parse_args(["--fanouts", "a,b"])
    assert checkpoint_for_seed("x/ck.pt", 3, 1) == "x/ck.pt"
    assert checkpoint_for_seed("x/ck.pt", 3, 2) == "x/ck-seed3.pt"


def test_cli_pretrain_minibatch_on_cora(data_root, capsys):
    import json
    from graphssl.cli import main
    if not (data_root / "cora").is_dir():
        pytest.skip("cora is not under GRAPHSSL_DATA")
    rc = main(["pretrain", "--method", "grace", "--dataset", "cora", "--root", str(data_root), "--no-download",
               "--epochs", "1", "--batch-size", "32", "--sampler", "local_cluster", "--cluster-size", "8",
               "--embed-batch-size", "1000", "--json", "--device", "cpu"])
    assert rc == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert len(rows) == 2 and 0.0 < rows[0]["value"] <= 1.0
