import pytest
import torch

from graphssl.eval import rankme, svm_cross_validation


def test_rankme_of_collapsed_and_isotropic_embeddings():
    gen = torch.Generator().manual_seed(0)
    collapsed = torch.randn(200, 1, generator=gen) @ torch.randn(1, 16, generator=gen)
    iso = torch.randn(2000, 16, generator=gen)
    assert rankme(collapsed) < 1.5
    assert rankme(iso) > 14
    with pytest.raises(ValueError, match="NaN"):
        rankme(torch.full((3, 3), float("nan")))


def test_svm_protocol_separates_separable_classes():
    pytest.importorskip("sklearn")
    gen = torch.Generator().manual_seed(0)
    y = torch.arange(100) % 2
    x = torch.randn(100, 4, generator=gen) + 3 * y[:, None]
    assert svm_cross_validation(x, y, folds=5)["acc"] > 0.9
    with pytest.raises(ValueError, match="fewer than folds"):
        svm_cross_validation(x[:12], y[:12], folds=10)
