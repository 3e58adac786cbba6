"""graphssl/rec/losses.py: BPR, LightGCN's L2 term and sampled softmax against explicit formulas."""
import pytest
import torch
import torch.nn.functional as F

from graphssl.rec import bpr_loss, l2_reg_loss, sampled_softmax_loss


def _emb(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_bpr_formula():
    u, p, n = _emb(6, 4, seed=0), _emb(6, 4, seed=1), _emb(6, 4, seed=2)
    ref = -torch.log(torch.sigmoid((u * p).sum(1) - (u * n).sum(1))).mean()
    assert bpr_loss(u, p, n).item() == pytest.approx(ref.item(), rel=1e-12)
    nn3 = _emb(6, 3, 4, seed=3)
    ref3 = torch.stack([bpr_loss(u, p, nn3[:, k]) for k in range(3)]).mean()
    assert bpr_loss(u, p, nn3).item() == pytest.approx(ref3.item(), rel=1e-12)
    with pytest.raises(ValueError, match="shapes differ"):
        bpr_loss(u, p[:5], n)


def test_l2_is_lightgcn_reg():
    a, b = _emb(4, 3, seed=0), _emb(4, 3, seed=1)
    ref = 0.5 * (a.norm() ** 2 + b.norm() ** 2) / 4
    assert l2_reg_loss(a, b).item() == pytest.approx(ref.item())
    assert l2_reg_loss(a, b, batch_size=2).item() == pytest.approx(2 * ref.item())
    with pytest.raises(ValueError):
        l2_reg_loss()


def test_sampled_softmax_matches_cross_entropy():
    u, p, n = _emb(5, 4, seed=0), _emb(5, 4, seed=1), _emb(7, 4, seed=2)
    t = 0.3
    logits = torch.cat([u @ p.t(), u @ n.t()], 1) / t  # the diagonal is each row's positive
    ref = F.cross_entropy(logits, torch.arange(5))
    assert sampled_softmax_loss(u, p, n, temperature=t).item() == pytest.approx(ref.item(), rel=1e-10)
    only_neg = F.cross_entropy(torch.cat([(u * p).sum(1, keepdim=True), u @ n.t()], 1), torch.zeros(5, dtype=torch.long))
    assert sampled_softmax_loss(u, p, n, in_batch=False).item() == pytest.approx(only_neg.item(), rel=1e-10)
    # rows 0 and 1 share their positive item: neither is the other's negative
    ids = torch.tensor([3, 3, 4, 5, 6])
    masked = logits.clone()
    masked[0, 1] = masked[1, 0] = float("-inf")
    ref_m = F.cross_entropy(masked, torch.arange(5))
    assert sampled_softmax_loss(u, p, n, temperature=t, pos_items=ids).item() == pytest.approx(ref_m.item(), rel=1e-10)
    cos = sampled_softmax_loss(u, p, normalize=True)
    un, pn = F.normalize(u, dim=1), F.normalize(p, dim=1)
    assert cos.item() == pytest.approx(F.cross_entropy(un @ pn.t(), torch.arange(5)).item(), rel=1e-10)
    with pytest.raises(ValueError, match="needs negatives"):
        sampled_softmax_loss(u, p, in_batch=False)
    with pytest.raises(ValueError, match="temperature"):
        sampled_softmax_loss(u, p, temperature=0)
