"""NeighborSampler against plain references: edges exist, fan-outs hold, no repeats
without replacement, relabelling is consistent, seeds reproduce, and the numba and torch
paths draw from the same distribution."""
from collections import Counter
from itertools import combinations

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare, chi2_contingency

from graphssl.sampling import SAMPLERS, NeighborSampler, build_sampler
from graphssl.sparse import Graph

from sampling_reference import check_minibatch, random_graph, same_minibatch

BACKENDS = ["numba", "torch"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def star_graph(num_dst: int, deg: int) -> Graph:
    """Nodes ``0..num_dst-1`` each receive edges from the same ``deg`` sources
    ``num_dst..num_dst+deg-1``: many independent draws of one neighbourhood per call."""
    dst = torch.arange(num_dst).repeat_interleave(deg)
    src = num_dst + torch.arange(deg).repeat(num_dst)
    return Graph.from_edge_index(torch.stack([src, dst]), num_dst + deg)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("replace", [False, True])
def test_invariants_on_a_random_graph(backend, replace):
    g = random_graph(300, 3000, 0)
    s = NeighborSampler(g, [4, 3, 2], replace=replace, seed=0, backend=backend, return_edge_ids=True)
    mb = s.sample(torch.tensor([0, 17, 42, 299, 5]))
    check_minibatch(g, mb, [4, 3, 2], replace)


@pytest.mark.parametrize("backend", BACKENDS)
def test_full_neighbourhood_with_minus_one_and_small_degrees(backend):
    g = random_graph(60, 200, 1)
    s = NeighborSampler(g, [-1, 100], seed=0, backend=backend, return_edge_ids=True)
    mb = s.sample(torch.arange(10))
    check_minibatch(g, mb, [-1, 100], False)


@pytest.mark.parametrize("backend", BACKENDS)
def test_zero_fanout_and_isolated_nodes(backend):
    g = Graph.from_edge_index(torch.tensor([[1, 2], [0, 0]]), 4)  # node 3 has no in-edges
    mb = NeighborSampler(g, [0, 5], seed=0, backend=backend, return_edge_ids=True).sample(torch.tensor([3, 0]))
    check_minibatch(g, mb, [0, 5], False)
    assert mb.blocks[0].num_edges == 0 and mb.blocks[1].num_edges == 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_blocks_are_outermost_first_with_matching_fanouts(backend):
    g = star_graph(1, 50)  # node 0 has 50 in-neighbours, they have none
    mb = NeighborSampler(g, [7, 3], seed=0, backend=backend).sample(torch.tensor([0]))
    # the hop from the seed uses the last fan-out
    assert mb.blocks[-1].num_edges == 3 and mb.blocks[-1].num_dst_nodes == 1
    assert mb.blocks[0].num_dst_nodes == 4 and mb.blocks[0].num_edges == 7


@pytest.mark.parametrize("backend", BACKENDS)
def test_weighted_graph_weights_follow_the_edges(backend):
    g = random_graph(100, 800, 2)
    w = torch.rand(g.num_edges, generator=torch.Generator().manual_seed(0))
    g = g.with_value(w)
    mb = NeighborSampler(g, [3, 3], seed=0, backend=backend, return_edge_ids=True).sample(torch.arange(8))
    for b in mb.blocks:
        assert torch.equal(b.value, w[b.edge_ids])


@pytest.mark.parametrize("backend", BACKENDS)
def test_deterministic_under_a_seed(backend):
    g = random_graph(500, 5000, 3)
    seeds = torch.arange(0, 500, 7)
    a = NeighborSampler(g, [5, 5], seed=11, backend=backend).sample(seeds)
    b = NeighborSampler(g, [5, 5], seed=11, backend=backend).sample(seeds)
    c = NeighborSampler(g, [5, 5], seed=12, backend=backend).sample(seeds)
    assert same_minibatch(a, b)
    assert not same_minibatch(a, c)
    s = NeighborSampler(g, [5, 5], backend=backend)
    gen = torch.Generator().manual_seed(4)
    d = s.sample(seeds, torch.Generator().manual_seed(4))
    assert same_minibatch(d, s.sample(seeds, gen))


def test_numba_result_does_not_depend_on_the_thread_count():
    g = random_graph(20000, 200000, 4)
    seeds = torch.randperm(20000, generator=torch.Generator().manual_seed(0))[:2000]
    s = NeighborSampler(g, [10, 10], seed=0)
    torch.set_num_threads(1)
    one = s.sample(seeds, torch.Generator().manual_seed(1))
    torch.set_num_threads(2)
    two = s.sample(seeds, torch.Generator().manual_seed(1))
    assert same_minibatch(one, two)


def test_scratch_is_reused_across_calls_and_refilled_before_its_ids_overflow():
    import graphssl.sampling._numba_kernels as nk
    g = random_graph(3000, 30000, 6)
    seeds = torch.arange(0, 3000, 5)
    s = NeighborSampler(g, [4, 4], seed=0, return_edge_ids=True)
    first = s.sample(seeds, torch.Generator().manual_seed(2))
    # a second call sees the first call's entries as stale, not as already numbered
    assert s._scratch.base > 0
    assert same_minibatch(first, s.sample(seeds, torch.Generator().manual_seed(2)))
    # when the next ids would pass int32 the scratch is refilled and numbering restarts
    s._scratch.base = nk.UNSEEN - 10
    again = s.sample(seeds, torch.Generator().manual_seed(2))
    assert same_minibatch(first, again)
    assert 0 < s._scratch.base < nk.UNSEEN - 10
    check_minibatch(g, again, [4, 4], False)


def test_pipelined_relabelling_matches_the_serial_pass_and_cleans_up(monkeypatch):
    import graphssl.sampling._numba_kernels as nk
    g = random_graph(20000, 400000, 5)
    seeds = torch.randperm(20000, generator=torch.Generator().manual_seed(0))[:8000]
    s = NeighborSampler(g, [10, 10], seed=0, return_edge_ids=True)
    torch.set_num_threads(2)
    runs = []
    real_run = nk._Pipeline.run
    monkeypatch.setattr(nk._Pipeline, "run", lambda self, t: runs.append(self.n) or real_run(self, t))
    piped = s.sample(seeds, torch.Generator().manual_seed(1))
    assert runs and max(runs) > 2  # both layers (80k and more edges) went through the pipeline
    monkeypatch.setattr(nk, "_PIPELINE_EDGES", 1 << 40)
    serial = s.sample(seeds, torch.Generator().manual_seed(1))
    assert same_minibatch(piped, serial)
    check_minibatch(g, piped, [10, 10], False)
    monkeypatch.setattr(nk, "_PIPELINE_EDGES", 1 << 16)
    with pytest.raises(ValueError, match="duplicate"):
        s.sample(torch.cat([seeds, seeds[:1]]))
    # an error inside a chunk surfaces, and the scratch is left clean for the next call
    real_range = nk._sample_range

    def failing(col, start, deg, ptr, *args):
        if args[-2] > 0:
            raise RuntimeError("chunk failed")
        return real_range(col, start, deg, ptr, *args)

    monkeypatch.setattr(nk, "_sample_range", failing)
    with pytest.raises(RuntimeError, match="chunk failed"):
        s.sample(seeds)
    monkeypatch.setattr(nk, "_sample_range", real_range)
    assert bool((s._scratch.scratch < s._scratch.base).all())  # no entry of the failed call is live
    assert same_minibatch(s.sample(seeds, torch.Generator().manual_seed(1)), serial)


def _subset_counts(backend: str, deg: int, fanout: int, calls: int) -> Counter:
    g = star_graph(400, deg)
    s = NeighborSampler(g, [fanout], seed=0, backend=backend)
    counts = Counter()
    gen = torch.Generator().manual_seed(123)
    for _ in range(calls):
        b = s.sample(torch.arange(400), gen).blocks[0]
        src = b.src_nodes[b.col].view(400, fanout)
        counts.update(tuple(sorted(r)) for r in src.tolist())
    return counts


@pytest.mark.parametrize("deg,fanout", [(6, 2), (6, 3), (6, 4), (7, 4)])
def test_without_replacement_draws_uniform_subsets_in_both_backends(deg, fanout):
    subsets = [tuple(c) for c in combinations(range(400, 400 + deg), fanout)]
    table = []
    for backend in BACKENDS:
        counts = _subset_counts(backend, deg, fanout, 6)
        assert set(counts) == set(subsets)
        obs = [counts[sub] for sub in subsets]
        assert chisquare(obs).pvalue > 1e-3, (backend, obs)
        table.append(obs)
    # and the two backends agree with each other
    assert chi2_contingency(table).pvalue > 1e-3


@pytest.mark.parametrize("deg,fanout", [(100, 10), (100, 60), (40, 30)])
def test_inclusion_probability_is_fanout_over_degree(deg, fanout):
    """Covers every kernel path: Floyd (long rows, small fan-out), selection sampling
    (long rows, large fan-out) and the bit-set path (rows of at most 64)."""
    for backend in BACKENDS:
        g = star_graph(300, deg)
        s = NeighborSampler(g, [fanout], seed=1, backend=backend, return_edge_ids=True)
        hits = torch.zeros(deg)
        for _ in range(4):
            mb = s.sample(torch.arange(300))
            check_minibatch(g, mb, [fanout], False)
            b = mb.blocks[0]
            hits += torch.bincount(b.src_nodes[b.col] - 300, minlength=deg).float()
        assert chisquare(hits.tolist()).pvalue > 1e-3, backend


def test_with_replacement_draws_uniform_neighbours_in_both_backends():
    table = []
    for backend in BACKENDS:
        g = star_graph(500, 5)
        s = NeighborSampler(g, [8], replace=True, seed=2, backend=backend)
        b = s.sample(torch.arange(500)).blocks[0]
        assert b.num_edges == 4000
        obs = torch.bincount(b.src_nodes[b.col] - 500, minlength=5).tolist()
        assert chisquare(obs).pvalue > 1e-3
        table.append(obs)
    assert chi2_contingency(table).pvalue > 1e-3


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 25), e=st.integers(0, 120), graph_seed=st.integers(0, 10**6),
       fanouts=st.lists(st.integers(-1, 6), min_size=1, max_size=3), replace=st.booleans(),
       backend=st.sampled_from(BACKENDS), data=st.data())
