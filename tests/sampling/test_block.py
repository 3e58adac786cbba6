"""Block and MiniBatch: the bipartite sampled graph type and the batch it comes in."""
import pytest
import torch

from graphssl.nn import build_encoder
from graphssl.sampling import Block, MiniBatch, NeighborSampler
from graphssl.sparse import Graph, spmm

from sampling_reference import random_graph


def _block():
    # 2 destinations (global 7, 3), 4 sources (7, 3, 9, 1): edges 9->7, 1->7, 7->3
    return Block(torch.tensor([0, 2, 3]), torch.tensor([2, 3, 0]), torch.tensor([7, 3, 9, 1]),
                 edge_ids=torch.tensor([10, 11, 12]))


def test_block_is_a_bipartite_graph_with_ids():
    b = _block()
    assert isinstance(b, Graph) and b.is_bipartite
    assert (b.num_src_nodes, b.num_dst_nodes, b.num_edges) == (4, 2, 3)
    assert b.dst_nodes.tolist() == [7, 3] and b.n_id is b.src_nodes
    x = torch.arange(4.0).unsqueeze(1)
    assert spmm(b, x).view(-1).tolist() == [5.0, 0.0]
    assert "Block(num_src_nodes=4" in repr(b)


def test_block_keeps_ids_through_to_and_with_value():
    b = _block()
    assert b.to("cpu") is b
    w = b.with_value(torch.ones(3))
    assert isinstance(w, Block) and torch.equal(w.src_nodes, b.src_nodes) and w.value is not None
    assert torch.equal(w.edge_ids, b.edge_ids)
    g = b.graph()
    assert type(g) is Graph and g.num_src_nodes == 4


def test_block_validation():
    with pytest.raises(ValueError, match="at least as many source"):
        Block(torch.tensor([0, 0, 0]), torch.zeros(0, dtype=torch.long), torch.tensor([1]))
    with pytest.raises(ValueError, match="1-d integer"):
        Block(torch.tensor([0, 0]), torch.zeros(0, dtype=torch.long), torch.tensor([1.0]))
    with pytest.raises(ValueError, match="edge_ids"):
        Block(torch.tensor([0, 1]), torch.tensor([0]), torch.tensor([1]), edge_ids=torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="out of range"):
        Block(torch.tensor([0, 1]), torch.tensor([5]), torch.tensor([1, 2]))


def test_minibatch_unpacks_and_moves():
    g = random_graph(50, 300, 0)
    mb = NeighborSampler(g, [3, 2], seed=0).sample(torch.tensor([1, 2]))
    seeds, blocks, input_nodes = mb
    assert isinstance(mb, MiniBatch) and len(blocks) == 2
    moved = mb.to("cpu")
    assert torch.equal(moved.input_nodes, input_nodes) and isinstance(moved.blocks[0], Block)


def test_encoder_runs_on_sampled_blocks_and_matches_full_graph_when_all_neighbours_kept():
    g = random_graph(40, 200, 1)
    x = torch.randn(40, 6, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    enc = build_encoder("sage", 6, 8, 4, num_layers=2)
    enc.eval()
    seeds = torch.tensor([0, 5, 9])
    # fan-out -1 keeps every neighbour, so the sampled computation is exact
    _, blocks, input_nodes = NeighborSampler(g, [-1, -1], seed=0).sample(seeds)
    out = enc(blocks, x[input_nodes])
    full = enc(g, x)[seeds]
    assert out.shape == (3, 4)
    assert torch.allclose(out, full, atol=1e-5)
