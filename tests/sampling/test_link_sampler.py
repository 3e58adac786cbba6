"""LinkSampler and negative_targets: positives are the seed edges, negatives follow the
asked distribution and avoid existing edges on request, local ids index `nodes`."""
import pytest
import torch
from scipy.stats import chisquare

from graphssl.sampling import LinkBatch, LinkSampler, NeighborSampler, negative_targets
from graphssl.sparse import Graph

from sampling_reference import check_minibatch, random_graph


def _edge_set(g):
    ei, _ = g.to_edge_index()
    return set(map(tuple, ei.t().tolist()))


def test_positives_negatives_and_local_ids():
    g = random_graph(100, 600, 0, undirected=True)
    s = LinkSampler(g, num_negatives=3, seed=0)
    eid = torch.tensor([0, 5, 17, 100])
    b = s.sample(eid)
    assert isinstance(b, LinkBatch)
    assert torch.equal(b.pos_edges, torch.stack([g.col[eid], g.row()[eid]]))
    assert b.neg_edges.shape == (2, 12)
    assert torch.equal(b.neg_edges[0], b.pos_edges[0].repeat_interleave(3))
    assert torch.equal(b.neg_index, torch.arange(4).repeat_interleave(3))
    assert torch.equal(b.nodes, torch.unique(b.nodes))
    assert torch.equal(b.nodes[b.pos_local], b.pos_edges)
    assert torch.equal(b.nodes[b.neg_local], b.neg_edges)
    assert b.blocks is None and torch.equal(b.input_nodes, b.nodes)


def test_exclude_existing_never_returns_an_edge():
    g = random_graph(30, 300, 1, undirected=True)  # dense: collisions are frequent
    edges = _edge_set(g)
    s = LinkSampler(g, num_negatives=5, exclude_existing=True, seed=0)
    b = s.sample(torch.arange(g.num_edges))
    assert b.neg_edges.size(1) > 0.9 * 5 * g.num_edges
    assert not any(tuple(p) in edges for p in b.neg_edges.t().tolist())
    # without exclusion some negatives are edges
    b2 = LinkSampler(g, num_negatives=5, seed=0).sample(torch.arange(g.num_edges))
    assert any(tuple(p) in edges for p in b2.neg_edges.t().tolist())


def test_exclude_existing_drops_what_cannot_be_avoided():
    # node 0 receives from... no: every source 0 -> t exists for all t, so all negatives of 0 collide
    n = 5
    src = torch.zeros(n, dtype=torch.long)
    g = Graph.from_edge_index(torch.stack([src, torch.arange(n)]), n)
    neg, idx = negative_targets(g, torch.tensor([0, 0]), 3, exclude_existing=True, max_tries=3,
                                generator=torch.Generator().manual_seed(0))
    assert neg.size(1) == 0 and idx.numel() == 0


def test_degree_negatives_follow_degree_power():
    # in-degrees 1, 2, 4, 8 for nodes 0..3 (sources are node 4)
    dst = torch.tensor([0] + [1] * 2 + [2] * 4 + [3] * 8)
    g = Graph.from_edge_index(torch.stack([torch.full_like(dst, 4), dst]), 5)
    neg, _ = negative_targets(g, torch.zeros(4000, dtype=torch.long), 1, "degree", degree_power=1.0,
                              generator=torch.Generator().manual_seed(0))
    obs = torch.bincount(neg[1], minlength=5).tolist()
    assert obs[4] == 0  # in-degree 0: never drawn
    expected = [4000 * d / 15 for d in (1, 2, 4, 8)]
    assert chisquare(obs[:4], expected).pvalue > 1e-3
    neg, _ = negative_targets(g, torch.zeros(4000, dtype=torch.long), 1, "uniform",
                              generator=torch.Generator().manual_seed(0))
    assert chisquare(torch.bincount(neg[1], minlength=5).tolist()).pvalue > 1e-3


