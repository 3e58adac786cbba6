"""Property tests of `Graph` against dense matrices built edge by edge in the test.

Random graphs (hypothesis) include 0 nodes, isolated nodes, self-loops, duplicate edges
and bipartite graphs. Dense convention: ``A[t, s]`` sums the weights of edges ``s -> t``.
"""
from dataclasses import dataclass
from typing import Optional

import pytest
import torch

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from graphssl.sparse import Graph  # noqa: E402

PROPERTY = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@dataclass
class Case:
    """COO edges in input order, optional weights, and the node counts."""

    ns: int
    nd: int
    square: bool
    src: torch.Tensor
    dst: torch.Tensor
    w: Optional[torch.Tensor]

    @property
    def E(self) -> int:
        return self.src.numel()

    def graph(self, **kw) -> Graph:
        return Graph.from_edge_index(torch.stack([self.src, self.dst]), self.nd, self.w,
                                     num_src_nodes=None if self.square else self.ns, **kw)

    def dense(self, count: bool = False) -> torch.Tensor:
        """``A[t, s]``: summed weights (or edge counts) of the edges ``s -> t``."""
        a = torch.zeros(self.nd, self.ns, dtype=torch.float64)
        for e in range(self.E):
            a[int(self.dst[e]), int(self.src[e])] += 1.0 if (count or self.w is None) else float(self.w[e])
        return a


@st.composite
def cases(draw, max_nodes: int = 7, max_edges: int = 18, bipartite: Optional[bool] = None,
          weighted: Optional[bool] = None) -> Case:
    square = (not draw(st.booleans())) if bipartite is None else not bipartite
    ns = draw(st.integers(0, max_nodes))
    nd = ns if square else draw(st.integers(0, max_nodes))
    E = draw(st.integers(0, max_edges)) if ns and nd else 0
    src = draw(st.lists(st.integers(0, ns - 1), min_size=E, max_size=E)) if E else []
    dst = draw(st.lists(st.integers(0, nd - 1), min_size=E, max_size=E)) if E else []
    has_w = draw(st.booleans()) if weighted is None else weighted
    w = None
    if has_w:
        # Dyadic weights: sums are exact in float64 whatever the order of addition.
        w = torch.tensor(draw(st.lists(st.integers(1, 64), min_size=E, max_size=E)), dtype=torch.float64) / 8
    return Case(ns, nd, square, torch.tensor(src, dtype=torch.long), torch.tensor(dst, dtype=torch.long), w)


def _csr_sorted_without_duplicates(g: Graph) -> bool:
    key = g.row() * max(g.num_src_nodes, 1) + g.col
    return bool((key[1:] > key[:-1]).all()) if g.num_edges > 1 else True


# ---------------------------------------------------------------------------- construction
@PROPERTY
@given(case=cases())
def test_from_edge_index_builds_sorted_csr(case):
    g = case.graph()
    assert (g.num_src_nodes, g.num_dst_nodes, g.num_edges) == (case.ns, case.nd, case.E)
    assert g.is_bipartite == (case.ns != case.nd)
    order = sorted(range(case.E), key=lambda e: (int(case.dst[e]), int(case.src[e]), e))
    perm = torch.tensor(order, dtype=torch.long)
    assert torch.equal(g.col, case.src[perm]) and torch.equal(g.row(), case.dst[perm])
    if case.w is not None:
        assert torch.equal(g.value, case.w[perm])
    counts = torch.bincount(case.dst, minlength=case.nd) if case.E else torch.zeros(case.nd, dtype=torch.long)
    assert torch.equal(g.rowptr, torch.cat([torch.zeros(1, dtype=torch.long), counts.cumsum(0)]))
    torch.testing.assert_close(g.to_dense(torch.float64), case.dense())
    ei, w = g.to_edge_index()
    assert torch.equal(ei, torch.stack([case.src[perm], case.dst[perm]]))
    # the CSR arrays are valid input to the constructor itself
    again = Graph(g.rowptr, g.col, g.value, num_src_nodes=g.num_src_nodes)
    torch.testing.assert_close(again.to_dense(torch.float64), case.dense())


@PROPERTY
@given(case=cases())
def test_coalesce_sums_duplicates(case):
    g = case.graph()
    for c in (g.coalesce(), case.graph(coalesce=True)):
        assert _csr_sorted_without_duplicates(c)
        assert (c.num_src_nodes, c.num_dst_nodes) == (case.ns, case.nd)
        dense = case.dense()
        assert c.num_edges == int((case.dense(count=True) > 0).sum())
        if case.w is None:
            assert c.value is None
            torch.testing.assert_close(c.to_dense(torch.float64), (dense > 0).double())
        else:
            torch.testing.assert_close(c.to_dense(torch.float64), dense)


