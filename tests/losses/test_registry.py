import pytest
import torch

from graphssl.losses import LOSSES, build_loss, infonce_loss, sce_loss

NAMES = ["infonce", "nt_xent", "jsd", "triplet", "bootstrap", "barlow_twins", "vicreg", "cca_ssg", "sce", "bpr",
         "margin_ranking"]


def test_every_loss_is_registered_and_runs():
    assert set(NAMES) <= set(LOSSES.names())
    assert LOSSES.get("sce") is sce_loss and LOSSES.get("InfoNCE") is infonce_loss
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(6, 4, generator=gen), torch.randn(6, 4, generator=gen)
    for name in NAMES:
        args = (a[:, 0], b[:, 0]) if name in ("bpr", "margin_ranking") else (a, b)
        out = LOSSES.get(name)(*args)
        assert out.dim() == 0 and torch.isfinite(out), name


def test_build_loss_binds_hyperparameters():
    gen = torch.Generator().manual_seed(1)
    a, b = torch.randn(6, 4, generator=gen), torch.randn(6, 4, generator=gen)
    fn = build_loss("infonce", tau=0.2, symmetric=True)
    assert torch.allclose(fn(a, b), infonce_loss(a, b, tau=0.2, symmetric=True))
    assert build_loss("sce") is sce_loss


def test_build_loss_errors():
    with pytest.raises(ValueError, match="unknown loss 'nope'"):
        build_loss("nope")
    with pytest.raises(ValueError, match="does not take temperature.*tau"):
        build_loss("infonce", temperature=0.5)
