"""Round trips between graphssl and PyG `Data` / `HeteroData`."""
import pytest
import torch

from graphssl.interop import AttributedGraph, from_pyg, to_pyg
from graphssl.sparse import Graph, spmm

pyg_data = pytest.importorskip("torch_geometric.data")
pyg_utils = pytest.importorskip("torch_geometric.utils")

from interop_graphs import SQUARE_SHAPES, assert_same_graph, csr_perm, make_graph, random_edges  # noqa: E402


def _data(n: int, e: int, seed: int):
    src, dst = random_edges(n, n, e, seed)
    gen = torch.Generator().manual_seed(seed)
    return pyg_data.Data(
        x=torch.randn(n, 3, generator=gen), y=torch.randint(0, 4, (n,), generator=gen),
        train_mask=torch.rand(n, generator=gen) < 0.5,
        edge_index=torch.stack([src, dst]), edge_weight=torch.rand(e, generator=gen),
        edge_attr=torch.randn(e, 2, generator=gen), edge_label=torch.randint(0, 5, (e,), generator=gen),
        graph_label=torch.tensor([[7.0, 8.0]]), name="toy", num_nodes=n)


@pytest.mark.parametrize("n,_,e", SQUARE_SHAPES)
def test_data_round_trip_keeps_everything(n, _, e):
    data = _data(n, e, seed=n + e)
    ag = from_pyg(data)
    graph, node_data, edge_data = ag                      # unpacks as a 3-tuple
    perm = csr_perm(data.edge_index[0], data.edge_index[1])
    assert torch.equal(ag.edge_perm, perm)
    assert graph.num_nodes == n and graph.num_edges == e
    assert torch.equal(graph.value, data.edge_weight[perm])
    assert torch.equal(edge_data["edge_attr"], data.edge_attr[perm])
    assert torch.equal(edge_data["edge_label"], data.edge_label[perm])
    assert ag.graph_data["name"] == "toy"

    back = to_pyg(ag)
    assert isinstance(back, pyg_data.Data) and back.num_nodes == n
    assert torch.equal(back.edge_index, data.edge_index[:, perm])
    for key in ("edge_weight", "edge_attr", "edge_label"):
        assert torch.equal(back[key], data[key][perm]), key
    for key in ("x", "y", "train_mask", "graph_label"):
        assert torch.equal(back[key], data[key]), key
    assert back.name == "toy"
    assert set(back.keys()) == set(data.keys())


@pytest.mark.parametrize("n,_,e", SQUARE_SHAPES)
@pytest.mark.parametrize("weighted", [True, False])
def test_graph_round_trip_is_identical(n, _, e, weighted):
    g = make_graph(n, n, e, seed=3, weighted=weighted)
    x = torch.randn(n, 4)
    data = to_pyg(g, node_data={"x": x}, edge_data={"edge_id": torch.arange(e)})
    assert ("edge_weight" in data) == weighted
    ag = from_pyg(data)
    assert_same_graph(ag.graph, g)
    assert torch.equal(ag.node_data["x"], x)
    assert torch.equal(ag.edge_data["edge_id"], torch.arange(e))   # CSR order is kept as is
    assert torch.equal(ag.edge_perm, torch.arange(e))


def test_isolated_nodes_survive_without_features():
    g = Graph.from_edge_index(torch.tensor([[0], [1]]), num_nodes=5)
    data = to_pyg(g)
    assert data.num_nodes == 5
    assert from_pyg(data).graph.num_nodes == 5


def test_conventions_match_pyg_message_passing():
    g = make_graph(9, 9, 30, seed=1)
    data = to_pyg(g)
    x = torch.randn(9, 5, dtype=torch.float64)
    src, dst = data.edge_index
    ref = pyg_utils.scatter(x[src] * data.edge_weight.double().unsqueeze(1), dst, 0, dim_size=9, reduce="sum")
    torch.testing.assert_close(spmm(g, x), ref)