def test_properties_on_small_random_graphs(n, e, graph_seed, fanouts, replace, backend, data):
    g = random_graph(n, e, graph_seed)  # a multigraph: repeated edges are allowed
    seeds = torch.tensor(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True)))
    s = NeighborSampler(g, fanouts, replace=replace, seed=0, backend=backend, return_edge_ids=True)
    mb = s.sample(seeds)
    check_minibatch(g, mb, fanouts, replace)
    assert same_minibatch(mb, NeighborSampler(g, fanouts, replace=replace, seed=0, backend=backend).sample(seeds))


@pytest.mark.parametrize("fanouts,match", [([], "empty"), ([3, -2], ">= 0"), (5, "list"), ([2.5], "ints"),
                                          ([True], "ints")])
def test_bad_fanouts(fanouts, match):
    with pytest.raises(ValueError, match=match):
        NeighborSampler(random_graph(5, 10, 0), fanouts)


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_seeds(backend):
    s = NeighborSampler(random_graph(10, 30, 0), [2], backend=backend)
    with pytest.raises(ValueError, match="out of range"):
        s.sample(torch.tensor([3, 10]))
    with pytest.raises(ValueError, match="out of range"):
        s.sample(torch.tensor([-1]))
    with pytest.raises(ValueError, match="integer"):
        s.sample(torch.tensor([1.0]))
    with pytest.raises(ValueError, match="1-d"):
        s.sample(torch.zeros(2, 2, dtype=torch.long))
    with pytest.raises(ValueError, match="duplicate"):
        s.sample(torch.tensor([1, 2, 1]))
    # the sampler is still usable after an error (its scratch was restored)
    s2 = NeighborSampler(random_graph(10, 30, 0), [2], backend=backend, seed=0, return_edge_ids=True)
    check_minibatch(s2.graph, s2.sample(torch.tensor([1, 2])), [2], False)
    mb = s.sample(torch.tensor([1, 2]))
    assert mb.blocks[0].num_dst_nodes == 2


