import math

import pytest
import torch

from graphssl.losses import bpr_loss, margin_ranking_loss


def test_bpr_is_minus_log_sigmoid_of_the_gap():
    pos = torch.tensor([2.0, -1.0, 0.5], dtype=torch.float64)
    neg = torch.tensor([1.0, 1.0, 0.5], dtype=torch.float64)
    ref = sum(-math.log(1 / (1 + math.exp(-(p - n)))) for p, n in zip(pos.tolist(), neg.tolist())) / 3
    assert float(bpr_loss(pos, neg)) == pytest.approx(ref, abs=1e-12)
    many = torch.tensor([[1.0, 3.0], [0.0, -2.0], [0.5, 0.5]], dtype=torch.float64)
    ref_many = sum(-math.log(1 / (1 + math.exp(-(pos[b] - many[b, k]).item())))
                   for b in range(3) for k in range(2)) / 6
    assert float(bpr_loss(pos, many)) == pytest.approx(ref_many, abs=1e-12)
    assert torch.isfinite(bpr_loss(torch.tensor([-200.0]), torch.tensor([200.0])))  # no log(0)


def test_bpr_gradient_raises_positives_and_lowers_negatives():
    pos, neg = torch.zeros(4, requires_grad=True), torch.zeros(4, requires_grad=True)
    bpr_loss(pos, neg).backward()
    assert (pos.grad < 0).all() and (neg.grad > 0).all()


def test_margin_ranking():
    pos = torch.tensor([2.0, 0.0, 0.5])
    neg = torch.tensor([0.5, 0.0, 1.0])
    # max(0, 1 - (pos - neg)): 0, 1, 1.5
    assert float(margin_ranking_loss(pos, neg)) == pytest.approx(2.5 / 3)
    assert float(margin_ranking_loss(pos, neg[:, None].repeat(1, 2), margin=0.0)) == pytest.approx(0.5 / 3)


def test_bad_input():
    with pytest.raises(ValueError, match="pos_scores"):
        bpr_loss(torch.zeros(3, 1), torch.zeros(3))
    with pytest.raises(ValueError, match="neg_scores"):
        bpr_loss(torch.zeros(3), torch.zeros(4))
    with pytest.raises(ValueError, match="floating"):
        bpr_loss(torch.zeros(3, dtype=torch.long), torch.zeros(3))
    with pytest.raises(ValueError, match="margin"):
        margin_ranking_loss(torch.zeros(3), torch.zeros(3), margin=-1.0)
