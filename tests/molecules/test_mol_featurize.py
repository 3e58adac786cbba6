"""SMILES -> graphs: hand-checked graphs, agreement with ogb.utils.smiles2graph, CSR edge order,
unparseable SMILES reported."""
import numpy as np
import pytest
import torch

pytest.importorskip("rdkit")

from graphssl.molecules import ATOM_FEATURE_DIMS, BOND_FEATURE_DIMS, featurize_smiles, smiles_to_arrays, \
    smiles_to_graph  # noqa: E402
from graphssl.sparse import collate  # noqa: E402

# Columns: atomic_num-1, chirality, total degree, charge+5, total Hs, radicals, hybridization
# (SP=0, SP2=1, SP3=2), aromatic, in ring. Bonds: type (single 0, double 1, triple 2,
# aromatic 3), stereo, conjugated.
HAND = {
    "CCO": ([[5, 0, 4, 5, 3, 0, 2, 0, 0], [5, 0, 4, 5, 2, 0, 2, 0, 0], [7, 0, 2, 5, 1, 0, 2, 0, 0]],
            [(0, 1, [0, 0, 0]), (1, 2, [0, 0, 0])]),
    "C#N": ([[5, 0, 2, 5, 1, 0, 0, 0, 0], [6, 0, 1, 5, 0, 0, 0, 0, 0]], [(0, 1, [2, 0, 0])]),
    "[NH4+]": ([[6, 0, 4, 6, 4, 0, 2, 0, 0]], []),
    "c1ccccc1": ([[5, 0, 3, 5, 1, 0, 1, 1, 1]] * 6, [(i, (i + 1) % 6, [3, 0, 1]) for i in range(6)]),
    "C=CC=C": ([[5, 0, 3, 5, 2, 0, 1, 0, 0], [5, 0, 3, 5, 1, 0, 1, 0, 0], [5, 0, 3, 5, 1, 0, 1, 0, 0],
                [5, 0, 3, 5, 2, 0, 1, 0, 0]], [(0, 1, [1, 0, 1]), (1, 2, [0, 0, 1]), (2, 3, [1, 0, 1])]),
    "[O-][N+](=O)C": ([[7, 0, 1, 4, 0, 0, 1, 0, 0], [6, 0, 3, 6, 0, 0, 1, 0, 0], [7, 0, 1, 5, 0, 0, 1, 0, 0],
                       [5, 0, 4, 5, 3, 0, 2, 0, 0]],
                      [(0, 1, [0, 0, 1]), (1, 2, [1, 0, 1]), (1, 3, [0, 0, 0])]),
}

# Charges, isotopes, stereo (E/Z, tetrahedral), aromatic heterocycles, salts, metals, radicals.
VARIED = ["CC(=O)Oc1ccccc1C(=O)O", "Cl[C@H](/C=C/C)Br", "C/C=C\\C", "O1C=C[C@H]([C@H]1O2)c3c2cc(OC)c4c3OC(=O)C5=C4CCC(=O)5",
          "[Na+].[Cl-]", "c1ccncc1", "c1cc[nH]c1", "[13CH4]", "[CH3]", "O=S(=O)(O)O", "F[P-](F)(F)(F)(F)F",
          "C1CC2CCC1C2", "N#Cc1ccc(cc1)C(=O)[O-]", "[Fe+2]", "CC[Se]CC", "[2H]C([2H])([2H])O",
          "C[C@@H](N)C(=O)O", "OC[C@H]1O[C@@H](O)[C@H](O)[C@@H](O)[C@@H]1O", "c1ccc2c(c1)oc1ccccc12", "[He]"]


def _ogb(smiles):
    ogb_mol = pytest.importorskip("ogb.utils.mol")
    return ogb_mol.smiles2graph(smiles)


@pytest.mark.parametrize("smiles", sorted(HAND))
def test_hand_checked_graphs(smiles):
    atoms, bonds = HAND[smiles]
    x, ei, ea = smiles_to_arrays(smiles)
    assert x.tolist() == atoms
    want_ei = [[a, b] for a, b, _ in bonds for a, b in ((a, b), (b, a))]
    assert ei.T.tolist() == want_ei
    assert ea.tolist() == [f for _, _, f in bonds for _ in range(2)]
    assert ea.shape == (2 * len(bonds), 3) and ei.dtype == np.int64