def test_bad_construction():
    g = random_graph(10, 30, 0)
    with pytest.raises(ValueError, match="backend"):
        NeighborSampler(g, [2], backend="cuda")
    with pytest.raises(ValueError, match="square"):
        NeighborSampler(Graph(torch.tensor([0, 1]), torch.tensor([2]), num_src_nodes=3), [2])
    with pytest.raises(ValueError, match="Graph"):
        NeighborSampler("not a graph", [2])
    with pytest.raises(ValueError, match="seed"):
        NeighborSampler(g, [2], seed=1.5)
    with pytest.raises(ValueError, match="generator"):
        NeighborSampler(g, [2]).sample(torch.tensor([1]), generator=3)


def test_registry_and_pickling():
    import pickle

    g = random_graph(30, 100, 0)
    s = build_sampler("neighbor", g, fanouts=[2, 2], seed=0)
    assert isinstance(s, NeighborSampler) and "neighbor" in SAMPLERS.names()
    s.sample(torch.tensor([1]))  # builds the numpy views and the scratch
    s2 = pickle.loads(pickle.dumps(s))
    assert same_minibatch(s.sample(torch.tensor([1, 2]), torch.Generator().manual_seed(0)),
                          s2.sample(torch.tensor([1, 2]), torch.Generator().manual_seed(0)))
