"""Property tests of the sparse ops against dense / loop definitions, on every backend.

Random graphs (hypothesis) include 0 nodes, isolated nodes, self-loops, duplicate edges
and bipartite graphs. The references below are written from the definitions, edge by
edge, in the *input* (COO) order, so they also check the CSR ordering of edge weights.
"""
from dataclasses import dataclass
from typing import List, Optional

import pytest
import torch
from torch.autograd import gradcheck

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from graphssl.sparse import (Graph, available_backends, edge_cosine, edge_softmax, gather_scatter,  # noqa: E402
                             get_backend, sddmm, segment_reduce, segment_softmax, spmm, use_backend)

# Read at collection time, so a backend that starts importing (numba) is tested too. These
# tests run on CPU tensors: a GPU-only backend (triton on a CUDA machine) is tested in its own file.
BACKENDS = available_backends("cpu")
REDUCES = ["sum", "mean", "max", "min"]
PROPERTY = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _tol(dtype):
    return dict(rtol=1e-5, atol=1e-5) if dtype == torch.float32 else dict(rtol=1e-9, atol=1e-10)


def _skip_unsupported(backend: str, dtype: torch.dtype) -> None:
    with use_backend(backend):
        try:
            get_backend(torch.empty(0, dtype=dtype))
        except ValueError:
            pytest.skip(f"backend {backend!r} does not run {dtype}")


# ---------------------------------------------------------------------------- random graphs
@dataclass
class Case:
    """A COO graph in input order, plus the seed for its features."""

    ns: int
    nd: int
    square: bool
    src: torch.Tensor
    dst: torch.Tensor
    seed: int

    @property
    def E(self) -> int:
        return self.src.numel()

    def perm(self) -> torch.Tensor:
        """CSR order (target, then source, then input position), computed by hand."""
        order = sorted(range(self.E), key=lambda e: (int(self.dst[e]), int(self.src[e]), e))
        return torch.tensor(order, dtype=torch.long)

    def graph(self, weight: Optional[torch.Tensor] = None) -> Graph:
        return Graph.from_edge_index(torch.stack([self.src, self.dst]), self.nd, weight,
                                     num_src_nodes=None if self.square else self.ns)

    def gen(self, salt: int = 0) -> torch.Generator:
        return torch.Generator().manual_seed(self.seed + salt)


@st.composite
def cases(draw, max_nodes: int = 7, max_edges: int = 18, bipartite: Optional[bool] = None) -> Case:
    square = (not draw(st.booleans())) if bipartite is None else not bipartite
    ns = draw(st.integers(0, max_nodes))
    nd = ns if square else draw(st.integers(0, max_nodes))
    E = draw(st.integers(0, max_edges)) if ns and nd else 0
    src = draw(st.lists(st.integers(0, ns - 1), min_size=E, max_size=E)) if E else []
    dst = draw(st.lists(st.integers(0, nd - 1), min_size=E, max_size=E)) if E else []
    seed = draw(st.integers(0, 2 ** 30))
    return Case(ns, nd, square, torch.tensor(src, dtype=torch.long), torch.tensor(dst, dtype=torch.long), seed)


# ---------------------------------------------------------------------------- loop references
def ref_aggregate(case: Case, x: torch.Tensor, reduce: str, w: Optional[torch.Tensor]) -> torch.Tensor:
    """``out[t] = reduce over input edges e into t of w[e] * x[src[e]]`` (w in input order)."""
    out = torch.zeros((case.nd,) + tuple(x.shape[1:]), dtype=x.dtype)
    for t in range(case.nd):
        msgs = []
        for e in range(case.E):
            if int(case.dst[e]) != t:
                continue
            m = x[int(case.src[e])]
            if w is not None:
                we = w[e]
                m = m * (we.view(-1, 1) if (we.dim() == 1 and x.dim() == 3) else we)
            msgs.append(m)
        if not msgs:
            continue
        m = torch.stack(msgs)
        out[t] = {"sum": m.sum(0), "mean": m.sum(0) / len(msgs), "max": m.amax(0), "min": m.amin(0)}[reduce]
    return out