@PROPERTY
@given(case=cases(), weighted=st.booleans())
def test_degrees_match_dense_counts(case, weighted):
    g = case.graph()
    counts = case.dense(count=True)
    assert torch.equal(g.in_degree(), counts.sum(1).long())
    assert torch.equal(g.out_degree(), counts.sum(0).long())
    if weighted:
        dense = case.dense()
        torch.testing.assert_close(g.in_degree(weighted=True).double(), dense.sum(1))
        torch.testing.assert_close(g.out_degree(weighted=True).double(), dense.sum(0))


@PROPERTY
@given(case=cases())
def test_transpose_is_the_dense_transpose(case):
    g = case.graph()
    t = g.transpose()
    assert (t.num_src_nodes, t.num_dst_nodes, t.num_edges) == (case.nd, case.ns, case.E)
    torch.testing.assert_close(t.to_dense(torch.float64), case.dense().T)
    assert _csr_sorted_or_equal(t)
    perm = g.transpose_perm()
    assert torch.equal(t.col, g.row()[perm]) and torch.equal(t.row(), g.col[perm])
    if g.value is not None:
        assert torch.equal(t.value, g.value[perm])
    assert t.transpose() is g and g.transpose() is t                    # cached both ways


def test_a_dropped_graph_is_freed_at_once_though_its_transpose_lives():
    # The transpose points back weakly: no reference cycle keeps a dropped graph (and its
    # caches) alive until the cyclic collector runs.
    import gc
    import weakref

    g = Graph.from_edge_index(torch.tensor([[0, 1, 2, 2], [1, 2, 0, 1]]), 3)
    t = g.transpose()
    dense = g.to_dense()
    gone = weakref.ref(g)
    gc.disable()
    try:
        del g
        assert gone() is None
    finally:
        gc.enable()
    back = t.transpose()  # rebuilt from the transpose alone
    torch.testing.assert_close(back.to_dense(), dense)
    assert t.transpose() is back


def test_pickle_drops_the_caches():
    import pickle

    from graphssl.sparse import spmm

    g = Graph.from_edge_index(torch.tensor([[0, 1, 2, 2], [1, 2, 0, 1]]), 3, torch.tensor([1.0, 2.0, 3.0, 4.0]))
    x = torch.randn(3, 2, requires_grad=True)
    spmm(g, x).sum().backward()  # fills the caches: transpose, transposed weights, ...
    assert g._cache
    h = pickle.loads(pickle.dumps(g))
    assert h._cache == {} and g._cache
    assert torch.equal(h.rowptr, g.rowptr) and torch.equal(h.col, g.col) and torch.equal(h.value, g.value)
    torch.testing.assert_close(h.transpose().to_dense(), g.to_dense().T)


def _csr_sorted_or_equal(g: Graph) -> bool:
    key = g.row() * max(g.num_src_nodes, 1) + g.col
    return bool((key[1:] >= key[:-1]).all()) if g.num_edges > 1 else True


# ---------------------------------------------------------------------------- transforms
@PROPERTY
@given(case=cases(bipartite=False))
def test_remove_self_loops(case):
    g = case.graph().remove_self_loops()
    dense = case.dense()
    dense.fill_diagonal_(0.0)
    torch.testing.assert_close(g.to_dense(torch.float64), dense)
    assert g.num_edges == int((case.src != case.dst).sum())      # other duplicates are kept
    assert not g.has_self_loops()


@PROPERTY
@given(case=cases(bipartite=False), fill=st.sampled_from([1.0, 2.5]))
def test_add_self_loops_adds_only_missing_ones(case, fill):
    g = case.graph().add_self_loops(fill)
    expected = case.dense()
    has_loop = case.dense(count=True).diagonal() > 0
    for i in range(case.nd):
        if not has_loop[i]:
            expected[i, i] = fill
    torch.testing.assert_close(g.to_dense(torch.float64), expected)
    assert g.num_edges == case.E + int((~has_loop).sum())
    assert (g.value is None) == (case.w is None and fill == 1.0)


@pytest.mark.parametrize("reduce", ["sum", "max", "mean"])
@PROPERTY
@given(case=cases(bipartite=False))
def test_to_undirected_matches_dense(reduce, case):
    g = case.graph().to_undirected(reduce)
    assert _csr_sorted_without_duplicates(g)
    # Every edge and its reverse, grouped by (t, s), merged with `reduce` (PyG's convention:
    # a self-loop meets its own reverse, so "sum" doubles it).
    groups = {}
    for e in range(case.E):
        s, t = int(case.src[e]), int(case.dst[e])
        w = 1.0 if case.w is None else float(case.w[e])
        groups.setdefault((t, s), []).append(w)
        groups.setdefault((s, t), []).append(w)
    expected = torch.zeros(case.nd, case.nd, dtype=torch.float64)
    for (t, s), ws in groups.items():
        if case.w is None:
            expected[t, s] = 1.0
        else:
            expected[t, s] = {"sum": sum(ws), "max": max(ws), "mean": sum(ws) / len(ws)}[reduce]
    torch.testing.assert_close(g.to_dense(torch.float64), expected)
    assert g.num_edges == len(groups)
    dense = g.to_dense(torch.float64)
    assert torch.equal(dense, dense.T)


