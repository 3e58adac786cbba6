"""The optional torch-scatter backend.

With torch-scatter installed, its ops are compared with the torch reference. Without it
(the usual case: it builds from source only), the backend must report itself unavailable
with an install hint, and its glue code is checked on a small stand-in module that
follows torch-scatter's documented ``segment_csr`` / ``gather_csr`` semantics.
"""
import importlib.util
import sys
import types

import pytest
import torch

from graphssl.sparse import Graph, edge_softmax, register_backend, sddmm, spmm, use_backend
from graphssl.sparse.backends.torch_scatter_backend import TorchScatterBackend

HAS_TORCH_SCATTER = importlib.util.find_spec("torch_scatter") is not None


def _graph(seed: int = 0) -> Graph:
    g = torch.Generator().manual_seed(seed)
    ei = torch.randint(0, 9, (2, 40), generator=g)
    graph = Graph.from_edge_index(ei, num_nodes=11)  # nodes 9 and 10 have no edges
    return graph


def _compare_with_torch(backend: str) -> None:
    g = _graph()
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(11, 2, 3, generator=gen, dtype=torch.float64)
    w = torch.rand(g.num_edges, 2, generator=gen, dtype=torch.float64)
    a = torch.randn(11, 2, 3, generator=gen, dtype=torch.float64)

    def run(name):
        xs, ws, as_ = (t.clone().requires_grad_() for t in (x, w, a))
        with use_backend(name):
            out = (spmm(g, xs, "sum", ws).sum() + spmm(g, xs, "max", ws).square().sum()
                   + spmm(g, xs, "min").sum() + (sddmm(g, as_, xs) * edge_softmax(g, ws)).sum())
            out.backward()
        return out.detach(), xs.grad, ws.grad, as_.grad

    for got, want in zip(run(backend), run("torch")):
        torch.testing.assert_close(got, want)


@pytest.mark.skipif(not HAS_TORCH_SCATTER, reason="torch-scatter is not installed (optional; builds from source)")
def test_torch_scatter_matches_torch():
    _compare_with_torch("torch_scatter")


@pytest.mark.skipif(HAS_TORCH_SCATTER, reason="torch-scatter is installed")
def test_unavailable_without_torch_scatter_gives_install_hint():
    with pytest.raises(ImportError, match="pip install torch-scatter"):
        use_backend("torch_scatter")


# ---------------------------------------------------------------------------- stand-in module
def _segment_csr(src, indptr, reduce="sum"):
    counts = indptr[1:] - indptr[:-1]
    R, E = counts.numel(), src.size(0)
    row = torch.repeat_interleave(torch.arange(R), counts)
    shape = (R,) + tuple(src.shape[1:])
    if reduce == "sum":
        return torch.zeros(shape, dtype=src.dtype).index_add_(0, row, src)
    idx = row.view(-1, *([1] * (src.dim() - 1))).expand_as(src)
    fill = float("-inf") if reduce == "max" else float("inf")
    best = torch.full(shape, fill, dtype=src.dtype).scatter_reduce(0, idx, src, "a" + reduce)
    eid = torch.arange(E).view(-1, *([1] * (src.dim() - 1))).expand_as(src)
    cand = torch.where(src == best.index_select(0, row), eid, E)
    arg = torch.full(shape, E).scatter_reduce(0, idx, cand, "amin")  # first winner; E when empty
    return best.masked_fill(arg == E, 0.0), arg


def _gather_csr(src, indptr):
    return src.repeat_interleave(indptr[1:] - indptr[:-1], dim=0)


@pytest.fixture
def stand_in(monkeypatch):
    fake = types.ModuleType("torch_scatter")
    fake.segment_csr, fake.gather_csr = _segment_csr, _gather_csr
    monkeypatch.setitem(sys.modules, "torch_scatter", fake)
    register_backend("torch_scatter", TorchScatterBackend)  # forget any cached "unavailable"
    yield
    register_backend("torch_scatter", TorchScatterBackend)  # forget the stand-in instance


@pytest.mark.skipif(HAS_TORCH_SCATTER, reason="torch-scatter is installed: the real module is tested")
def test_glue_code_on_a_stand_in_module(stand_in):
    _compare_with_torch("torch_scatter")
