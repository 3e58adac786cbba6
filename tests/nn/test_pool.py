"""Graph-level pooling over a GraphBatch."""
import pytest
import torch

from graphssl.nn import GlobalPool, global_pool, max_pool, mean_pool, sum_pool
from graphssl.sparse import Graph, GraphItem, collate


def _batch(sizes):
    items = [GraphItem(Graph.empty(n), torch.randn(n, 3)) for n in sizes]
    return collate(items), items


def test_pools_match_per_graph():
    batch, items = _batch([3, 1, 4])
    x = batch.x
    torch.testing.assert_close(sum_pool(x, batch), torch.stack([i.x.sum(0) for i in items]))
    torch.testing.assert_close(mean_pool(x, batch), torch.stack([i.x.mean(0) for i in items]))
    torch.testing.assert_close(max_pool(x, batch.ptr), torch.stack([i.x.max(0).values for i in items]))
    torch.testing.assert_close(GlobalPool("sum")(x, batch), sum_pool(x, batch))


def test_empty_graph_pools_to_zero_and_gradients():
    batch, _ = _batch([2, 0, 3])
    x = batch.x.clone().requires_grad_()
    for reduce in ("sum", "mean", "max"):
        out = global_pool(x, batch, reduce)
        assert out.shape == (3, 3) and bool((out[1] == 0).all())
        out.sum().backward()
    assert x.grad is not None


def test_bad_input():
    batch, _ = _batch([2, 3])
    with pytest.raises(ValueError, match="reduce"):
        global_pool(batch.x, batch, "median")
    with pytest.raises(ValueError, match="rows"):
        sum_pool(batch.x[:4], batch)
    with pytest.raises(ValueError, match="GraphBatch or a ptr"):
        sum_pool(batch.x, [0, 2, 5])
    with pytest.raises(ValueError, match="reduce"):
        GlobalPool("min")