@PROPERTY
@given(case=cases(bipartite=False), add_loops=st.booleans())
def test_gcn_norm_matches_dense_formula(case, add_loops):
    g = case.graph().gcn_norm(add_self_loops=add_loops)
    a = case.dense()
    if add_loops:  # "A + I" in PyG's add_remaining_self_loops sense: existing loops keep their weight
        has_loop = case.dense(count=True).diagonal() > 0
        a = a + torch.diag((~has_loop).double())
    deg = a.sum(1)                                   # weighted in-degree of each target
    dinv = torch.where(deg > 0, deg.pow(-0.5), torch.zeros_like(deg))
    expected = dinv.view(-1, 1) * a * dinv.view(1, -1)
    torch.testing.assert_close(g.to_dense(torch.float64), expected, rtol=1e-6, atol=1e-7)


@PROPERTY
@given(case=cases(bipartite=False), data=st.data())
def test_subgraph_is_dense_slicing(case, data):
    g = case.graph()
    nodes = data.draw(st.permutations(list(range(case.nd))).flatmap(
        lambda p: st.integers(0, len(p)).map(lambda k: p[:k])))
    idx = torch.tensor(nodes, dtype=torch.long)
    sub, eid = g.subgraph(idx, return_edge_ids=True)
    dense = case.dense()
    torch.testing.assert_close(sub.to_dense(torch.float64), dense[idx][:, idx])
    # the edge ids point at the kept edges of g, in the subgraph's CSR order
    assert eid.numel() == sub.num_edges
    assert torch.equal(idx[sub.col], g.col[eid]) and torch.equal(idx[sub.row()], g.row()[eid])
    if g.value is not None:
        assert torch.equal(sub.value, g.value[eid])
    mask = torch.zeros(case.nd, dtype=torch.bool)
    mask[idx] = True
    by_mask = g.subgraph(mask)
    kept = mask.nonzero().view(-1)
    torch.testing.assert_close(by_mask.to_dense(torch.float64), dense[kept][:, kept])


@PROPERTY
@given(case=cases())
def test_with_value_and_to_device(case):
    g = case.graph()
    w = torch.arange(case.E, dtype=torch.float32)
    h = g.with_value(w)
    assert torch.equal(h.col, g.col) and torch.equal(h.value, w)
    assert g.to("cpu") is g
    assert g.with_value(None).value is None


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_to_cuda_and_back():
    g = Graph.from_edge_index(torch.tensor([[0, 1, 2, 2], [1, 2, 0, 0]]), num_nodes=4,
                              edge_weight=torch.tensor([1.0, 2.0, 3.0, 4.0]))
    c = g.to("cuda")
    assert c.device.type == "cuda" and c.rowptr.is_cuda and c.value.is_cuda
    assert torch.equal(c.transpose().to_dense().cpu(), g.transpose().to_dense())
    assert torch.equal(c.in_degree().cpu(), g.in_degree())
    back = c.to("cpu")
    assert torch.equal(back.rowptr, g.rowptr) and torch.equal(back.value, g.value)


# ---------------------------------------------------------------------------- bad inputs
def test_constructor_rejects_bad_csr():
    ok_ptr, ok_col = torch.tensor([0, 1, 2]), torch.tensor([1, 0])
    with pytest.raises(ValueError, match="rowptr must have an integer dtype"):
        Graph(ok_ptr.float(), ok_col)
    with pytest.raises(ValueError, match="col must be 1-dimensional"):
        Graph(ok_ptr, ok_col.view(1, 2))
    with pytest.raises(ValueError, match="rowptr must be a torch.Tensor"):
        Graph([0, 1, 2], ok_col)
    with pytest.raises(ValueError, match="at least one entry"):
        Graph(torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long))
    with pytest.raises(ValueError, match=r"rowptr\[0\] must be 0, got 1"):
        Graph(torch.tensor([1, 1, 2]), ok_col)
    with pytest.raises(ValueError, match=r"rowptr\[-1\] \(3\) must equal the number of edges \(2\)"):
        Graph(torch.tensor([0, 1, 3]), ok_col)
    with pytest.raises(ValueError, match="non-decreasing"):
        Graph(torch.tensor([0, 2, 1, 2]), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="source index -1 is negative"):
        Graph(ok_ptr, torch.tensor([1, -1]))
    with pytest.raises(ValueError, match="source index 2 is out of range for 2 source nodes"):
        Graph(ok_ptr, torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="source index 3 is out of range for 3 source nodes"):
        Graph(ok_ptr, torch.tensor([1, 3]), num_src_nodes=3)
    with pytest.raises(ValueError, match="num_src_nodes must be >= 0"):
        Graph(torch.tensor([0]), torch.zeros(0, dtype=torch.long), num_src_nodes=-1)
    with pytest.raises(ValueError, match=r"edge weights must have shape \(2,\)"):
        Graph(ok_ptr, ok_col, torch.ones(3))
    with pytest.raises(ValueError, match="edge weights must be floating point"):
        Graph(ok_ptr, ok_col, torch.ones(2, dtype=torch.long))
    with pytest.raises(ValueError, match="NaN or inf"):
        Graph(ok_ptr, ok_col, torch.tensor([1.0, float("nan")]))
    with pytest.raises(ValueError, match="NaN or inf"):
        Graph(ok_ptr, ok_col, torch.tensor([float("-inf"), 1.0]))


