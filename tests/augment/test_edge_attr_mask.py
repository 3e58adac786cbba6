"""EdgeAttrMask through GraphView and GraphBatch."""
import pytest
import torch

from augment_graphs import assert_batch_consistent, gen, make_batch, random_graph
from graphssl.augment import Compose, EdgeAttrMask, EdgeDrop, GraphView


def test_masks_rows_columns_or_entries():
    g = random_graph(100, 2000, 0)
    attr = torch.ones(g.num_edges, 400)
    for mode, axis in (("row", 1), ("col", 0)):
        v = EdgeAttrMask(0.4, mode=mode).apply(GraphView(g, None, edge_attr=attr), gen(0))
        masked = (v.edge_attr == 0).all(axis)
        assert abs(float(masked.float().mean()) - 0.4) < 0.06
        assert v.graph is g
    v = EdgeAttrMask(0.4, mode="all").apply(GraphView(g, None, edge_attr=attr), gen(0))
    assert abs(float((v.edge_attr == 0).float().mean()) - 0.4) < 0.01


def test_batch_path_and_categorical_attributes():
    b = make_batch([5, 3, 6])
    b.edge_attr = b.edge_attr.long()
    nb = EdgeAttrMask(0.5, mode="row", fill_value=-1).augment_batch(b, gen(1))
    assert_batch_consistent(nb)
    assert nb.edge_attr.dtype == torch.long
    masked = (nb.edge_attr == -1).all(1)
    assert torch.equal(nb.edge_attr[~masked], b.edge_attr[~masked])
    # composed with edge dropping, attributes stay with their edges
    nb = Compose([EdgeDrop(0.5), EdgeAttrMask(0.0)]).augment_batch(b, gen(2))
    assert_batch_consistent(nb)


def test_determinism_and_missing_attributes():
    g = random_graph(10, 40, 0)
    attr = torch.randn(g.num_edges, 8)
    a = EdgeAttrMask(0.5).apply(GraphView(g, None, edge_attr=attr), gen(3)).edge_attr
    b = EdgeAttrMask(0.5).apply(GraphView(g, None, edge_attr=attr), gen(3)).edge_attr
    c = EdgeAttrMask(0.5, mode="all").apply(GraphView(g, None, edge_attr=attr), gen(4)).edge_attr
    assert torch.equal(a, b) and not torch.equal(a, c)
    with pytest.raises(ValueError, match="needs edge attributes"):
        EdgeAttrMask(0.5)(g, torch.randn(10, 2))