def test_blocks_for_all_endpoints():
    g = random_graph(200, 1500, 2, undirected=True)
    s = LinkSampler(g, num_negatives=2, negative="degree", fanouts=[3, 2], seed=0)
    b = s.sample(torch.tensor([3, 4, 5]))
    assert len(b.blocks) == 2
    assert torch.equal(b.blocks[-1].dst_nodes, b.nodes)
    assert torch.equal(b.input_nodes, b.blocks[0].src_nodes)
    ns = NeighborSampler(g, [2], return_edge_ids=True)
    b2 = LinkSampler(g, neighbor_sampler=ns, seed=0).sample(torch.tensor([1]))
    check_minibatch(g, (b2.nodes, b2.blocks, b2.input_nodes), [2], False)
    assert b2.to("cpu").pos_edges.shape == (2, 1)


def test_deterministic_and_no_negatives():
    g = random_graph(50, 300, 3)
    a = LinkSampler(g, 2, seed=5).sample(torch.arange(10))
    b = LinkSampler(g, 2, seed=5).sample(torch.arange(10))
    assert torch.equal(a.neg_edges, b.neg_edges)
    c = LinkSampler(g, 0).sample(torch.arange(10))
    assert c.neg_edges.shape == (2, 0) and c.neg_local.shape == (2, 0)
    assert torch.equal(LinkSampler(g).default_items(), torch.arange(g.num_edges))


def test_bad_input():
    g = random_graph(20, 50, 4)
    with pytest.raises(ValueError, match="negative must be"):
        LinkSampler(g, negative="hard")
    with pytest.raises(ValueError, match="num_negatives"):
        LinkSampler(g, num_negatives=-1)
    with pytest.raises(ValueError, match="not both"):
        LinkSampler(g, fanouts=[2], neighbor_sampler=NeighborSampler(g, [2]))
    with pytest.raises(ValueError, match="nodes"):
        LinkSampler(g, neighbor_sampler=NeighborSampler(random_graph(21, 50, 4), [2]))
    with pytest.raises(ValueError, match="out of range"):
        LinkSampler(g).sample(torch.tensor([g.num_edges]))
    with pytest.raises(ValueError, match="with edges"):
        LinkSampler(Graph.empty(3), negative="degree")
    with pytest.raises(ValueError, match="mode"):
        negative_targets(g, torch.tensor([0]), mode="x")


@pytest.mark.parametrize("exclude", ["self", "reverse"])
def test_exclude_removes_seed_edges_from_blocks(exclude):
    g = random_graph(40, 300, 5, undirected=True)
    eid = torch.arange(0, g.num_edges, 7)
    s = LinkSampler(g, 1, fanouts=[-1, -1], exclude=exclude, seed=0)
    b = s.sample(eid)
    banned = set(map(tuple, b.pos_edges.t().tolist()))
    if exclude == "reverse":
        banned |= {(t, s_) for s_, t in banned}
    full = LinkSampler(g, 1, fanouts=[-1, -1], seed=0).sample(eid)
    for blk, ref in zip(b.blocks, full.blocks):
        assert torch.equal(blk.src_nodes, ref.src_nodes)
        edges = list(zip(blk.src_nodes[blk.col].tolist(), blk.src_nodes[blk.row()].tolist()))
        ref_edges = list(zip(ref.src_nodes[ref.col].tolist(), ref.src_nodes[ref.row()].tolist()))
        assert not banned & set(edges)
        assert sorted(edges) == sorted(e for e in ref_edges if e not in banned)


def test_exclude_needs_blocks_and_a_known_mode():
    g = random_graph(20, 50, 4)
    with pytest.raises(ValueError, match="exclude must be"):
        LinkSampler(g, fanouts=[2], exclude="both")
    with pytest.raises(ValueError, match="fanouts or a neighbor_sampler"):
        LinkSampler(g, exclude="self")