def test_from_edge_index_rejects_bad_input():
    with pytest.raises(ValueError, match=r"edge_index must have shape \[2, E\], got \(3, 2\)"):
        Graph.from_edge_index(torch.zeros(3, 2, dtype=torch.long))
    with pytest.raises(ValueError, match="edge_index must be 2-dimensional"):
        Graph.from_edge_index(torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match="edge_index must have an integer dtype"):
        Graph.from_edge_index(torch.zeros(2, 2))
    with pytest.raises(ValueError, match=r"edge_index contains a negative index \(-3\)"):
        Graph.from_edge_index(torch.tensor([[0, -3], [1, 0]]))
    with pytest.raises(ValueError, match="node index 5, out of range for num_nodes=3"):
        Graph.from_edge_index(torch.tensor([[0, 5], [1, 0]]), num_nodes=3)
    with pytest.raises(ValueError, match="target index 4 is out of range for 2 target nodes"):
        Graph.from_edge_index(torch.tensor([[0], [4]]), num_nodes=2, num_src_nodes=6)
    with pytest.raises(ValueError, match="source index 6 is out of range for 6 source nodes"):
        Graph.from_edge_index(torch.tensor([[6], [1]]), num_nodes=2, num_src_nodes=6)
    with pytest.raises(ValueError, match="NaN or inf"):
        Graph.from_edge_index(torch.tensor([[0], [1]]), edge_weight=torch.tensor([float("inf")]))
    with pytest.raises(ValueError, match=r"edge weights must have shape \(1,\)"):
        Graph.from_edge_index(torch.tensor([[0], [1]]), edge_weight=torch.ones(2))
    with pytest.raises(ValueError, match="num_nodes must be >= 0"):
        Graph.empty(-1)
    # inferred sizes: max index + 1, and an empty edge_index gives an empty graph
    assert Graph.from_edge_index(torch.tensor([[0, 4], [1, 0]])).num_nodes == 5
    assert Graph.from_edge_index(torch.zeros(2, 0, dtype=torch.long)).num_nodes == 0


def test_transforms_reject_bad_input():
    g = Graph.from_edge_index(torch.tensor([[0, 1], [1, 2]]), num_nodes=3)
    bip = Graph.from_edge_index(torch.tensor([[0], [1]]), num_nodes=2, num_src_nodes=3)
    for method in ("remove_self_loops", "add_self_loops", "to_undirected", "gcn_norm"):
        with pytest.raises(ValueError, match=f"{method} needs a square graph"):
            getattr(bip, method)()
    with pytest.raises(ValueError, match="subgraph needs a square graph"):
        bip.subgraph(torch.tensor([0]))
    with pytest.raises(ValueError, match="reduce must be 'sum', 'max' or 'mean', got 'min'"):
        g.to_undirected("min")
    with pytest.raises(ValueError, match=r"subgraph nodes must lie in \[0, 3\), got \[0, 3\]"):
        g.subgraph(torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="subgraph nodes must lie in"):
        g.subgraph(torch.tensor([-1, 1]))
    with pytest.raises(ValueError, match="duplicates"):
        g.subgraph(torch.tensor([1, 1]))
    with pytest.raises(ValueError, match="node mask has length 2, expected 3"):
        g.subgraph(torch.tensor([True, False]))
    with pytest.raises(ValueError, match="nodes must have an integer dtype"):
        g.subgraph(torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"edge weights must have shape \(2,\)"):
        g.with_value(torch.ones(3))
    with pytest.raises(ValueError, match="NaN or inf"):
        g.with_value(torch.tensor([0.0, float("nan")]))