def ref_segment_softmax(scores: torch.Tensor, bounds: List[int]) -> torch.Tensor:
    out = torch.empty_like(scores)
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b > a:
            out[a:b] = torch.softmax(scores[a:b], dim=0)
    return out


def _features(case: Case, rows: int, heads: int, dim: int, dtype, salt: int = 0) -> torch.Tensor:
    shape = (rows, dim) if heads == 0 else (rows, heads, dim)
    return torch.randn(*shape, generator=case.gen(salt), dtype=torch.float64).to(dtype)


def _weights(case: Case, heads: int, dtype) -> torch.Tensor:
    shape = (case.E,) if heads <= 1 else (case.E, heads)
    return (torch.rand(*shape, generator=case.gen(7), dtype=torch.float64) * 2 - 0.5).to(dtype)


# ---------------------------------------------------------------------------- forward properties
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("reduce", REDUCES)
@PROPERTY
@given(case=cases(), heads=st.sampled_from([0, 1, 3]), weighting=st.sampled_from(["none", "graph", "arg", "arg_heads"]),
       dtype=st.sampled_from([torch.float64, torch.float32]), strided=st.booleans())
def test_spmm_matches_loop_definition(backend, reduce, case, heads, weighting, dtype, strided):
    _skip_unsupported(backend, dtype)
    x = _features(case, case.ns, heads, 4, dtype)
    if strided:  # same values in a non-contiguous layout
        x = x.transpose(0, -1).contiguous().transpose(0, -1)
    w_in = None if weighting == "none" else _weights(case, heads if weighting == "arg_heads" else 0, dtype)
    perm = case.perm()
    graph = case.graph(w_in if weighting == "graph" else None)
    assert torch.equal(graph.col, case.src[perm]) and torch.equal(graph.row(), case.dst[perm])
    edge_weight = w_in[perm] if weighting.startswith("arg") else None     # ops take weights in CSR order
    with use_backend(backend):
        out = spmm(graph, x, reduce, edge_weight=edge_weight)
    assert out.shape == (case.nd,) + tuple(x.shape[1:]) and out.dtype == dtype
    torch.testing.assert_close(out, ref_aggregate(case, x, reduce, w_in), **_tol(dtype))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("reduce", REDUCES + ["add"])
@PROPERTY
@given(case=cases(), heads=st.sampled_from([0, 2]), weighted=st.booleans(), extra_rows=st.integers(0, 2))
def test_gather_scatter_matches_loop_definition(backend, reduce, case, heads, weighted, extra_rows):
    x = _features(case, case.ns, heads, 3, torch.float64)
    w = _weights(case, heads, torch.float64) if weighted else None        # COO (input) order here
    with use_backend(backend):
        out = gather_scatter(case.src, case.dst, x, w, reduce, dim_size=case.nd + extra_rows)
    grown = Case(case.ns, case.nd + extra_rows, False, case.src, case.dst, case.seed)
    ref = ref_aggregate(grown, x, "sum" if reduce == "add" else reduce, w)
    torch.testing.assert_close(out, ref, **_tol(torch.float64))


@pytest.mark.parametrize("backend", BACKENDS)
@PROPERTY
@given(case=cases(), heads=st.sampled_from([0, 1, 4]))
def test_edge_softmax_normalises_over_incoming_edges(backend, case, heads):
    graph = case.graph()
    shape = (case.E,) if heads == 0 else (case.E, heads)
    scores = torch.randn(*shape, generator=case.gen(), dtype=torch.float64) * 5
    with use_backend(backend):
        out = edge_softmax(graph, scores)
    torch.testing.assert_close(out, ref_segment_softmax(scores, graph.rowptr.tolist()), **_tol(torch.float64))
    # every target with incoming edges sums to one
    sums = torch.zeros((case.nd,) + tuple(shape[1:]), dtype=torch.float64).index_add_(0, graph.row(), out)
    has_in = graph.in_degree() > 0
    torch.testing.assert_close(sums[has_in], torch.ones_like(sums[has_in]))


@pytest.mark.parametrize("backend", BACKENDS)
@PROPERTY
@given(sizes=st.lists(st.integers(0, 5), min_size=1, max_size=8), heads=st.sampled_from([0, 3]),
       seed=st.integers(0, 1000), dtype=st.sampled_from([torch.float64, torch.float32]))
