"""graphssl/rec/heads/contrast.py: the chunked InfoNCE equals the dense formula, values and
gradients, for in-batch and all-node candidates, every reduction, across chunk boundaries."""
import pytest
import torch
import torch.nn.functional as F

import graphssl.rec.heads.contrast as contrast
from graphssl.rec.heads import info_nce


def _dense(a, positive, t, candidates=None, pos_index=None, normalize=True, reduction="mean"):
    if candidates is None:
        candidates, pos_index = positive, torch.arange(a.size(0))
    if normalize:
        a, candidates = F.normalize(a, dim=-1), F.normalize(candidates, dim=-1)
    logits = a @ candidates.t() / t
    loss = torch.logsumexp(logits, 1) - logits.gather(1, pos_index.view(-1, 1)).squeeze(1)
    return {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[reduction]


@pytest.mark.parametrize("mode", ["batch", "all"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("keep", [True, False])
def test_chunked_info_nce_matches_dense(mode, reduction, normalize, keep, monkeypatch):
    monkeypatch.setattr(contrast, "_CHUNK_ELEMENTS", 500)  # many chunks, a ragged last one
    if not keep:  # the backward recomputes the scores instead of keeping the softmax
        monkeypatch.setattr(contrast, "_KEEP_ELEMENTS", 0)
    g = torch.Generator().manual_seed(0)
    a = torch.randn(67, 8, generator=g, dtype=torch.float64, requires_grad=True)
    c = torch.randn(67 if mode == "batch" else 211, 8, generator=g, dtype=torch.float64, requires_grad=True)
    kw = {}
    if mode == "all":
        kw = {"candidates": c, "pos_index": torch.randint(0, 211, (67,), generator=g)}
        kw["pos_index"][:5] = 7  # repeated positives
    pos = None if mode == "all" else c
    got = info_nce(a, pos, 0.3, normalize=normalize, reduction=reduction, **kw)
    ref = _dense(a, pos, 0.3, normalize=normalize, reduction=reduction, **kw)
    torch.testing.assert_close(got, ref)
    w = torch.randn_like(got)
    g_got = torch.autograd.grad((got * w).sum(), (a, c))
    g_ref = torch.autograd.grad((ref * w).sum(), (a, c))
    for x, y in zip(g_got, g_ref):
        torch.testing.assert_close(x, y)


def test_info_nce_gradient_to_one_side_only():
    a = torch.randn(10, 4, requires_grad=True)
    b = torch.randn(10, 4)
    info_nce(a, b, 0.2).backward()
    assert a.grad is not None and a.grad.abs().sum() > 0


def test_score_logsumexp_matches_dense_and_checks_shapes(monkeypatch):
    from graphssl.rec.heads.contrast import score_logsumexp
    monkeypatch.setattr(contrast, "_CHUNK_ELEMENTS", 300)
    g = torch.Generator().manual_seed(1)
    a = torch.randn(90, 5, generator=g, dtype=torch.float64, requires_grad=True)
    c = torch.randn(40, 5, generator=g, dtype=torch.float64, requires_grad=True)
    got = score_logsumexp(a, c, 0.5)
    ref = torch.logsumexp(a @ c.t() / 0.5, dim=1)
    torch.testing.assert_close(got, ref)
    w = torch.randn(90, dtype=torch.float64)
    for x, y in zip(torch.autograd.grad((got * w).sum(), (a, c)), torch.autograd.grad((ref * w).sum(), (a, c))):
        torch.testing.assert_close(x, y)
    with pytest.raises(ValueError, match="share d"):
        score_logsumexp(a, c[:, :3], 0.5)
    with pytest.raises(ValueError, match="temperature"):
        score_logsumexp(a, c, 0.0)


@pytest.mark.parametrize("temperature", [1.0, 1 / 40, 1 / 41, 0.005])
def test_info_nce_float32_at_low_temperatures(temperature, monkeypatch):
    # at 1/t <= 40 cosine scores are exponentiated without the row max; below that the max
    # is subtracted: both must agree with a float64 dense reference, with no inf or nan
    monkeypatch.setattr(contrast, "_CHUNK_ELEMENTS", 500)
    g = torch.Generator().manual_seed(2)
    a64 = torch.randn(60, 6, generator=g, dtype=torch.float64)
    c64 = a64 + 0.3 * torch.randn(60, 6, generator=g, dtype=torch.float64)
    a, c = a64.float().requires_grad_(), c64.float().requires_grad_()
    got = info_nce(a, c, temperature)
    ref = _dense(a64.requires_grad_(), c64.requires_grad_(), temperature)
    assert torch.isfinite(got)
    torch.testing.assert_close(got.double(), ref, rtol=1e-4, atol=1e-4)
    for x, y in zip(torch.autograd.grad(got, (a, c)), torch.autograd.grad(ref, (a64, c64))):
        assert torch.isfinite(x).all()
        torch.testing.assert_close(x.double(), y, rtol=1e-3, atol=1e-4)
