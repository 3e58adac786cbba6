"""graphssl/rec/backbones.py and interaction_graph.py: LightGCN propagation against dense
algebra, MF, initialisation, validation."""
import pytest
import torch

from graphssl.rec import MF, LightGCN, build_backbone, interaction_graph, lightgcn_propagate


def _graph(seed=0, U=7, I=9, nnz=25):
    g = torch.Generator().manual_seed(seed)
    u, i = torch.randint(0, U, (nnz,), generator=g), torch.randint(0, I, (nnz,), generator=g)
    return U, I, u, i, interaction_graph(U, I, u, i)


def _dense_norm_adj(U, I, u, i):
    r = torch.zeros(U, I, dtype=torch.float64)
    r[u, i] = 1.0
    a = torch.zeros(U + I, U + I, dtype=torch.float64)
    a[:U, U:], a[U:, :U] = r, r.t()
    d = a.sum(1)
    dinv = torch.where(d > 0, d.pow(-0.5), torch.zeros_like(d))
    return dinv[:, None] * a * dinv[None, :]


@pytest.mark.parametrize("layers", [0, 1, 3])
@pytest.mark.parametrize("include_ego", [True, False])
def test_lightgcn_matches_dense(layers, include_ego):
    if layers == 0 and not include_ego:
        return
    U, I, u, i, adj = _graph()
    m = LightGCN(U, I, adj, dim=5, num_layers=layers, include_ego=include_ego, seed=0).double()
    assert torch.allclose(adj.to_dense(torch.float64), _dense_norm_adj(U, I, u, i), atol=1e-7)
    a = adj.to_dense(torch.float64)  # the graph stores float32 weights: compare against those exactly
    e0 = m.ego.detach()
    hs = [e0]
    for _ in range(layers):
        hs.append(a @ hs[-1])
    ref = torch.stack(hs if include_ego else hs[1:]).mean(0)
    ue, ie = m()
    assert torch.allclose(torch.cat([ue, ie]), ref, rtol=0, atol=1e-12)
    # gradient of a linear function equals the dense adjoint
    w = torch.randn(U + I, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(layers))
    (torch.cat([ue, ie]) * w).sum().backward()
    adj_pow = [torch.linalg.matrix_power(a, k) for k in range(layers + 1)]
    mats = adj_pow if include_ego else adj_pow[1:]
    ref_grad = sum(p.t() @ w for p in mats) / len(mats)
    assert torch.allclose(m.embedding.grad, ref_grad, rtol=0, atol=1e-12)


def test_propagate_options():
    U, I, u, i, adj = _graph()
    m = LightGCN(U, I, adj, dim=4, num_layers=2, seed=0)
    out, layers = m.propagate(return_layers=True)
    assert len(layers) == 3 and torch.allclose(out, torch.stack(layers).mean(0), atol=1e-6)
    seen = []
    m.propagate(perturb=lambda h, k: seen.append(k) or h + 1)
    assert seen == [0, 1]
    ego2 = torch.zeros(U + I, 4)
    assert torch.equal(m.propagate(ego=ego2), ego2)
    assert torch.allclose(lightgcn_propagate(adj, m.ego, 2), out)
    with pytest.raises(ValueError, match="include_ego=False needs"):
        lightgcn_propagate(adj, m.ego, 0, include_ego=False)


def test_propagate_at_rows_equals_the_full_rows():
    U, I, u, i, adj = _graph()
    rows = torch.tensor([0, 2, U, U + I - 1])
    for m in (LightGCN(U, I, adj, dim=4, num_layers=2, seed=0), MF(U, I, dim=4, seed=0)):
        torch.testing.assert_close(m.propagate(rows=rows), m.propagate()[rows])
    with pytest.raises(ValueError, match="rows= cannot be combined"):
        LightGCN(U, I, adj, dim=4, num_layers=2, seed=0).propagate(rows=rows, return_layers=True)


def test_mf_and_init():
    U, I, u, i, adj = _graph()
    mf = MF(U, I, dim=6, seed=1)
    ue, ie = mf()
    assert torch.equal(ue, mf.ego[:U]) and torch.equal(ie, mf.ego[U:]) and mf.num_layers == 0
    a, b = MF(U, I, dim=6, seed=1), MF(U, I, dim=6, seed=2)
    assert torch.equal(a.ego, mf.ego) and not torch.equal(a.ego, b.ego)
    big = MF(3000, 500, dim=64, seed=0)  # xavier bound per table: sqrt(6 / (rows + d))
    assert big.ego[:3000].abs().max() <= (6 / 3064) ** 0.5 and big.ego[3000:].abs().max() <= (6 / 564) ** 0.5
    assert big.ego[3000:].abs().max() > 0.9 * (6 / 564) ** 0.5
    nrm = MF(3000, 500, dim=64, init="normal", init_std=0.1, seed=0)
    assert nrm.ego.std().item() == pytest.approx(0.1, rel=0.02)


def test_validation_and_builder(small):
    U, I, u, i, adj = _graph()
    with pytest.raises(ValueError, match="square with num_users"):
        LightGCN(U + 1, I, adj)
    with pytest.raises(ValueError, match="Graph"):
        LightGCN(U, I, torch.zeros(3, 3))
    with pytest.raises(ValueError, match="unknown init"):
        MF(U, I, init="kaiming")
    with pytest.raises(ValueError, match="num_layers"):
        LightGCN(U, I, adj, num_layers=0, include_ego=False)
    m = build_backbone("lightgcn", small, dim=8, num_layers=2, include_ego=False)
    assert isinstance(m, LightGCN) and m.adj is small.adj and m.num_layers == 2 and not m.include_ego
    assert isinstance(build_backbone("mf", small, dim=8), MF)
    with pytest.raises(ValueError, match="unknown backbone"):
        build_backbone("ngcf", small)