def test_ogb_documented_example():
    # ogb/utils/features.py: atom 1 of this molecule is [5, 2, 4, 5, 1, 0, 2, 0, 0], bond 2 is [1, 2, 0].
    x, _, ea = smiles_to_arrays("Cl[C@H](/C=C/C)Br")
    assert x[1].tolist() == [5, 2, 4, 5, 1, 0, 2, 0, 0]
    assert ea[2 * 2].tolist() == [1, 2, 0]


@pytest.mark.parametrize("smiles", VARIED + sorted(HAND))
def test_equals_ogb_smiles2graph(smiles):
    ref = _ogb(smiles)
    x, ei, ea = smiles_to_arrays(smiles)
    np.testing.assert_array_equal(x, ref["node_feat"])
    np.testing.assert_array_equal(ei, ref["edge_index"])
    np.testing.assert_array_equal(ea, ref["edge_feat"])
    assert (x >= 0).all() and (x.max(0) < np.array(ATOM_FEATURE_DIMS)).all()
    if ea.size:
        assert (ea.max(0) < np.array(BOND_FEATURE_DIMS)).all()


def test_equals_ogb_on_real_molecules(data_root):
    from graphssl.datasets import load_dataset
    ds = load_dataset("bbbp", root=data_root, progress=False)
    for s in ds.smiles[::20]:  # 102 molecules
        ref = _ogb(s)
        x, ei, ea = smiles_to_arrays(s)
        assert np.array_equal(x, ref["node_feat"]) and np.array_equal(ei, ref["edge_index"]) \
            and np.array_equal(ea, ref["edge_feat"]), s


@pytest.mark.parametrize("smiles", ["CC(=O)Oc1ccccc1C(=O)O", "Cl[C@H](/C=C/C)Br", "[NH4+]"])
def test_graph_edges_in_csr_order_with_matching_features(smiles):
    x, ei, ea = smiles_to_arrays(smiles)
    item = smiles_to_graph(smiles)
    g = item.graph
    assert torch.equal(item.x, torch.from_numpy(x)) and item.edge_attr.shape == ea.shape
    want = {(int(s), int(d)): tuple(f) for s, d, f in zip(ei[0], ei[1], ea.tolist())}
    got = {(int(s), int(d)): tuple(f) for s, d, f in zip(g.col.tolist(), g.row().tolist(), item.edge_attr.tolist())}
    assert got == want
    keys = (g.row() * g.num_nodes + g.col).tolist()
    assert keys == sorted(keys)


def test_collate_carries_edge_features():
    items = [smiles_to_graph(s) for s in ("CCO", "[NH4+]", "c1ccccc1")]
    b = collate(items)
    assert b.edge_attr.shape == (4 + 0 + 12, 3) and b.x.shape == (3 + 1 + 6, 9)
    assert torch.equal(b.split_edges(b.edge_attr)[2], items[2].edge_attr)


def test_unparseable_reported_not_dropped_silently():
    with pytest.raises(ValueError, match="cannot parse"):
        smiles_to_graph("C1CC")
    fm = featurize_smiles(["CCO", "C1CC", "not a smiles", "c1ccccc1", ""], progress=False)
    assert fm.kept.tolist() == [0, 3]
    assert fm.invalid == [(1, "C1CC"), (2, "not a smiles"), (4, "")]
    assert fm.node_ptr.tolist() == [0, 3, 9] and fm.edge_ptr.tolist() == [0, 4, 16]
    assert fm.canonical == ["CCO", "c1ccccc1"]


def test_packed_equals_single_conversion():
    smiles = ["CC(=O)Oc1ccccc1C(=O)O", "[Na+].[Cl-]", "C#N", "OC[C@H]1O[C@@H](O)[C@H](O)[C@@H](O)[C@@H]1O"]
    fm = featurize_smiles(smiles, progress=False)
    for i, s in enumerate(smiles):
        item = smiles_to_graph(s)
        n0, n1, e0, e1 = fm.node_ptr[i], fm.node_ptr[i + 1], fm.edge_ptr[i], fm.edge_ptr[i + 1]
        assert torch.equal(fm.x[n0:n1], item.x)
        assert torch.equal(fm.edge_src[e0:e1], item.graph.col)
        assert torch.equal(fm.edge_dst[e0:e1], item.graph.row())
        assert torch.equal(fm.edge_attr[e0:e1], item.edge_attr)