@pytest.mark.parametrize("ns,nd,e", [(4, 7, 15), (8, 3, 12), (5, 5, 6), (3, 0, 0)])
def test_hetero_bipartite_round_trip(ns, nd, e):
    src, dst = random_edges(ns, nd, e, seed=2)
    data = pyg_data.HeteroData()
    data["user"].x = torch.randn(ns, 2)
    data["user"].num_nodes = ns
    data["item"].num_nodes = nd
    data["item"].y = torch.arange(nd)
    et = ("user", "rates", "item")
    data[et].edge_index = torch.stack([src, dst])
    data[et].edge_weight = torch.rand(e)
    data[et].rating = torch.randint(1, 6, (e,))
    data["user"].meta = "not per node"   # a store-level attribute that is not per-row
    data.split = "train"
    ag = from_pyg(data)
    perm = csr_perm(src, dst)
    assert ag.edge_type == et
    assert ag.graph.num_src_nodes == ns and ag.graph.num_dst_nodes == nd
    assert torch.equal(ag.src_node_data["x"], data["user"].x)
    assert torch.equal(ag.node_data["y"], data["item"].y)
    assert torch.equal(ag.edge_data["rating"], data[et].rating[perm])
    assert ag.graph_data[("user", "meta")] == "not per node" and ag.graph_data["split"] == "train"

    back = to_pyg(ag)
    assert isinstance(back, pyg_data.HeteroData)
    assert back["user"].num_nodes == ns and back["item"].num_nodes == nd
    assert torch.equal(back[et].edge_index, data[et].edge_index[:, perm])
    assert torch.equal(back[et].edge_weight, data[et].edge_weight[perm])
    assert torch.equal(back["user"].x, data["user"].x) and back["user"].meta == "not per node"
    assert back.split == "train"


def test_bipartite_graph_becomes_hetero_data():
    g = make_graph(4, 7, 15)
    data = to_pyg(g, node_data={"y": torch.arange(7)}, src_node_data={"x": torch.randn(4, 3)})
    assert isinstance(data, pyg_data.HeteroData)
    assert data.edge_types == [("src", "to", "dst")]
    ag = from_pyg(data)
    assert_same_graph(ag.graph, g)
    assert ag.src_node_data["x"].shape == (4, 3)


def test_hetero_with_many_edge_types_needs_a_choice():
    data = pyg_data.HeteroData()
    data["a"].num_nodes, data["b"].num_nodes = 3, 2
    data["a", "x", "b"].edge_index = torch.tensor([[0, 2], [1, 0]])
    data["b", "y", "a"].edge_index = torch.tensor([[1], [2]])
    with pytest.raises(ValueError, match="2 edge types"):
        from_pyg(data)
    ag = from_pyg(data, edge_type=("b", "y", "a"))
    assert ag.graph.num_src_nodes == 2 and ag.graph.num_dst_nodes == 3 and ag.graph.num_edges == 1
    with pytest.raises(ValueError, match="not in the HeteroData"):
        from_pyg(data, edge_type=("a", "z", "b"))


def test_missing_node_store_is_not_created_in_the_input():
    data = pyg_data.HeteroData()
    data["a", "r", "b"].edge_index = torch.tensor([[0, 1], [2, 0]])
    ag = from_pyg(data)
    assert ag.graph.num_src_nodes == 2 and ag.graph.num_dst_nodes == 3
    assert data.node_types == []


def test_weights_may_be_carried_as_an_attribute():
    data = pyg_data.Data(edge_index=torch.tensor([[0, 1], [1, 0]]), edge_weight=torch.tensor([1.0, 2.0]),
                         num_nodes=2)
    ag = from_pyg(data, edge_weight=None)
    assert ag.graph.value is None and "edge_weight" in ag.edge_data


