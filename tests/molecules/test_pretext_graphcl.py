"""GraphCL on molecules: the four augmentations' statistics and the contrastive loss."""
import pytest
import torch

from mol_pretext_toys import bfs, molecule_batch, small_encoder, train_steps

from graphssl.molecules.features import MASK_ATOM
from graphssl.molecules.pretext import MoleculeGraphCL, attr_mask, edge_pert, node_drop, subgraph
from graphssl.molecules.pretext.common import reverse_edges


def _attrs_consistent(b, out, node_ids=None):
    """Every edge of ``out`` exists in ``b`` with the same features."""
    ref = {(int(s), int(t)): tuple(a) for s, t, a in zip(b.graph.col, b.graph.row(), b.edge_attr.tolist())}
    ids = node_ids if node_ids is not None else torch.arange(out.num_nodes)
    for s, t, a in zip(out.graph.col.tolist(), out.graph.row().tolist(), out.edge_attr.tolist()):
        assert ref[(int(ids[s]), int(ids[t]))] == tuple(a)


def test_node_drop_counts():
    b = molecule_batch()
    out = node_drop(b, 0.2, torch.Generator().manual_seed(0))
    sizes = b.num_nodes_per_graph()
    expect = sizes - torch.minimum(torch.floor(sizes * 0.2).long(), sizes - 1)
    assert out.num_nodes_per_graph().tolist() == expect.tolist()
    reverse_edges(out.graph)


def test_subgraph_is_connected_and_sized():
    b = molecule_batch()
    out = subgraph(b, 0.2, torch.Generator().manual_seed(0))
    sizes = b.num_nodes_per_graph()
    expect = torch.clamp(torch.floor(sizes * 0.8).long(), min=1)
    assert out.num_nodes_per_graph().tolist() == expect.tolist()  # the toy molecules are connected
    for i in range(out.num_graphs):
        n0, n1 = int(out.ptr[i]), int(out.ptr[i + 1])
        assert len(bfs(out.graph, n0)) == n1 - n0


def test_edge_pert_removes_bonds_symmetrically():
    b = molecule_batch()
    out = edge_pert(b, 0.2, torch.Generator().manual_seed(0))
    bonds = b.num_edges_per_graph() // 2
    removed = bonds - out.num_edges_per_graph() // 2
    assert removed.tolist() == torch.floor(bonds * 0.2).long().tolist()
    reverse_edges(out.graph)
    _attrs_consistent(b, out)


def test_attr_mask_counts():
    b = molecule_batch()
    out = attr_mask(b, 0.2, torch.Generator().manual_seed(0))
    masked = (out.x == torch.tensor(MASK_ATOM)).all(1)
    assert torch.bincount(b.batch[masked], minlength=b.num_graphs).tolist() == \
        torch.floor(b.num_nodes_per_graph() * 0.2).long().tolist()
    assert torch.equal(out.graph.col, b.graph.col)


def test_graphcl_loss_gradients_seed_learning_and_validation():
    b = molecule_batch()
    enc = small_encoder()
    torch.manual_seed(0)
    task = MoleculeGraphCL(9, enc.out_dim, augment_1=["node_drop", "attr_mask"], augment_2="subgraph")
    loss = task.loss(enc, b, torch.Generator().manual_seed(2))
    assert torch.isfinite(loss)
    loss.backward()
    assert float(enc.convs[0].mlp[0].weight.grad.norm()) > 0
    assert torch.allclose(loss, task.loss(enc, b, torch.Generator().manual_seed(2)))
    train_steps(task, enc, b)
    assert float(task.loss(enc, b, torch.Generator().manual_seed(2)).detach()) < float(loss.detach())
    with pytest.raises(ValueError, match="unknown molecule augmentation"):
        MoleculeGraphCL(9, 32, augment_1="dropN")
