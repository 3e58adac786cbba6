"""Round trips between graphssl and networkx."""
import pytest
import torch

nx = pytest.importorskip("networkx")
np = pytest.importorskip("numpy")

from interop_graphs import SQUARE_SHAPES, assert_same_graph, make_graph  # noqa: E402

from graphssl.interop import AttributedGraph, from_networkx, to_networkx  # noqa: E402
from graphssl.sparse import Graph  # noqa: E402


def _labelled_digraph(multi: bool):
    G = (nx.MultiDiGraph if multi else nx.DiGraph)(name="toy", year=2024)
    labels = ["a", ("t", 1), 7, "lonely", "d"]
    for i, v in enumerate(labels):
        G.add_node(v, feat=[float(i), -1.5 * i], label=i, kind=f"k{i % 2}", flag=bool(i % 2))
    edges = [("a", 7, 0.5), (7, "a", 2.25), ("d", "d", 1.0), (("t", 1), "a", 3.0), ("a", "d", 0.125)]
    if multi:
        edges.append(("a", 7, 4.0))          # a parallel edge
    for k, (s, t, w) in enumerate(edges):
        G.add_edge(s, t, weight=w, etype=k, tag=f"e{k}")
    return G, labels


def _assert_same_nx(G, H):
    assert type(G) is type(H)
    assert list(G.nodes(data=True)) == list(H.nodes(data=True))
    assert G.graph == H.graph
    key = (lambda e: (str(e[0]), str(e[1]), sorted(e[2].items())))
    assert sorted(G.edges(data=True), key=key) == sorted(H.edges(data=True), key=key)


@pytest.mark.parametrize("multi", [False, True])
def test_labelled_digraph_round_trip(multi):
    G, labels = _labelled_digraph(multi)
    ag = from_networkx(G, float_dtype=torch.float64)
    assert ag.node_ids == labels and ag.graph_data == {"name": "toy", "year": 2024}
    assert ag.graph.num_nodes == 5 and ag.graph.num_edges == G.number_of_edges()
    assert ag.node_data["feat"].dtype == torch.float64 and ag.node_data["feat"].shape == (5, 2)
    assert ag.node_data["label"].dtype == torch.int64 and ag.node_data["flag"].dtype == torch.bool
    assert ag.node_data["kind"] == ["k0", "k1", "k0", "k1", "k0"]        # strings stay a list
    # Edge attributes follow the CSR order: check through edge_perm against the nx edge list.
    nx_edges = list(G.edges(data=True))
    for k in range(ag.graph.num_edges):
        s, t, d = nx_edges[int(ag.edge_perm[k])]
        assert int(ag.graph.col[k]) == labels.index(s) and int(ag.graph.row()[k]) == labels.index(t)
        assert float(ag.graph.value[k]) == d["weight"] and ag.edge_data["tag"][k] == d["tag"]
    _assert_same_nx(G, to_networkx(ag, multigraph=multi))


def test_undirected_round_trip():
    G = nx.karate_club_graph()
    G.add_edge(3, 3, weight=2.0)                 # an undirected self-loop is one edge
    G.add_node(34, club="none")                  # an isolated node
    ag = from_networkx(G)
    assert ag.node_ids is None
    assert ag.graph.num_edges == 2 * (G.number_of_edges() - 1) + 1
    dense = ag.graph.to_dense()
    assert torch.equal(dense, dense.T)
    H = to_networkx(ag, undirected=True)
    assert nx.utils.graphs_equal(G, H)
    assert all(H.edges[u, v]["weight"] == d["weight"] for u, v, d in G.edges(data=True))


@pytest.mark.parametrize("n,_,e", SQUARE_SHAPES)
def test_graph_round_trip_is_identical(n, _, e):
    g = make_graph(n, n, e, seed=4, weighted=e > 0)    # with no edge, nx cannot tell it was weighted
    x = torch.randn(n, 3)
    G = to_networkx(g, node_data={"x": x}, edge_data={"edge_id": torch.arange(e)}, multigraph=True)
    assert G.number_of_nodes() == n and G.number_of_edges() == e
    ag = from_networkx(G)
    assert_same_graph(ag.graph, g)
    if n:                                              # (nx has nowhere to keep a 0-node attribute)
        assert torch.equal(ag.node_data["x"], x)
    if e:
        assert torch.equal(ag.edge_data["edge_id"], torch.arange(e))


def test_adjacency_matches_networkx_orientation():
    g = make_graph(9, 9, 30, seed=1, dups=False).coalesce()
    G = to_networkx(g)
    ref = nx.to_numpy_array(G, nodelist=range(9), weight="weight")   # ref[u, v]: edge u -> v
    assert np.allclose(g.to_dense().T.numpy(), ref)


def test_unweighted_graph_has_no_weight_attribute():
    g = Graph.from_edge_index(torch.tensor([[0, 1], [1, 2]]), num_nodes=3)
    G = to_networkx(g)
    assert all("weight" not in d for _, _, d in G.edges(data=True))
    assert from_networkx(G).graph.value is None


def test_bad_inputs():
    with pytest.raises(ValueError, match="expects a networkx graph"):
        from_networkx({0: [1]})
    G = nx.DiGraph()
    G.add_edge(0, 1, weight=1.0)
    G.add_edge(1, 2)
    with pytest.raises(ValueError, match="set on only 1 of 2"):
        from_networkx(G)
    with pytest.raises(ValueError, match="edge attribute 'weight' is missing on 1 of 2"):
        from_networkx(G, edge_weight=None)
    G2 = nx.Graph()
    G2.add_node(0, x=1.0)
    G2.add_node(1)
    with pytest.raises(ValueError, match="node attribute 'x' is missing on 1 of 2"):
        from_networkx(G2)
    G3 = nx.DiGraph()
    G3.add_edge(0, 1, weight="heavy")
    with pytest.raises(ValueError, match="must be a number"):
        from_networkx(G3)
    dup = Graph.from_edge_index(torch.tensor([[0, 0], [1, 1]]), num_nodes=2)
    with pytest.raises(ValueError, match="duplicate edges"):
        to_networkx(dup)
    assert to_networkx(dup, multigraph=True).number_of_edges() == 2
    one_way = Graph.from_edge_index(torch.tensor([[0], [1]]), num_nodes=2)
    with pytest.raises(ValueError, match="symmetric"):
        to_networkx(one_way, undirected=True)
    w = torch.tensor([1.0, 2.0])
    unequal = Graph.from_edge_index(torch.tensor([[0, 1], [1, 0]]), num_nodes=2, edge_weight=w)
    with pytest.raises(ValueError, match="same weight"):
        to_networkx(unequal, undirected=True)
    bip = Graph.from_edge_index(torch.tensor([[0], [1]]), num_nodes=2, num_src_nodes=3)
    with pytest.raises(ValueError, match="one node set"):
        to_networkx(bip)
    with pytest.raises(ValueError, match="node_ids has 1 entries"):
        AttributedGraph(one_way, node_ids=["a"])
