"""GraphView bookkeeping: node_ids / edge_ids / edge_attr follow every edit."""
import torch

from augment_graphs import gen, random_graph
from graphssl.augment import Compose, EdgeAdd, EdgeDrop, GraphView, NodeDrop, RandomWalkSubgraph


def _attr(g):
    return torch.stack([g.col, g.row()], 1)  # names every edge by its endpoints


def test_provenance_through_a_chain():
    g = random_graph(40, 160, 1, undirected=True)
    x = torch.arange(40).float().view(-1, 1)
    aug = Compose([NodeDrop(0.3), EdgeAdd(0.3), EdgeDrop(0.3), RandomWalkSubgraph(0.3, 4)])
    v = aug.apply(GraphView(g, x, edge_attr=_attr(g)), gen(0))
    assert torch.equal(v.x.view(-1).long(), v.node_ids)
    old = v.edge_ids >= 0
    orig_src, orig_dst = g.col[v.edge_ids[old]], g.row()[v.edge_ids[old]]
    assert torch.equal(v.node_ids[v.graph.col[old]], orig_src)
    assert torch.equal(v.node_ids[v.graph.row()[old]], orig_dst)
    assert torch.equal(v.edge_attr[old], torch.stack([orig_src, orig_dst], 1))
    assert bool((v.edge_attr[~old] == 0).all())


def test_unchanged_view_keeps_none_provenance():
    g = random_graph(5, 10, 0)
    v = GraphView(g, torch.ones(5, 2))
    assert v.node_ids is None and v.edge_ids is None
    assert v.ptr().tolist() == [0, 5]
    v2 = EdgeDrop(0.0).apply(v)
    assert v2.node_ids is None and torch.equal(v2.edge_ids, torch.arange(g.num_edges))


def test_num_graphs_is_inferred_from_batch():
    g = random_graph(6, 12, 0)
    v = GraphView(g, None, batch=torch.tensor([0, 0, 1, 1, 2, 2]))
    assert v.num_graphs == 3 and v.ptr().tolist() == [0, 2, 4, 6]
    out = NodeDrop(0.5).apply(v, gen(0))
    assert out.num_graphs == 3 and int(out.ptr()[-1]) == out.num_nodes
