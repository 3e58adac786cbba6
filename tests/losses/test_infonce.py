import pytest
import torch
import torch.nn.functional as F

from graphssl.losses import infonce_loss, nt_xent_loss
from graphssl.sparse import Graph


def _views(n=12, d=5, seed=0, dtype=torch.float64, n_s=None):
    gen = torch.Generator().manual_seed(seed)
    a = torch.randn(n, d, generator=gen, dtype=dtype).requires_grad_()
    b = torch.randn(n if n_s is None else n_s, d, generator=gen, dtype=dtype).requires_grad_()
    return a, b


def _naive(a, b, mask, tau, intra, symmetric, normalize=True):
    """Dense reference: per anchor log(sum of exp over the denominator) - mean positive logit."""
    def one(x, y, m):
        if normalize:
            x, y = F.normalize(x, dim=1), F.normalize(y, dim=1)
        s = x @ y.T / tau
        denom = torch.exp(s).sum(1)
        if intra:
            keep = ~m & ~torch.eye(len(x), dtype=torch.bool)
            denom = denom + (torch.exp(x @ x.T / tau) * keep).sum(1)
        per_anchor = [torch.log(denom[i]) - s[i, m[i]].mean() for i in range(len(x)) if m[i].any()]
        return torch.stack(per_anchor).mean()
    loss = one(a, b, mask)
    return 0.5 * (loss + one(b, a, mask.T)) if symmetric else loss


def _grace(z1, z2, tau):
    """GRACE's loss as written in its paper (eq. 1 and 2), dense."""
    def semi(h1, h2):
        refl = torch.exp(F.normalize(h1) @ F.normalize(h1).T / tau)
        between = torch.exp(F.normalize(h1) @ F.normalize(h2).T / tau)
        return -torch.log(between.diag() / (refl.sum(1) + between.sum(1) - refl.diag()))
    return (0.5 * (semi(z1, z2) + semi(z2, z1))).mean()


def _grads(loss_fn, a, b):
    a.grad = b.grad = None
    loss = loss_fn(a, b)
    loss.backward()
    return loss.detach(), a.grad.clone(), b.grad.clone()


def test_nt_xent_is_grace_values_and_gradients():
    a, b = _views()
    got = _grads(lambda x, y: nt_xent_loss(x, y, tau=0.4, chunk_size=5), a, b)
    ref = _grads(lambda x, y: _grace(x, y, 0.4), a, b)
    for g, r in zip(got, ref):
        assert torch.allclose(g, r, atol=1e-10)


@pytest.mark.parametrize("intra", [False, True])
@pytest.mark.parametrize("symmetric", [False, True])
@pytest.mark.parametrize("normalize", [False, True])
def test_matches_dense_reference_with_sparse_positives(intra, symmetric, normalize):
    a, b = _views()
    pairs = torch.tensor([[0, 0, 1, 3, 3, 3, 7, 11], [0, 4, 1, 3, 2, 9, 7, 0]])  # anchors 2, 4.. have none
    mask = torch.zeros(12, 12, dtype=torch.bool)
    mask[pairs[0], pairs[1]] = True
    kw = dict(tau=0.5, intra_view_negatives=intra, symmetric=symmetric, normalize=normalize)
    got = _grads(lambda x, y: infonce_loss(x, y, pairs, chunk_size=5, **kw), a, b)
    ref = _grads(lambda x, y: _naive(x, y, mask, 0.5, intra, symmetric, normalize), a, b)
    for g, r in zip(got, ref):
        assert torch.allclose(g, r, atol=1e-10)


def test_different_sizes_without_intra_view():
    a, b = _views(n=7, n_s=4)
    pairs = torch.tensor([[0, 1, 2, 3, 4, 5, 6], [0, 0, 1, 1, 2, 3, 3]])  # e.g. nodes -> their graph
    mask = torch.zeros(7, 4, dtype=torch.bool)
    mask[pairs[0], pairs[1]] = True
    got = _grads(lambda x, y: infonce_loss(x, y, pairs, tau=0.3, symmetric=True, chunk_size=2), a, b)
    ref = _grads(lambda x, y: _naive(x, y, mask, 0.3, False, True), a, b)
    for g, r in zip(got, ref):
        assert torch.allclose(g, r, atol=1e-10)


