"""The molecule GIN: GINE layer against an edge-by-edge reference, batch independence,
bond features matter, JK modes, mask tokens, pooling."""
import pytest
import torch

from graphssl.molecules import ATOM_FEATURE_DIMS, BOND_FEATURE_DIMS, MASK_ATOM, MASK_BOND, MoleculeGIN
from graphssl.molecules.gin import GINEConv, pool_nodes
from graphssl.nn import global_pool
from graphssl.sparse import Graph, collate
from graphssl.sparse.batch import GraphItem


def _random_molecule(gen, n):
    # a path plus a few random chords, both directions, random categorical features
    src = list(range(n - 1))
    dst = list(range(1, n))
    for _ in range(n // 3):
        a, b = torch.randint(0, n, (2,), generator=gen).tolist()
        if a != b and (a, b) not in zip(src, dst) and (b, a) not in zip(src, dst):
            src.append(a)
            dst.append(b)
    ei = torch.tensor([src + dst, dst + src])
    x = torch.stack([torch.randint(0, d, (n,), generator=gen) for d in ATOM_FEATURE_DIMS], 1)
    bonds = torch.stack([torch.randint(0, d, (len(src),), generator=gen) for d in BOND_FEATURE_DIMS], 1)
    ea = torch.cat([bonds, bonds])
    perm = torch.argsort(ei[1] * n + ei[0])
    return GraphItem(Graph.from_edge_index(ei, n), x, torch.zeros(1, 1), ea[perm])


@pytest.fixture
def mols():
    gen = torch.Generator().manual_seed(0)
    return [_random_molecule(gen, n) for n in (5, 9, 2, 13)]


def test_gine_layer_matches_edge_loop(mols):
    torch.manual_seed(0)
    b = collate(mols)
    conv = GINEConv(16).eval()
    with torch.no_grad():
        conv.eps.fill_(0.3)
    h = torch.randn(b.num_nodes, 16)
    out = conv(b, h, b.edge_attr)
    agg = torch.zeros_like(h)
    rows, cols = b.graph.row().tolist(), b.graph.col.tolist()
    for e, (t, s) in enumerate(zip(rows, cols)):
        emb = sum(conv.bond_encoder.tables[k].weight[b.edge_attr[e, k]] for k in range(3))
        agg[t] += torch.relu(h[s] + emb)
    ref = conv.mlp(1.3 * h + agg)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("jk", ["last", "sum", "max", "concat"])
def test_batch_independence_and_shapes(mols, jk):
    torch.manual_seed(0)
    model = MoleculeGIN(num_layers=3, hidden=32, JK=jk).eval()
    b = collate(mols)
    out = model(b)
    assert out.shape == (b.num_nodes, model.out_dim)
    assert model.out_dim == (32 * 4 if jk == "concat" else 32)
    for item, part in zip(mols, b.split_nodes(out)):
        torch.testing.assert_close(model(collate([item])), part, rtol=1e-4, atol=1e-5)
    g = model.graph_embed(b)
    torch.testing.assert_close(g, global_pool(out, b, "mean"), rtol=1e-5, atol=1e-6)


def test_bond_features_change_the_output(mols):
    torch.manual_seed(0)
    model = MoleculeGIN(num_layers=2, hidden=16).eval()
    b = collate(mols)
    ea = b.edge_attr.clone()
    ea[:, 0] = (ea[:, 0] + 1) % BOND_FEATURE_DIMS[0]
    assert not torch.allclose(model(b), model(b, edge_attr=ea))
    # mask tokens are valid indices
    xm = b.x.clone()
    xm[0] = torch.tensor(MASK_ATOM)
    em = b.edge_attr.clone()
    em[0] = torch.tensor(MASK_BOND)
    assert torch.isfinite(model(b, x=xm, edge_attr=em)).all()


def test_state_dict_round_trip_and_defaults(mols):
    a, c = MoleculeGIN(), MoleculeGIN()
    assert a.num_layers == 5 and a.hidden == 300 and a.out_dim == 300
    c.load_state_dict(a.state_dict())
    a.eval()
    c.eval()
    b = collate(mols)
    torch.testing.assert_close(a(b), c(b))


def test_pool_nodes_matches_global_pool(mols):
    b = collate(mols)
    h = torch.randn(b.num_nodes, 7)
    for r in ("sum", "mean", "max"):
        torch.testing.assert_close(pool_nodes(h, b, r), global_pool(h, b, r))


def test_bad_input(mols):
    b = collate(mols)
    with pytest.raises(ValueError, match="JK"):
        MoleculeGIN(JK="attention")
    with pytest.raises(ValueError, match="num_layers"):
        MoleculeGIN(num_layers=0)
    with pytest.raises(ValueError, match="atom features"):
        MoleculeGIN(hidden=8)(b, x=b.x[:-1])
    with pytest.raises(ValueError, match="int64 codes"):
        MoleculeGIN(hidden=8)(b, x=b.x.float())


def test_categorical_encoder_sums_one_row_per_column_and_checks_codes():
    from graphssl.molecules.gin import CategoricalEncoder
    torch.manual_seed(0)
    enc = CategoricalEncoder(ATOM_FEATURE_DIMS, 16)
    codes = torch.stack([torch.randint(0, d + 1, (40,)) for d in ATOM_FEATURE_DIMS], 1)  # mask tokens included
    codes = codes.reshape(4, 10, -1)  # any leading shape
    expected = sum(t.weight[codes[..., k]] for k, t in enumerate(enc.tables))
    torch.testing.assert_close(enc(codes), expected)
    enc(codes).square().sum().backward()
    for k, t in enumerate(enc.tables):  # each table's gradient reaches exactly its rows in use
        used = torch.zeros(t.num_embeddings, dtype=torch.bool)
        used[codes[..., k].reshape(-1)] = True
        assert bool((t.weight.grad.abs().sum(1) > 0)[used].all()) and not t.weight.grad[~used].any()
    assert set(enc.state_dict()) == {f"tables.{k}.weight" for k in range(len(ATOM_FEATURE_DIMS))}
    bad = codes.clone()
    bad[1, 2, 1] = ATOM_FEATURE_DIMS[1] + 1  # one past column 1's mask token: would read column 2's table
    with pytest.raises(ValueError, match=rf"column 1 holds codes outside 0..{ATOM_FEATURE_DIMS[1]}"):
        enc(bad)
    bad[1, 2, 1] = -1
    with pytest.raises(ValueError, match="column 1 holds codes outside"):
        enc(bad)
