"""PPR / heat diffusion: exact vs a dense numpy/scipy reference, per-graph on batches,
approximate push PPR vs exact, sparsification, caching."""
import numpy as np
import pytest
import scipy.linalg
import torch

from augment_graphs import assert_batch_consistent, assert_valid_graph, make_batch, random_graph
from graphssl.augment import (HeatDiffusion, PPRDiffusion, approximate_ppr, heat_diffusion, heat_matrix,
                              ppr_diffusion, ppr_matrix)
from graphssl.sparse import Graph


def _dense_adj(g: Graph, self_loops: bool = True) -> np.ndarray:
    a = g.to_dense(torch.float64).numpy()
    if self_loops:  # add only missing self-loops, as Graph.add_self_loops
        d = np.diag(a).copy()
        a[np.diag_indices_from(a)] = np.where(d == 0, 1.0, d)
    return a


def _transition(a: np.ndarray, norm: str) -> np.ndarray:
    d_in, d_out = a.sum(1), a.sum(0)
    inv = lambda d, p: np.where(d > 0, np.power(np.where(d > 0, d, 1.0), p), 0.0)  # noqa: E731
    if norm == "sym":
        return np.diag(inv(d_in, -0.5)) @ a @ np.diag(inv(d_in, -0.5))
    if norm == "row":
        return np.diag(inv(d_in, -1.0)) @ a
    return a @ np.diag(inv(d_out, -1.0))


def _ppr_ref(g, alpha, norm="sym", self_loops=True):
    t = _transition(_dense_adj(g, self_loops), norm)
    return alpha * np.linalg.inv(np.eye(len(t)) - (1 - alpha) * t)


def _heat_ref(g, t, norm="sym", self_loops=True):
    tr = _transition(_dense_adj(g, self_loops), norm)
    return scipy.linalg.expm(-t * (np.eye(len(tr)) - tr))


@pytest.mark.parametrize("norm", ["sym", "row", "col"])
@pytest.mark.parametrize("weighted", [False, True])
def test_exact_ppr_matches_reference(norm, weighted):
    g = random_graph(25, 60, 0, weighted=weighted, undirected=not weighted)
    ref = _ppr_ref(g, 0.15, norm)
    assert np.allclose(ppr_matrix(g, 0.15, normalization=norm).numpy(), ref, atol=1e-10)
    d = ppr_diffusion(g, 0.15, normalization=norm, method="exact")
    assert_valid_graph(d)
    assert np.allclose(d.to_dense(torch.float64).numpy(), ref, atol=1e-6)


def test_mvgrl_formula_without_self_loops():
    # MVGRL: alpha (I - (1 - alpha) D^-1/2 A D^-1/2)^-1 on A (+ I when self_loop=True)
    g = random_graph(15, 40, 1, undirected=True).remove_self_loops().add_self_loops()
    a = g.to_dense(torch.float64).numpy()
    dinv = np.diag(a.sum(1) ** -0.5)
    ref = 0.2 * np.linalg.inv(np.eye(15) - 0.8 * dinv @ a @ dinv)
    assert np.allclose(ppr_matrix(g, 0.2, add_self_loops=False).numpy(), ref)


@pytest.mark.parametrize("norm", ["sym", "row", "col"])
def test_exact_heat_matches_reference(norm):
    g = random_graph(20, 50, 2, undirected=True)
    ref = _heat_ref(g, 3.0, norm)
    assert np.allclose(heat_matrix(g, 3.0, normalization=norm).numpy(), ref, atol=1e-8)
    d = heat_diffusion(g, 3.0, normalization=norm)
    assert np.allclose(d.to_dense(torch.float64).numpy(), ref, atol=1e-6)


def test_sparsification_topk_and_eps():
    g = random_graph(30, 80, 3, undirected=True)
    ref = _ppr_ref(g, 0.2)
    d = ppr_diffusion(g, 0.2, topk=4)
    assert bool((d.in_degree() == 4).all())
    dense = d.to_dense(torch.float64).numpy()
    for i in range(30):  # the kept sources of every node are its 4 largest
        kept = np.sort(dense[i][dense[i] > 0])
        assert np.allclose(kept, np.sort(ref[i])[-4:], atol=1e-6)
    d = ppr_diffusion(g, 0.2, eps=0.05)
    assert float(d.value.min()) >= 0.05
    assert d.num_edges == int((ref >= 0.05).sum())


def test_batch_diffuses_each_graph_on_its_own():
    b = make_batch([4, 0, 7, 1, 5])
    d = ppr_diffusion(b.graph, 0.2, ptr=b.ptr)
    dense = d.to_dense(torch.float64).numpy()
    for i, item_ptr in enumerate(zip(b.ptr[:-1].tolist(), b.ptr[1:].tolist())):
        lo, hi = item_ptr
        sub = b.graph.subgraph(torch.arange(lo, hi))
        if hi > lo:
            assert np.allclose(dense[lo:hi, lo:hi], _ppr_ref(sub, 0.2), atol=1e-6)
    off_block = np.ones_like(dense, dtype=bool)
    for lo, hi in zip(b.ptr[:-1].tolist(), b.ptr[1:].tolist()):
        off_block[lo:hi, lo:hi] = False
    assert not dense[off_block].any()
    nb = HeatDiffusion(t=2.0).augment_batch(b)
    assert_batch_consistent(nb)
    assert nb.edge_attr is None and torch.equal(nb.x, b.x)
    nb = PPRDiffusion(topk=2).augment_batch(b)
    assert_batch_consistent(nb)
    assert bool((nb.graph.in_degree() <= 2).all())