def test_segment_softmax_matches_loop_definition(backend, sizes, heads, seed, dtype):
    _skip_unsupported(backend, dtype)
    bounds = [0]
    for s in sizes:
        bounds.append(bounds[-1] + s)
    E = bounds[-1]
    shape = (E,) if heads == 0 else (E, heads)
    scores = (torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * 30).to(dtype)
    scores_big = scores + 1000.0        # softmax is shift-invariant: no overflow allowed
    with use_backend(backend):
        out = segment_softmax(scores, torch.tensor(bounds))
        out_big = segment_softmax(scores_big, torch.tensor(bounds, dtype=torch.int32))
    ref = ref_segment_softmax(scores.double(), bounds).to(dtype)
    torch.testing.assert_close(out, ref, **_tol(dtype))
    torch.testing.assert_close(out_big, ref, **_tol(dtype))


@pytest.mark.parametrize("backend", BACKENDS)
@PROPERTY
@given(case=cases(), heads=st.sampled_from([0, 1, 3]), dtype=st.sampled_from([torch.float64, torch.float32]))
def test_sddmm_and_edge_cosine_match_per_edge_dots(backend, case, heads, dtype):
    _skip_unsupported(backend, dtype)
    graph = case.graph()
    x_dst = _features(case, case.nd, heads, 5, dtype, salt=1)
    x_src = _features(case, case.ns, heads, 5, dtype, salt=2)
    perm = case.perm()
    ref = torch.stack([(x_dst[int(case.dst[e])] * x_src[int(case.src[e])]).sum(-1) for e in perm.tolist()]) \
        if case.E else torch.zeros((0,) + tuple(x_dst.shape[1:-1]), dtype=dtype)
    norm_d, norm_s = x_dst.norm(dim=-1), x_src.norm(dim=-1)
    cos_ref = torch.stack([ref[k] / (norm_d[int(case.dst[e])] * norm_s[int(case.src[e])])
                           for k, e in enumerate(perm.tolist())]) if case.E else ref
    with use_backend(backend):
        out = sddmm(graph, x_dst, x_src)
        cos = edge_cosine(graph, x_dst, x_src)
    assert out.shape == ref.shape
    torch.testing.assert_close(out, ref, **_tol(dtype))
    torch.testing.assert_close(cos, cos_ref, **_tol(dtype))
    if case.E:
        assert bool((cos.abs() <= 1 + 1e-5).all())


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("reduce", REDUCES)
@PROPERTY
@given(sizes=st.lists(st.integers(0, 4), min_size=1, max_size=7), heads=st.sampled_from([0, 2]),
       seed=st.integers(0, 1000))
def test_segment_reduce_matches_loop_definition(backend, reduce, sizes, heads, seed):
    bounds = [0]
    for s in sizes:
        bounds.append(bounds[-1] + s)
    n = bounds[-1]
    shape = (n, 3) if heads == 0 else (n, heads, 3)
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    with use_backend(backend):
        out = segment_reduce(x, torch.tensor(bounds), reduce)
    ref = torch.zeros((len(sizes),) + shape[1:], dtype=torch.float64)
    for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
        if b > a:
            seg = x[a:b]
            ref[i] = {"sum": seg.sum(0), "mean": seg.mean(0), "max": seg.amax(0), "min": seg.amin(0)}[reduce]
    torch.testing.assert_close(out, ref, **_tol(torch.float64))