def test_identity_mask_equals_index_aligned():
    a, b = _views()
    idx = torch.arange(12)
    aligned = nt_xent_loss(a, b, tau=0.5)
    as_pairs = nt_xent_loss(a, b, torch.stack([idx, idx]), tau=0.5)
    as_graph = nt_xent_loss(a, b, Graph.from_edge_index(torch.stack([idx, idx]), num_nodes=12), tau=0.5)
    duplicated = nt_xent_loss(a, b, torch.stack([idx, idx]).repeat(1, 2), tau=0.5)
    for other in (as_pairs, as_graph, duplicated):
        assert torch.allclose(aligned, other, atol=1e-12)
    one_way = infonce_loss(a, b, Graph.from_edge_index(torch.stack([idx, idx]), num_nodes=12))
    assert torch.allclose(one_way, infonce_loss(a, b), atol=1e-12)


def test_graph_edges_pair_source_anchor_with_target_sample():
    a, b = _views(n=5, n_s=3)
    ei = torch.tensor([[0, 4], [2, 1]])
    g = Graph.from_edge_index(ei, num_nodes=3, num_src_nodes=5)
    assert torch.allclose(infonce_loss(a, b, g), infonce_loss(a, b, ei), atol=1e-12)


def test_chunk_size_does_not_change_the_result():
    a, b = _views(n=30, dtype=torch.float32)
    ref = nt_xent_loss(a, b, chunk_size=30)
    for chunk in (1, 7, 64):
        assert torch.allclose(nt_xent_loss(a, b, chunk_size=chunk), ref, atol=1e-5)


def test_minimising_aligns_the_views():
    a, b = _views(n=16, d=8, dtype=torch.float32)
    a, b = a.detach().requires_grad_(), b.detach().requires_grad_()
    opt = torch.optim.Adam([a, b], lr=0.1)
    before = F.cosine_similarity(a, b).mean().item()
    for _ in range(60):
        opt.zero_grad()
        nt_xent_loss(a, b, tau=0.5).backward()
        opt.step()
    assert F.cosine_similarity(a, b).mean().item() > max(before, 0.9)


@pytest.mark.parametrize("make, match", [
    (lambda: infonce_loss(torch.randn(4, 3), torch.randn(4, 2)), "widths"),
    (lambda: infonce_loss(torch.randn(4, 3), torch.randn(5, 3)), "index-aligned"),
    (lambda: infonce_loss(torch.randn(4, 3), torch.randn(5, 3), torch.tensor([[0], [0]]),
                          intra_view_negatives=True), "intra_view_negatives"),
    (lambda: infonce_loss(torch.randn(4, 3), torch.randn(4, 3), tau=0), "tau"),
    (lambda: infonce_loss(torch.randn(4, 3), torch.randn(4, 3), torch.tensor([[0, 4], [0, 1]])), "out of range"),
    (lambda: infonce_loss(torch.randn(4, 3), torch.randn(4, 3), torch.tensor([[0.0], [1.0]])), "integer"),
    (lambda: infonce_loss(torch.randn(4, 3), torch.randn(4, 3), torch.zeros(2, 0, dtype=torch.long)), "no positive"),
    (lambda: infonce_loss(torch.randn(4, 3), torch.randn(4, 3), Graph.empty(3)), "positive graph"),
    (lambda: infonce_loss(torch.randn(4, 3), torch.randn(4, 3), [[0], [0]]), "pos must be"),
    (lambda: infonce_loss(torch.randn(4, 3), torch.randn(4, 3), chunk_size=-1), "chunk_size"),
    (lambda: nt_xent_loss(torch.randn(4, 3), torch.randn(3, 3)), "index-aligned|intra"),
])
def test_bad_input(make, match):
    with pytest.raises(ValueError, match=match):
        make()
