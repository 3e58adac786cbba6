"""graphssl/rec/propagation.py and row_kernels.py: the fast products equal the core's spmm
(values and gradients), row-restricted products equal slices of full ones, and a perturbed
propagation equals the clean one plus its offset, gradients included."""
import contextlib

import pytest
import torch

import graphssl.rec.row_kernels as row_kernels
from graphssl.rec import interaction_graph, lightgcn_propagate
from graphssl.rec.propagation import (adj_spmm, is_symmetric, mark_symmetric, perturbation_offset, propagate)
from graphssl.sparse import Graph, spmm, use_backend


def _graph(num_users=30, num_items=20, nnz=150, seed=0):
    g = torch.Generator().manual_seed(seed)
    u = torch.randint(0, num_users, (nnz,), generator=g)
    i = torch.randint(0, num_items, (nnz,), generator=g)
    return interaction_graph(num_users, num_items, u, i)


def _directed(n=40, e=200, seed=1):
    g = torch.Generator().manual_seed(seed)
    ei = torch.randint(0, n, (2, e), generator=g)
    return Graph.from_edge_index(ei, n, edge_weight=torch.rand(e, generator=g, dtype=torch.float64), coalesce=True)


def _grads(fn, x, w):
    x = x.detach().clone().requires_grad_(True)
    out = fn(x)
    (out * w).sum().backward()
    return out.detach(), x.grad


def _path(use_kernels, monkeypatch):
    """The CPU kernels, or the path taken on a GPU or without numba (torch ops only)."""
    if use_kernels:
        return contextlib.nullcontext()
    monkeypatch.setattr(row_kernels, "_cpu_kernel", lambda x: None)
    return use_backend("torch")


@pytest.mark.parametrize("kind", ["interaction", "directed"])
def test_adj_spmm_matches_core_spmm_values_and_grads(kind):
    adj = _graph() if kind == "interaction" else _directed()
    x = torch.randn(adj.num_nodes, 8, dtype=torch.float64)
    w = torch.randn(adj.num_nodes, 8, dtype=torch.float64)
    got, g_got = _grads(lambda t: adj_spmm(adj, t), x, w)
    ref, g_ref = _grads(lambda t: spmm(adj, t), x, w)
    torch.testing.assert_close(got, ref)
    torch.testing.assert_close(g_got, g_ref)
    assert is_symmetric(adj) == (kind == "interaction")


@pytest.mark.parametrize("kind", ["interaction", "directed"])
@pytest.mark.parametrize("use_kernels", [True, False])
def test_row_restricted_product_matches_full_rows(kind, use_kernels, monkeypatch):
    adj = _graph() if kind == "interaction" else _directed()
    rows = torch.tensor([3, 0, 7, 3, adj.num_nodes - 1])  # unsorted, with a repeat
    x = torch.randn(adj.num_nodes, 5, dtype=torch.float64)
    w = torch.randn(rows.numel(), 5, dtype=torch.float64)
    with _path(use_kernels, monkeypatch):
        got, g_got = _grads(lambda t: adj_spmm(adj, t, rows=rows), x, w)
    ref, g_ref = _grads(lambda t: spmm(adj, t)[rows], x, w)
    torch.testing.assert_close(got, ref)
    torch.testing.assert_close(g_got, g_ref)


@pytest.mark.parametrize("use_kernels", [True, False])
@pytest.mark.parametrize("threads", [1, 2])
def test_rows_transpose_product_is_the_dense_transpose_product(use_kernels, threads, monkeypatch):
    g = torch.Generator().manual_seed(4)
    ei = torch.stack([torch.randint(0, 40, (300,), generator=g), torch.randint(0, 25, (300,), generator=g)])
    # a bipartite block: 40 sources (columns), 25 targets (rows), weighted, duplicates kept
    weight = torch.rand(300, generator=g, dtype=torch.float64)
    adj = Graph.from_edge_index(ei, 25, edge_weight=weight, num_src_nodes=40)
    dense = torch.zeros(25, 40, dtype=torch.float64).index_put_((ei[1], ei[0]), weight, accumulate=True)
    rows = torch.tensor([24, 3, 3, 0, 11])  # unsorted, with a repeat
    grad = torch.randn(rows.numel(), 6, dtype=torch.float64, generator=g)
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with _path(use_kernels, monkeypatch):
            got = row_kernels.rows_transpose_product((adj.rowptr, adj.col, adj.value), rows, 40, grad)
    finally:
        torch.set_num_threads(old)
    torch.testing.assert_close(got, dense[rows].t() @ grad)


