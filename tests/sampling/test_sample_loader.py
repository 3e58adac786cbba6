"""SampleLoader: DataLoader-backed batches that depend only on the seed and the epoch."""
import pytest
import torch

from graphssl.sampling import LinkSampler, MiniBatch, NeighborSampler, RandomWalkSampler, SampleLoader

from sampling_reference import random_graph, same_minibatch


@pytest.fixture(scope="module")
def graph():
    return random_graph(400, 3000, 0, undirected=True)


def _epoch(loader):
    return list(loader)


def test_batches_cover_items_in_order_without_shuffle(graph):
    items = torch.arange(0, 400, 3)
    loader = SampleLoader(NeighborSampler(graph, [3, 2]), items, batch_size=32, seed=0)
    batches = _epoch(loader)
    assert len(batches) == len(loader) == 5
    assert all(isinstance(b, MiniBatch) for b in batches)
    assert torch.equal(torch.cat([b.seeds for b in batches]), items)


def test_shuffle_epochs_and_drop_last(graph):
    loader = SampleLoader(NeighborSampler(graph, [2]), batch_size=64, shuffle=True, drop_last=True, seed=3)
    e0, e1 = _epoch(loader), _epoch(loader)
    assert len(e0) == len(loader) == 6 and all(b.seeds.numel() == 64 for b in e0)
    s0 = torch.cat([b.seeds for b in e0])
    assert s0.unique().numel() == 384 and not torch.equal(s0, torch.arange(384))
    assert not torch.equal(s0, torch.cat([b.seeds for b in e1]))
    # set_epoch replays an epoch exactly
    loader.set_epoch(0)
    assert all(same_minibatch(a, b) for a, b in zip(e0, _epoch(loader)))


def test_workers_give_the_same_batches_as_the_main_process(graph):
    def run(workers):
        loader = SampleLoader(NeighborSampler(graph, [4, 3]), batch_size=50, shuffle=True, seed=7,
                              num_workers=workers)
        return _epoch(loader) + _epoch(loader)
    main, workers = run(0), run(2)
    assert len(main) == len(workers) == 16
    assert all(same_minibatch(a, b) for a, b in zip(main, workers))


def test_other_samplers_and_bad_input(graph):
    links = _epoch(SampleLoader(LinkSampler(graph, 1), torch.arange(100), batch_size=40, seed=0))
    assert [b.pos_edges.size(1) for b in links] == [40, 40, 20]
    subs = _epoch(SampleLoader(RandomWalkSampler(graph, 2), batch_size=200, seed=0))
    assert len(subs) == 2
    with pytest.raises(ValueError, match="Sampler"):
        SampleLoader("nope")
    with pytest.raises(ValueError, match="batch_size"):
        SampleLoader(NeighborSampler(graph, [2]), batch_size=0)
    with pytest.raises(ValueError, match="no items"):
        SampleLoader(NeighborSampler(graph, [2]), torch.zeros(0, dtype=torch.long))
    with pytest.raises(ValueError, match="1-d integer"):
        SampleLoader(NeighborSampler(graph, [2]), torch.zeros(3))