@pytest.mark.parametrize("backend", BACKENDS)
@PROPERTY
@given(case=cases(bipartite=False))
def test_spmm_sum_is_the_dense_product(backend, case):
    w = _weights(case, 0, torch.float64)
    graph = case.graph(w)
    dense = torch.zeros(case.nd, case.ns, dtype=torch.float64)
    for e in range(case.E):                                  # A[t, s], duplicates summed
        dense[int(case.dst[e]), int(case.src[e])] += w[e]
    x = _features(case, case.ns, 0, 6, torch.float64)
    with use_backend(backend):
        torch.testing.assert_close(spmm(graph, x), dense @ x, **_tol(torch.float64))
        # the transpose aggregates the other way: A^T x
        y = _features(case, case.nd, 0, 6, torch.float64, salt=3)
        torch.testing.assert_close(spmm(graph.transpose(), y), dense.T @ y, **_tol(torch.float64))
        # backward through the graph's own weights (read from the cached transpose): A^T g
        xr = x.clone().requires_grad_()
        spmm(graph, xr).backward(y)
        torch.testing.assert_close(xr.grad, dense.T @ y, **_tol(torch.float64))


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "torch"])
def test_backends_agree_with_torch_on_a_larger_graph(backend):
    # Big enough for the parallel paths of compiled backends; a few hub targets skew the degrees.
    gen = torch.Generator().manual_seed(0)
    n, E = 3000, 60000
    src = torch.randint(0, n, (E,), generator=gen)
    dst = torch.where(torch.rand(E, generator=gen) < 0.2, torch.randint(0, 3, (E,), generator=gen),
                      torch.randint(0, n, (E,), generator=gen))
    graph = Graph.from_edge_index(torch.stack([src, dst]), n)
    x = torch.randn(n, 2, 8, generator=gen)
    w = torch.rand(E, 2, generator=gen)
    scores = torch.randn(E, 2, generator=gen)
    for reduce in REDUCES:
        with use_backend("torch"):
            ref = spmm(graph, x, reduce, edge_weight=w)
        with use_backend(backend):
            out = spmm(graph, x, reduce, edge_weight=w)
        torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4)
    for op in (lambda: sddmm(graph, x[:n], x), lambda: edge_softmax(graph, scores)):
        with use_backend("torch"):
            ref = op()
        with use_backend(backend):
            out = op()
        torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------------- gradients
def _grad_graphs():
    """Small fixed graphs for gradcheck: multigraph with self-loops and empty rows, bipartite, empty."""
    return {
        "square": Case(6, 6, True, torch.tensor([0, 1, 1, 2, 3, 3, 5, 4, 2, 0]),
                       torch.tensor([1, 1, 2, 2, 0, 0, 3, 1, 1, 0]), seed=11),     # node 4, 5 get nothing
        "bipartite": Case(5, 3, False, torch.tensor([0, 4, 2, 2, 1, 3]), torch.tensor([2, 2, 0, 1, 2, 0]), seed=12),
        "no_edges": Case(3, 3, True, torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long), seed=13),
    }


GRAD_GRAPHS = _grad_graphs()


def _tie_free_x(case: Case, shape) -> torch.Tensor:
    """Distinct values with gaps >> gradcheck's eps, away from 0 (so w * x has no ties)."""
    n = 1
    for s in shape:
        n *= s
    vals = (torch.randperm(n, generator=case.gen(5)).double() + 1.0) * 0.37
    signs = torch.where(torch.rand(n, generator=case.gen(6)) < 0.5, -1.0, 1.0).double()
    return (vals * signs).view(*shape)


def _tie_free_w(case: Case, shape) -> torch.Tensor:
    n = 1
    for s in shape:
        n *= s
    return (1.0 + torch.randperm(n, generator=case.gen(8)).double() * 0.113).view(*shape)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("name", list(GRAD_GRAPHS))