def test_adj_spmm_rejects_bad_input():
    adj = _graph()
    with pytest.raises(ValueError, match="rows"):
        adj_spmm(adj, torch.randn(adj.num_nodes + 1, 4))
    with pytest.raises(ValueError, match="floating"):
        adj_spmm(adj, torch.ones(adj.num_nodes, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="rows must lie"):
        adj_spmm(adj, torch.randn(adj.num_nodes, 4), rows=torch.tensor([adj.num_nodes]))


def test_interaction_graph_is_marked_symmetric_and_the_mark_is_checked_lazily():
    adj = _graph()
    assert is_symmetric(adj)
    d = _directed()
    assert not is_symmetric(d)
    assert mark_symmetric(d) is d and is_symmetric(d)  # trusted once marked


@pytest.mark.parametrize("include_ego", [True, False])
def test_propagate_matches_lightgcn_and_restricts_rows(include_ego):
    adj = _graph()
    ego = torch.randn(adj.num_nodes, 6, dtype=torch.float64)
    w_rows = torch.tensor([1, 4, 33, 40])
    ref, layers = lightgcn_propagate(adj, ego, 3, return_layers=True, include_ego=include_ego)
    out, kept = propagate(adj, ego, 3, include_ego=include_ego, keep_layer=2)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(kept, layers[2])
    w = torch.randn(w_rows.numel(), 6, dtype=torch.float64)
    got, g_got = _grads(lambda t: propagate(adj, t, 3, include_ego=include_ego, rows=w_rows)[0], ego, w)
    exp, g_exp = _grads(lambda t: lightgcn_propagate(adj, t, 3, include_ego=include_ego)[w_rows], ego, w)
    torch.testing.assert_close(got, exp)
    torch.testing.assert_close(g_got, g_exp)
    with pytest.raises(ValueError, match="keep_layer"):
        propagate(adj, ego, 2, keep_layer=3)


@pytest.mark.parametrize("kind", ["interaction", "directed", "per_layer"])
@pytest.mark.parametrize("use_kernels", [True, False])
def test_propagate_at_rows_matches_full_propagation_for_any_graphs(kind, use_kernels, monkeypatch):
    if kind == "per_layer":  # SGL's random walk: one graph per layer
        adj = [_graph(seed=s) for s in range(3)]
    else:
        adj = _graph() if kind == "interaction" else _directed()
    n = adj[0].num_nodes if isinstance(adj, list) else adj.num_nodes
    rows = torch.tensor([7, 2, n - 1, 2, 0])  # unsorted, with a repeat
    ego = torch.randn(n, 5, dtype=torch.float64)
    w = torch.randn(rows.numel(), 5, dtype=torch.float64)
    for include_ego in (True, False):
        with _path(use_kernels, monkeypatch):
            got, g_got = _grads(lambda t: propagate(adj, t, 3, include_ego=include_ego, rows=rows)[0], ego, w)
        exp, g_exp = _grads(lambda t: propagate(adj, t, 3, include_ego=include_ego)[0][rows], ego, w)
        torch.testing.assert_close(got, exp)
        torch.testing.assert_close(g_got, g_exp)


def test_propagate_at_rows_passes_gradcheck():
    adj = _directed(n=12, e=40)
    rows = torch.tensor([0, 3, 11])
    ego = torch.randn(12, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: propagate(adj, t, 2, rows=rows)[0], (ego,))


def _fixed_noise(eps, d, seed=0):
    """Row-independent 'noise' eps * sign(pre) * v_k with a fixed unit direction per call."""
    g = torch.Generator().manual_seed(seed)
    dirs = torch.nn.functional.normalize(torch.rand(16, d, generator=g, dtype=torch.float64), dim=-1)
    calls = {"n": 0}

    def noise(pre):
        v = dirs[calls["n"] % 16]
        calls["n"] += 1
        return eps * torch.sign(pre) * v

    return noise, calls


@pytest.mark.parametrize("rows", [None, torch.tensor([0, 5, 31, 44])])
@pytest.mark.parametrize("include_ego", [False, True])
def test_clean_plus_offset_is_the_perturbed_propagation_with_its_gradient(rows, include_ego):
    adj = _graph()
    ego0 = torch.randn(adj.num_nodes, 6, dtype=torch.float64)
    w = torch.randn(adj.num_nodes if rows is None else rows.numel(), 6, dtype=torch.float64)

    # reference: noise inside the autograd graph, as the official code writes it
    noise, calls = _fixed_noise(0.3, 6)
    ego = ego0.clone().requires_grad_(True)
    h, total = ego, ego if include_ego else None
    for _ in range(3):
        h = spmm(adj, h)
        h = h + noise(h)
        total = h if total is None else total + h
    ref = total / (4 if include_ego else 3)
    ref = ref if rows is None else ref[rows]
    (ref * w).sum().backward()

    noise, calls = _fixed_noise(0.3, 6)
    ego2 = ego0.clone().requires_grad_(True)
    clean, layers = lightgcn_propagate(adj, ego2, 3, return_layers=True, include_ego=include_ego)
    clean = clean if rows is None else clean[rows]

    def step(c, shift, k):
        pre = c if shift is None else c + shift
        return noise(pre) if shift is None else shift + noise(pre)

    got = clean + perturbation_offset(adj, layers, step, rows=rows, include_ego=include_ego)
    (got * w).sum().backward()
    torch.testing.assert_close(got, ref.detach())
    torch.testing.assert_close(ego2.grad, ego.grad)
    assert calls["n"] == 3


def test_perturbation_offset_needs_a_layer():
    adj = _graph()
    with pytest.raises(ValueError, match="L >= 1"):
        perturbation_offset(adj, [torch.randn(adj.num_nodes, 4)], lambda c, s, k: c)