@pytest.mark.parametrize("norm", ["sym", "row"])
def test_approximate_ppr_close_to_exact(norm):
    g = random_graph(80, 240, 4, undirected=True)
    exact = ppr_diffusion(g, 0.2, topk=8, normalization=norm, method="exact")
    approx = approximate_ppr(g, 0.2, topk=8, push_eps=1e-7, normalization=norm)
    assert_valid_graph(approx)
    assert bool((approx.in_degree() == 8).all())
    ref = _ppr_ref(g, 0.2, norm)
    # same top-8 sources and weights close to the exact values
    da, de = approx.to_dense(torch.float64).numpy(), exact.to_dense(torch.float64).numpy()
    overlap = ((da > 0) & (de > 0)).sum() / (de > 0).sum()
    assert overlap > 0.97
    assert np.abs(da - ref * (da > 0)).max() < 1e-4
    # a loose tolerance still ranks the largest entries right
    rough = approximate_ppr(g, 0.2, topk=3, push_eps=1e-3, normalization=norm).to_dense(torch.float64).numpy()
    assert np.abs(rough - ref * (rough > 0)).max() < 0.02


def test_approximate_ppr_auto_dispatch_and_errors():
    g = random_graph(40, 120, 5, undirected=True)
    auto = ppr_diffusion(g, 0.2, max_dense_nodes=10)  # too big for dense -> push, top-32
    assert bool((auto.in_degree() <= 32).all()) and auto.value is not None
    with pytest.raises(ValueError, match="max_dense_nodes=10"):
        ppr_diffusion(g, 0.2, method="exact", max_dense_nodes=10)
    with pytest.raises(ValueError, match="'sym' or 'row'"):
        approximate_ppr(g, 0.2, normalization="col")
    with pytest.raises(ValueError, match=r"alpha must lie in \(0, 1\)"):
        PPRDiffusion(alpha=0.0)
    with pytest.raises(ValueError, match=r"alpha must lie in \[0, 1\)"):
        ppr_diffusion(g, 1.0)
    with pytest.raises(ValueError, match="t must be >= 0"):
        HeatDiffusion(t=-1.0)
    with pytest.raises(ValueError, match="topk must be >= 1"):
        PPRDiffusion(topk=0)
    with pytest.raises(ValueError, match="unknown normalization"):
        heat_diffusion(g, 1.0, normalization="lap")
    with pytest.raises(ValueError, match="edges between different graphs"):
        ppr_diffusion(g, 0.2, ptr=torch.tensor([0, 20, 40]))
    with pytest.raises(ValueError, match="square graph"):
        PPRDiffusion()(Graph.from_edge_index(torch.tensor([[0], [0]]), 1, num_src_nodes=3), None)


def test_isolated_nodes_and_empty_graph():
    g = Graph.from_edge_index(torch.tensor([[0], [1]]), 4)  # nodes 2, 3 isolated
    for self_loops in (True, False):
        ref = _ppr_ref(g, 0.3, self_loops=self_loops)
        assert np.allclose(ppr_matrix(g, 0.3, add_self_loops=self_loops).numpy(), ref)
        a = approximate_ppr(g, 0.3, topk=4, push_eps=1e-8, add_self_loops=self_loops, normalization="row")
        assert np.allclose(a.to_dense(torch.float64).numpy(), _ppr_ref(g, 0.3, "row", self_loops), atol=1e-6)
    assert ppr_diffusion(Graph.empty(0), 0.2).num_nodes == 0
    assert approximate_ppr(Graph.empty(0), 0.2).num_nodes == 0


def test_augmenter_caches_and_ignores_generator():
    g = random_graph(20, 60, 6, undirected=True)
    x = torch.randn(20, 3)
    aug = PPRDiffusion(alpha=0.2, topk=5)
    g1, x1 = aug(g, x, torch.Generator().manual_seed(0))
    g2, x2 = aug(g, x, torch.Generator().manual_seed(1))
    assert g1 is g2 and x1 is x  # cached on g, features unchanged
    assert PPRDiffusion(alpha=0.3, topk=5)(g, x)[0] is not g1


def test_approximate_ppr_is_the_same_on_several_threads():
    g = random_graph(300, 900, 7, undirected=True)
    one = approximate_ppr(g, 0.2, topk=6, push_eps=1e-5)
    torch.set_num_threads(2)  # the autouse fixture restores the count
    two = approximate_ppr(g, 0.2, topk=6, push_eps=1e-5)
    assert torch.equal(one.rowptr, two.rowptr) and torch.equal(one.col, two.col)
    assert torch.equal(one.value, two.value)
