"""The shared container and helpers of graphssl.interop."""
import sys

import pytest
import torch

from interop_graphs import csr_perm, make_graph, random_edges

from graphssl.interop import AttributedGraph, from_networkx, from_pyg, to_scipy
from graphssl.interop.attributed_graph import as_attributed, graph_from_coo, take_rows
from graphssl.interop.optional_import import require
from graphssl.sparse import Graph


@pytest.mark.parametrize("ns,nd,e", [(0, 0, 0), (6, 6, 20), (3, 8, 10)])
def test_graph_from_coo_returns_the_csr_permutation(ns, nd, e):
    src, dst = random_edges(ns, nd, e, seed=7)
    w = torch.rand(e)
    g, perm = graph_from_coo(src.int(), dst.int(), ns, nd, w)     # int32 input is fine
    assert torch.equal(perm, csr_perm(src, dst))
    assert torch.equal(g.col, src[perm]) and torch.equal(g.row(), dst[perm])
    assert torch.equal(g.value, w[perm])
    assert (g.num_src_nodes, g.num_dst_nodes) == (ns, nd)


def test_graph_from_coo_bad_inputs():
    with pytest.raises(ValueError, match="integer dtype"):
        graph_from_coo(torch.tensor([0.0]), torch.tensor([1]), 2, 2)
    with pytest.raises(ValueError, match="1 source indices but 2 target"):
        graph_from_coo(torch.tensor([0]), torch.tensor([1, 0]), 2, 2)
    with pytest.raises(ValueError, match="out of range"):
        graph_from_coo(torch.tensor([0]), torch.tensor([4]), 2, 2)
    with pytest.raises(ValueError, match="negative"):
        graph_from_coo(torch.tensor([-1]), torch.tensor([0]), 2, 2)
    with pytest.raises(ValueError, match=r"edge weights must have shape \(1,\)"):
        graph_from_coo(torch.tensor([0]), torch.tensor([1]), 2, 2, torch.ones(2))
    with pytest.raises(ValueError, match="NaN or inf"):
        graph_from_coo(torch.tensor([0]), torch.tensor([1]), 2, 2, torch.tensor([float("nan")]))


def test_take_rows_handles_tensors_arrays_and_lists():
    np = pytest.importorskip("numpy")
    idx = torch.tensor([2, 0, 1])
    assert torch.equal(take_rows(torch.tensor([5, 6, 7]), idx), torch.tensor([7, 5, 6]))
    assert take_rows(np.array([5, 6, 7]), idx).tolist() == [7, 5, 6]
    assert take_rows(["a", "b", "c"], idx) == ["c", "a", "b"]


def test_container_validates_sizes_and_unpacks():
    g = make_graph(3, 5, 4, seed=1)
    ag = AttributedGraph(g, {"y": torch.arange(5)}, {"a": torch.zeros(4)}, {"name": "x"},
                         {"x": torch.zeros(3, 2)})
    graph, nodes, edges = ag
    assert graph is g and set(nodes) == {"y"} and set(edges) == {"a"}
    assert ag.has_two_node_sets
    with pytest.raises(ValueError, match=r"node_data\['y'\] has 3 rows but the graph has 5 target nodes"):
        AttributedGraph(g, {"y": torch.arange(3)})
    with pytest.raises(ValueError, match=r"src_node_data\['x'\] has 5 rows but the graph has 3 source nodes"):
        AttributedGraph(g, src_node_data={"x": torch.zeros(5)})
    with pytest.raises(ValueError, match=r"edge_data\['a'\] has 2 rows but the graph has 4 edges"):
        AttributedGraph(g, edge_data={"a": [1, 2]})
    with pytest.raises(ValueError, match="one row per edge, got int"):
        AttributedGraph(g, edge_data={"a": 3})
    with pytest.raises(ValueError, match="edge_type must be"):
        AttributedGraph(g, edge_type=("a", "b"))
    with pytest.raises(ValueError, match="must be a graphssl.sparse.Graph"):
        AttributedGraph("not a graph")
    with pytest.raises(ValueError, match=r"edge_perm must have shape \(4,\)"):
        AttributedGraph(g, edge_perm=torch.arange(3))


def test_as_attributed_merges_explicit_values_over_its_own():
    g = Graph.empty(2)
    ag = AttributedGraph(g, {"x": torch.zeros(2), "y": torch.ones(2)}, graph_data={"k": 1})
    merged = as_attributed(ag, node_data={"x": torch.full((2,), 5.0)})
    assert torch.equal(merged.node_data["x"], torch.full((2,), 5.0)) and "y" in merged.node_data
    assert merged.graph_data == {"k": 1} and ag.node_data["x"].sum() == 0     # the input is untouched


def test_to_device_moves_tensors():
    ag = AttributedGraph(make_graph(4, 4, 6), {"x": torch.zeros(4), "names": list("abcd")},
                         edge_perm=torch.arange(6))
    moved = ag.to("cpu")
    assert moved.graph.device.type == "cpu" and moved.node_data["names"] == list("abcd")
    if torch.cuda.is_available():
        on_gpu = ag.to("cuda")
        assert on_gpu.graph.device.type == "cuda" and on_gpu.node_data["x"].is_cuda


def test_missing_optional_dependency_gives_an_install_hint(monkeypatch):
    with pytest.raises(ImportError, match="pip install no_such_pkg_for_graphssl"):
        require("no_such_pkg_for_graphssl", "a test")
    # None in sys.modules makes `import` fail as if the package were not installed.
    monkeypatch.setitem(sys.modules, "torch_geometric.data", None)
    with pytest.raises(ImportError, match=r"from_pyg needs 'torch_geometric.data'.*pip install graphssl\[pyg\]"):
        from_pyg(object())
    monkeypatch.setitem(sys.modules, "networkx", None)
    with pytest.raises(ImportError, match=r"pip install graphssl\[nx\]"):
        from_networkx(object())
    monkeypatch.setitem(sys.modules, "scipy.sparse", None)
    with pytest.raises(ImportError, match="to_scipy needs"):
        to_scipy(Graph.empty(1))