def test_bad_inputs():
    with pytest.raises(ValueError, match="expects a torch_geometric Data"):
        from_pyg({"edge_index": torch.zeros(2, 0)})
    bad_w = pyg_data.Data(edge_index=torch.tensor([[0], [1]]), edge_weight=torch.tensor([[1.0]]), num_nodes=2)
    with pytest.raises(ValueError, match="1-D float tensor"):
        from_pyg(bad_w)
    int_w = pyg_data.Data(edge_index=torch.tensor([[0], [1]]), edge_weight=torch.tensor([1]), num_nodes=2)
    with pytest.raises(ValueError, match="1-D float tensor"):
        from_pyg(int_w)
    out_of_range = pyg_data.Data(edge_index=torch.tensor([[0], [5]]), num_nodes=2)
    with pytest.raises(ValueError, match="out of range"):
        from_pyg(out_of_range)
    negative = pyg_data.Data(edge_index=torch.tensor([[0], [-1]]), num_nodes=2)
    with pytest.raises(ValueError, match="negative"):
        from_pyg(negative)
    float_ei = pyg_data.Data(edge_index=torch.tensor([[0.0], [1.0]]), num_nodes=2)
    with pytest.raises(ValueError, match="integer dtype"):
        from_pyg(float_ei)
    with pytest.raises(ValueError, match="edge_type selects"):
        from_pyg(pyg_data.Data(num_nodes=1), edge_type=("a", "b", "c"))
    g = Graph.from_edge_index(torch.tensor([[0], [1]]), num_nodes=3, edge_weight=torch.tensor([0.5]))
    with pytest.raises(ValueError, match=r"node_data\['x'\] has 2 rows but the graph has 3"):
        to_pyg(g, node_data={"x": torch.zeros(2, 1)})
    with pytest.raises(ValueError, match=r"edge_data\['a'\] has 3 rows"):
        to_pyg(g, edge_data={"a": torch.zeros(3)})
    with pytest.raises(ValueError, match="weights are written there too"):
        to_pyg(g, edge_data={"edge_weight": torch.zeros(1)})
    with pytest.raises(ValueError, match="expected a graphssl Graph"):
        to_pyg("graph")
    bip = Graph.from_edge_index(torch.tensor([[0], [1]]), num_nodes=2, num_src_nodes=3)
    with pytest.raises(ValueError, match="one node type for both ends"):
        to_pyg(AttributedGraph(bip, edge_type=("n", "r", "n")))


def test_pyg_edge_index_subclass_is_accepted():
    EdgeIndex = pytest.importorskip("torch_geometric").EdgeIndex
    ei = EdgeIndex(torch.tensor([[0, 1], [1, 2]]), sparse_size=(3, 3))
    ag = from_pyg(pyg_data.Data(edge_index=ei, num_nodes=3))
    assert type(ag.graph.col) is torch.Tensor and ag.graph.num_edges == 2


def test_index_attributes_are_not_reordered_as_edges():
    # edge_label_index is [2, K] and PyG batches it along the last dim; K == E here on purpose.
    ei = torch.tensor([[2, 0, 1], [0, 1, 2]])
    label_index = torch.tensor([[0, 1, 2], [2, 2, 2]])
    data = pyg_data.Data(edge_index=ei, edge_label_index=label_index, num_nodes=3)
    ag = from_pyg(data)
    assert torch.equal(ag.graph_data["edge_label_index"], label_index)
    assert torch.equal(to_pyg(ag).edge_label_index, label_index)


def test_node_and_edge_attributes_are_told_apart_by_name_when_counts_match():
    data = pyg_data.Data(edge_index=torch.tensor([[0, 1], [1, 0]]), x=torch.tensor([5.0, 6.0]),
                         edge_feat=torch.tensor([1.0, 2.0]), num_nodes=2)
    ag = from_pyg(data)
    assert set(ag.node_data) == {"x"} and set(ag.edge_data) == {"edge_feat"}
    assert torch.equal(ag.edge_data["edge_feat"], torch.tensor([2.0, 1.0]))   # reordered to CSR
