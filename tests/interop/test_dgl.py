"""Round trips between graphssl and DGL (run only where DGL imports).

DGL has no build for torch 2.13, so CI skips this file; it runs in a DGL environment
(e.g. torch 2.2.1 + dgl 2.1.0, see shared/DEPENDENCIES.md) with graphssl on PYTHONPATH.
"""
import pytest
import torch

try:  # DGL can fail at import with errors other than ImportError (native library mismatch)
    import dgl
    import dgl.function as fn
except Exception as e:  # noqa: BLE001
    pytest.skip(f"dgl does not import here ({type(e).__name__}: {e})", allow_module_level=True)

from interop_graphs import SQUARE_SHAPES, assert_same_graph, csr_perm, make_graph, random_edges  # noqa: E402

from graphssl.interop import AttributedGraph, from_dgl, to_dgl  # noqa: E402
from graphssl.sparse import Graph, spmm  # noqa: E402


@pytest.mark.parametrize("n,_,e", SQUARE_SHAPES)
def test_dgl_graph_round_trip_keeps_everything(n, _, e):
    u, v = random_edges(n, n, e, seed=5)
    g = dgl.graph((u, v), num_nodes=n)
    g.ndata["x"] = torch.randn(n, 3)
    g.ndata["train_mask"] = torch.rand(n) < 0.5
    g.edata["weight"] = torch.rand(e)
    g.edata["feat"] = torch.randn(e, 2)
    ag = from_dgl(g)
    perm = csr_perm(u, v)
    assert ag.edge_type is None and torch.equal(ag.edge_perm, perm)
    assert ag.graph.num_nodes == n
    assert torch.equal(ag.graph.value, g.edata["weight"][perm])
    assert torch.equal(ag.edge_data["feat"], g.edata["feat"][perm])
    assert torch.equal(ag.node_data["x"], g.ndata["x"])

    back = to_dgl(ag)
    assert back.num_nodes() == n and back.num_edges() == e
    bu, bv = back.edges(order="eid")
    assert torch.equal(bu, u[perm]) and torch.equal(bv, v[perm])
    assert torch.equal(back.edata["weight"], g.edata["weight"][perm])
    assert torch.equal(back.edata["feat"], g.edata["feat"][perm])
    assert torch.equal(back.ndata["train_mask"], g.ndata["train_mask"])


@pytest.mark.parametrize("n,_,e", SQUARE_SHAPES)
@pytest.mark.parametrize("weighted", [True, False])
def test_graph_to_dgl_and_back_is_identical(n, _, e, weighted):
    g = make_graph(n, n, e, seed=2, weighted=weighted)
    ag = from_dgl(to_dgl(g, edge_data={"eid": torch.arange(e)}))
    assert_same_graph(ag.graph, g)
    assert torch.equal(ag.edge_data["eid"], torch.arange(e))


def test_conventions_match_dgl_message_passing():
    g = make_graph(9, 9, 30, seed=1)
    d = to_dgl(g)
    x = torch.randn(9, 4)
    d.ndata["x"] = x
    # DGL broadcasts edge data against messages from the trailing dims: give it [E, 1].
    d.edata["w1"] = d.edata["weight"].unsqueeze(1)
    d.update_all(fn.u_mul_e("x", "w1", "m"), fn.sum("m", "h"))
    torch.testing.assert_close(d.ndata["h"], spmm(g, x))


@pytest.mark.parametrize("ns,nd,e", [(4, 7, 15), (8, 3, 12), (5, 5, 6)])
def test_heterograph_bipartite_round_trip(ns, nd, e):
    u, v = random_edges(ns, nd, e, seed=3)
    et = ("user", "rates", "item")
    g = dgl.heterograph({et: (u, v)}, num_nodes_dict={"user": ns, "item": nd})
    g.nodes["user"].data["x"] = torch.randn(ns, 2)
    g.nodes["item"].data["y"] = torch.arange(nd)
    g.edges[et].data["rating"] = torch.randint(1, 6, (e,))
    ag = from_dgl(g)
    perm = csr_perm(u, v)
    assert ag.edge_type == et
    assert (ag.graph.num_src_nodes, ag.graph.num_dst_nodes) == (ns, nd)
    assert torch.equal(ag.src_node_data["x"], g.nodes["user"].data["x"])
    assert torch.equal(ag.edge_data["rating"], g.edges[et].data["rating"][perm])
    back = to_dgl(ag)
    assert back.canonical_etypes == [et]
    assert back.num_nodes("user") == ns and back.num_nodes("item") == nd
    assert torch.equal(back.nodes["item"].data["y"], g.nodes["item"].data["y"])
    assert torch.equal(back.edges[et].data["rating"], g.edges[et].data["rating"][perm])


def test_block_round_trip():
    g = make_graph(8, 3, 12, seed=4)
    x_src, y_dst = torch.randn(8, 2), torch.arange(3)
    block = to_dgl(g, node_data={"y": y_dst}, src_node_data={"x": x_src}, block=True)
    assert block.is_block and block.num_src_nodes() == 8 and block.num_dst_nodes() == 3
    assert torch.equal(block.srcdata["x"], x_src) and torch.equal(block.dstdata["y"], y_dst)
    ag = from_dgl(block)
    assert_same_graph(ag.graph, g)
    assert torch.equal(ag.src_node_data["x"], x_src) and torch.equal(ag.node_data["y"], y_dst)
    # A square graph as a block: node features land on both sides.
    sq = make_graph(5, 5, 9, seed=6)
    b2 = to_dgl(sq, node_data={"x": torch.randn(5, 2)}, block=True)
    assert torch.equal(b2.srcdata["x"], b2.dstdata["x"])


def test_bad_inputs():
    with pytest.raises(ValueError, match="expects a dgl.DGLGraph"):
        from_dgl(Graph.empty(2))
    two = dgl.heterograph({("a", "x", "b"): ([0], [1]), ("b", "y", "a"): ([1], [0])})
    with pytest.raises(ValueError, match="2 edge types"):
        from_dgl(two)
    assert from_dgl(two, edge_type=("b", "y", "a")).graph.num_edges == 1
    g = dgl.graph(([0], [1]), num_nodes=2)
    g.edata["weight"] = torch.tensor([[1.0]])
    with pytest.raises(ValueError, match="1-D float"):
        from_dgl(g)
    gs = Graph.from_edge_index(torch.tensor([[0], [1]]), num_nodes=2)
    with pytest.raises(ValueError, match="DGL stores only tensors"):
        to_dgl(gs, node_data={"name": ["a", "b"]})
    sq = AttributedGraph(gs, src_node_data={"x": torch.zeros(2)}, edge_type=("n", "r", "n"))
    with pytest.raises(ValueError, match="one node type"):
        to_dgl(sq)
