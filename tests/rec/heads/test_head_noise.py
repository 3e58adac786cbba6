"""graphssl/rec/heads/noise.py: the fused CPU noise has SimGCL's distribution, is reproducible
from the generator whatever the thread count, and noise_offset is the same noise seen as an
offset from the clean layer."""
import pytest
import torch

import graphssl.rec.heads.noise as noise_mod
from graphssl.rec.heads.noise import add_uniform_noise, noise_offset, uniform_noise


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_fused_noise_has_radius_eps_and_keeps_the_orthant(dtype):
    g = torch.Generator().manual_seed(0)
    h = torch.randn(400, 16, generator=g, dtype=dtype)
    h[0, :3] = 0.0
    delta = add_uniform_noise(h, 0.1, g) - h
    assert delta.dtype == dtype
    torch.testing.assert_close(delta.norm(dim=1)[1:], torch.full((399,), 0.1, dtype=dtype), rtol=1e-4, atol=1e-5)
    moved = delta != 0
    assert bool((torch.sign(delta[moved]) == torch.sign(h[moved])).all())
    assert bool((delta[0, :3] == 0).all())  # sign(0) = 0: no noise on zero coordinates


def test_fused_noise_matches_the_reference_distribution():
    g = torch.Generator().manual_seed(1)
    h = torch.randn(20000, 32, generator=g)
    fast = (add_uniform_noise(h, 0.2, g) - h).abs()
    ref = (uniform_noise(h, 0.2, g) - h).abs()
    # |noise_j| = eps * u_j / ||u||: compare moments of the coordinate magnitudes
    for stat in (lambda t: t.mean(), lambda t: t.std(), lambda t: t.max(), lambda t: (t ** 2).sum(1).mean()):
        assert float(stat(fast)) == pytest.approx(float(stat(ref)), rel=0.02)
    # coordinates are uncorrelated across rows and columns (no counter artefacts; columns 0
    # and 16 are the high and middle bits of one hash)
    c = torch.corrcoef(torch.stack([fast[:, 0], fast[:, 1], fast[:, 16], fast[:, 31]]))
    assert float((c - torch.eye(4)).abs().max()) < 0.05


def test_fused_noise_is_reproducible_and_thread_independent():
    h = torch.randn(3000, 64)
    old = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        a = add_uniform_noise(h, 0.1, torch.Generator().manual_seed(5))
        torch.set_num_threads(2)
        b = add_uniform_noise(h, 0.1, torch.Generator().manual_seed(5))
    finally:
        torch.set_num_threads(old)
    assert torch.equal(a, b)
    g = torch.Generator().manual_seed(5)
    assert not torch.equal(add_uniform_noise(h, 0.1, g), add_uniform_noise(h, 0.1, g))  # fresh per call


def test_noise_offset_is_the_noise_of_the_shifted_layer():
    clean, shift = torch.randn(100, 8), 0.3 * torch.randn(100, 8)
    pre = clean + shift
    noisy = add_uniform_noise(pre, 0.1, torch.Generator().manual_seed(2))
    off = noise_offset(clean, shift, 0.1, torch.Generator().manual_seed(2))
    torch.testing.assert_close(clean + off, noisy)
    first = noise_offset(clean, None, 0.1, torch.Generator().manual_seed(3))
    torch.testing.assert_close(clean + first, add_uniform_noise(clean, 0.1, torch.Generator().manual_seed(3)))


def test_torch_fallback_without_the_kernel(monkeypatch):
    monkeypatch.setattr(noise_mod, "_cpu_kernel", lambda a: None)
    g = torch.Generator().manual_seed(0)
    h = torch.randn(50, 8)
    delta = add_uniform_noise(h, 0.1, g) - h
    torch.testing.assert_close(delta.norm(dim=1), torch.full((50,), 0.1))
    clean, shift = torch.randn(50, 8), torch.randn(50, 8)
    off = noise_offset(clean, shift, 0.1, g) - shift
    torch.testing.assert_close(off.norm(dim=1), torch.full((50,), 0.1))
    assert bool((torch.sign(off) == torch.sign(clean + shift)).all())


def test_row_ids_give_rows_the_noise_they_get_in_the_full_layer():
    h = torch.randn(50, 8)
    rows = torch.tensor([3, 17, 49])
    full = add_uniform_noise(h, 0.1, torch.Generator().manual_seed(5))
    part = add_uniform_noise(h[rows], 0.1, torch.Generator().manual_seed(5), row_ids=rows)
    torch.testing.assert_close(part, full[rows])
    plain = add_uniform_noise(h[rows], 0.1, torch.Generator().manual_seed(5))
    assert not torch.allclose(plain, full[rows])  # keyed by position without row_ids