@pytest.mark.parametrize("heads", [0, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_spmm_gradcheck(backend, reduce, name, heads, weighted):
    case = GRAD_GRAPHS[name]
    graph = case.graph()
    x = _tie_free_x(case, (case.ns, 3) if heads == 0 else (case.ns, heads, 3)).requires_grad_()
    inputs = [x]
    if weighted:
        w = _tie_free_w(case, (case.E,) if heads == 0 else (case.E, heads)).requires_grad_()
        inputs.append(w)
    # The full Jacobian for one representative case per reduce; gradcheck's fast mode
    # (random projections of the Jacobian) for the rest keeps this matrix of cases cheap.
    full = name == "square" and heads == 2 and weighted
    with use_backend(backend):
        assert gradcheck(lambda x, *w: spmm(graph, x, reduce, edge_weight=w[0] if w else None), inputs,
                         atol=1e-6, rtol=1e-5, fast_mode=not full)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("reduce", REDUCES)
def test_gather_scatter_gradcheck(backend, reduce):
    case = GRAD_GRAPHS["square"]
    x = _tie_free_x(case, (case.ns, 2)).requires_grad_()
    w = _tie_free_w(case, (case.E,)).requires_grad_()
    with use_backend(backend):
        assert gradcheck(lambda x, w: gather_scatter(case.src, case.dst, x, w, reduce, dim_size=case.nd), (x, w))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(GRAD_GRAPHS))
@pytest.mark.parametrize("heads", [0, 3])
def test_attention_ops_gradcheck(backend, name, heads):
    case = GRAD_GRAPHS[name]
    graph = case.graph()
    s_shape = (case.E,) if heads == 0 else (case.E, heads)
    scores = torch.randn(*s_shape, generator=case.gen(), dtype=torch.float64, requires_grad=True)
    x_dst = torch.randn(*((case.nd, 4) if heads == 0 else (case.nd, heads, 4)), generator=case.gen(1),
                        dtype=torch.float64, requires_grad=True)
    x_src = torch.randn(*((case.ns, 4) if heads == 0 else (case.ns, heads, 4)), generator=case.gen(2),
                        dtype=torch.float64, requires_grad=True)
    with use_backend(backend):
        assert gradcheck(lambda s: edge_softmax(graph, s), (scores,))
        assert gradcheck(lambda s: segment_softmax(s, graph.rowptr), (scores,))
        assert gradcheck(lambda a, b: sddmm(graph, a, b), (x_dst, x_src))
        assert gradcheck(lambda a, b: edge_cosine(graph, a, b), (x_dst, x_src))
        # attention end to end: softmax(sddmm) weights an spmm
        assert gradcheck(lambda a, b: spmm(graph, b, "sum", edge_weight=edge_softmax(graph, sddmm(graph, a, b))),
                         (x_dst, x_src))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("reduce", REDUCES)
def test_segment_reduce_gradcheck(backend, reduce):
    case = GRAD_GRAPHS["square"]
    x = _tie_free_x(case, (9, 2)).requires_grad_()
    ptr = torch.tensor([0, 3, 3, 4, 9])
    with use_backend(backend):
        assert gradcheck(lambda x: segment_reduce(x, ptr, reduce), (x,))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("reduce", ["max", "min"])
def test_max_ties_send_the_whole_gradient_to_the_first_edge(backend, reduce):
    # Sources 0 and 2 hold equal values; both point at target 1. CSR sorts by source, so
    # the edge from source 0 comes first and wins the tie.
    graph = Graph.from_edge_index(torch.tensor([[2, 0, 1], [1, 1, 0]]), num_nodes=3)
    x = torch.tensor([[5.0], [1.0], [5.0]], dtype=torch.float64, requires_grad=True)
    with use_backend(backend):
        out = spmm(graph, x, reduce)
        out.sum().backward()
    assert out[1].item() == 5.0
    assert x.grad.view(-1).tolist() == [1.0, 1.0, 0.0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_backends_agree_on_float32_gradients(backend):
    case = GRAD_GRAPHS["square"]
    graph = case.graph()
    x = torch.randn(case.ns, 2, 4, generator=case.gen(), requires_grad=True)
    w = torch.rand(case.E, 2, generator=case.gen(1), requires_grad=True)
    grads = {}
    for name in ("torch", backend):
        x.grad = w.grad = None
        with use_backend(name):
            (spmm(graph, x, "mean", edge_weight=w) ** 2).sum().backward()
        grads[name] = (x.grad.clone(), w.grad.clone())
    for a, b in zip(grads["torch"], grads[backend]):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------- bad inputs
def _g() -> Graph:
    return Graph.from_edge_index(torch.tensor([[0, 1, 2], [1, 2, 0]]), num_nodes=3)


def test_spmm_bad_inputs():
    g, x = _g(), torch.randn(3, 2)
    with pytest.raises(ValueError, match="unknown reduce 'median'"):
        spmm(g, x, "median")
    with pytest.raises(ValueError, match="x has 4 rows but the graph has 3 source nodes"):
        spmm(g, torch.randn(4, 2))
    with pytest.raises(ValueError, match="x must be floating point"):
        spmm(g, torch.ones(3, 2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"x must be \[N, F\] or \[N, H, D\]"):
        spmm(g, torch.randn(3))
    with pytest.raises(ValueError, match=r"x must be \[N, F\] or \[N, H, D\]"):
        spmm(g, torch.randn(3, 1, 1, 1))
    with pytest.raises(ValueError, match="x must be a torch.Tensor"):
        spmm(g, [[1.0]] * 3)
    with pytest.raises(ValueError, match=r"edge_weight must have shape \[E\] or \[E, H\] with E=3"):
        spmm(g, x, edge_weight=torch.ones(4))
    with pytest.raises(ValueError, match="edge_weight has 2 heads but the features have 3"):
        spmm(g, torch.randn(3, 3, 2), edge_weight=torch.ones(3, 2))
    with pytest.raises(ValueError, match="edge_weight must be a floating point tensor"):
        spmm(g, x, edge_weight=torch.ones(3, dtype=torch.long))
    with pytest.raises(ValueError, match="expected a graphssl.sparse.Graph"):
        spmm(torch.eye(3), x)
    bip = Graph.from_edge_index(torch.tensor([[0], [1]]), num_nodes=2, num_src_nodes=5)
    with pytest.raises(ValueError, match="x has 2 rows but the graph has 5 source nodes"):
        spmm(bip, torch.randn(2, 1))


def test_other_ops_bad_inputs():
    g = _g()
    with pytest.raises(ValueError, match="scores has 2 entries but the graph has 3 edges"):
        edge_softmax(g, torch.randn(2))
    with pytest.raises(ValueError, match="scores must be a float"):
        segment_softmax(torch.ones(3, dtype=torch.long), torch.tensor([0, 3]))
    with pytest.raises(ValueError, match=r"rowptr must be 1-D and end at the number of scores \(3\)"):
        segment_softmax(torch.randn(3), torch.tensor([0, 2]))
    with pytest.raises(ValueError, match="x_dst has 2 rows but the graph has 3 target nodes"):
        sddmm(g, torch.randn(2, 4), torch.randn(3, 4))
    with pytest.raises(ValueError, match="trailing shapes differ"):
        sddmm(g, torch.randn(3, 4), torch.randn(3, 5))
    with pytest.raises(ValueError, match=r"ptr must be 1-D and end at x.size\(0\) \(5\)"):
        segment_reduce(torch.randn(5, 2), torch.tensor([0, 2, 4]))
    with pytest.raises(ValueError, match="unknown reduce"):
        segment_reduce(torch.randn(5, 2), torch.tensor([0, 5]), "prod")
    with pytest.raises(ValueError, match="1-D of equal length"):
        gather_scatter(torch.tensor([0, 1]), torch.tensor([0]), torch.randn(2, 1))
    with pytest.raises(ValueError, match="edge_weight has 3 entries for 2 edges"):
        gather_scatter(torch.tensor([0, 1]), torch.tensor([1, 0]), torch.randn(2, 1), torch.ones(3))
    with pytest.raises(ValueError, match="target index 3 is out of range for 2 target nodes"):
        gather_scatter(torch.tensor([0, 1]), torch.tensor([3, 0]), torch.randn(2, 1), dim_size=2)
    with pytest.raises(ValueError, match="source index 5 is out of range for 2 source nodes"):
        gather_scatter(torch.tensor([5, 1]), torch.tensor([1, 0]), torch.randn(2, 1))
    with pytest.raises(ValueError, match="negative"):
        gather_scatter(torch.tensor([-1, 1]), torch.tensor([1, 0]), torch.randn(2, 1))
    with pytest.raises(ValueError, match="integer dtype"):
        gather_scatter(torch.tensor([0.0, 1.0]), torch.tensor([1, 0]), torch.randn(2, 1))


def test_available_backends_filters_by_device():
    every = available_backends()
    cpu = available_backends("cpu")
    assert "torch" in cpu and set(cpu) <= set(every)
    assert all(_runs_on_cpu(b) for b in cpu)


def _runs_on_cpu(name):
    with use_backend(name):
        return get_backend(torch.zeros(1)) is not None
