"""Round trips between graphssl and scipy.sparse (orientation A[source, target], as PyG)."""
import pytest
import torch

sp = pytest.importorskip("scipy.sparse")
np = pytest.importorskip("numpy")

from interop_graphs import SHAPES, assert_same_graph, make_graph  # noqa: E402

from graphssl.interop import from_scipy, to_scipy  # noqa: E402
from graphssl.sparse import Graph  # noqa: E402


@pytest.mark.parametrize("ns,nd,e", SHAPES)
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_round_trip_is_identical(ns, nd, e, fmt):
    g = make_graph(ns, nd, e, seed=ns + e, dtype=torch.float64)
    a = to_scipy(g, fmt)
    assert a.format == fmt and a.shape == (ns, nd) and a.nnz == e          # duplicates stay separate
    assert np.allclose(a.toarray(), g.to_dense(torch.float64).T.numpy())  # A[source, target]
    assert_same_graph(from_scipy(a), g)


@pytest.mark.parametrize("ns,nd,e", SHAPES)
def test_unweighted_round_trip(ns, nd, e):
    g = make_graph(ns, nd, e, seed=1, weighted=False)
    a = to_scipy(g)
    assert a.dtype == np.float32 and np.all(a.data == 1)
    assert_same_graph(from_scipy(a, weighted=False), g)


def test_csc_entries_are_in_csr_edge_order():
    g = make_graph(9, 9, 30, seed=2)
    a = to_scipy(g, "csc")
    assert np.array_equal(a.data, g.value.numpy())
    assert np.array_equal(a.indices, g.col.numpy()) and np.array_equal(a.indptr, g.rowptr.numpy())
    coo = to_scipy(g, "coo")
    assert np.array_equal(coo.data, g.value.numpy())


def test_matches_pyg_to_scipy_sparse_matrix():
    utils = pytest.importorskip("torch_geometric.utils")
    g = make_graph(9, 9, 30, seed=3)
    ei, w = g.to_edge_index()
    ref = utils.to_scipy_sparse_matrix(ei, w, num_nodes=9)
    assert np.allclose(to_scipy(g).toarray(), ref.toarray())


def test_matrix_does_not_alias_the_graph():
    g = make_graph(5, 5, 8, seed=4)
    before = g.value.clone()
    a = to_scipy(g, "csc")
    a.data[:] = 0
    assert torch.equal(g.value, before)


def test_from_scipy_values_and_explicit_zeros():
    a = sp.coo_array((np.array([3, 0, 2]), (np.array([0, 1, 1]), np.array([2, 0, 0]))), shape=(2, 3))
    g = from_scipy(a)
    assert g.is_bipartite and (g.num_src_nodes, g.num_dst_nodes) == (2, 3)
    assert g.num_edges == 3                                       # the explicit zero is an edge
    assert g.value.dtype == torch.get_default_dtype()            # integer values become float
    assert torch.equal(g.to_dense().T, torch.tensor([[0.0, 0.0, 3.0], [2.0, 0.0, 0.0]]))
    assert from_scipy(sp.coo_matrix(a)).num_edges == 3           # spmatrix works too
    assert from_scipy(a.astype(np.float32)).value.dtype == torch.float32


def test_half_precision_weights_become_float32():
    g = make_graph(5, 5, 8, seed=4, dtype=torch.float16)
    a = to_scipy(g)
    assert a.dtype == np.float32 and np.array_equal(a.toarray(), g.to_dense(torch.float32).T.numpy())


def test_bad_inputs():
    with pytest.raises(ValueError, match="expects a scipy.sparse"):
        from_scipy(np.eye(3))
    with pytest.raises(ValueError, match="real numbers"):
        from_scipy(sp.csr_array(np.array([[1j, 0], [0, 0]])))
    with pytest.raises(ValueError, match="NaN or inf"):
        from_scipy(sp.csr_array(np.array([[np.nan, 0.0], [0.0, 1.0]])))
    with pytest.raises(ValueError, match="unknown format"):
        to_scipy(Graph.empty(2), "dok")
    with pytest.raises(ValueError, match="expects a graphssl Graph"):
        to_scipy(np.eye(2))
