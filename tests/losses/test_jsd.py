import math

import pytest
import torch

from graphssl.losses import jsd_loss, jsd_loss_from_scores, jsd_mutual_information
from graphssl.sparse import Graph


def _log1pexp(x):
    return torch.log(1 + torch.exp(x))  # softplus written out


def test_mutual_information_is_the_formula_and_loss_is_its_negative():
    t_pos = torch.tensor([2.0, -0.5, 0.3], dtype=torch.float64)
    t_neg = torch.tensor([[-1.0, 0.7], [1.5, -3.0]], dtype=torch.float64)
    # E_pos[-sp(-T)] - E_neg[sp(T)], term by term.
    e_pos = sum(-math.log(1 + math.exp(-t)) for t in t_pos.tolist()) / 3
    e_neg = sum(math.log(1 + math.exp(t)) for t in t_neg.flatten().tolist()) / 4
    assert float(jsd_mutual_information(t_pos, t_neg)) == pytest.approx(e_pos - e_neg, abs=1e-12)
    assert float(jsd_loss_from_scores(t_pos, t_neg)) == pytest.approx(e_neg - e_pos, abs=1e-12)


def test_sign_a_good_critic_has_a_low_loss():
    good = jsd_loss_from_scores(torch.full((4,), 8.0), torch.full((4,), -8.0))
    bad = jsd_loss_from_scores(torch.full((4,), -8.0), torch.full((4,), 8.0))
    assert float(good) < 1e-3 < 15 < float(bad)
    # the estimate is bounded above by 0 and reached by a perfect critic; chance gives -2 log 2
    assert float(jsd_mutual_information(torch.zeros(3), torch.zeros(3))) == pytest.approx(-2 * math.log(2))


def test_gradient_raises_positive_scores_and_lowers_negative_ones():
    t_pos = torch.zeros(3, requires_grad=True)
    t_neg = torch.zeros(3, requires_grad=True)
    jsd_loss_from_scores(t_pos, t_neg).backward()
    assert (t_pos.grad < 0).all() and (t_neg.grad > 0).all()  # descent raises pos, lowers neg


def _naive(a, b, mask):
    t = a @ b.T
    return _log1pexp(-t[mask]).mean() + _log1pexp(t[~mask]).mean()


@pytest.mark.parametrize("chunk", [1, 3, None])
def test_matches_dense_reference_values_and_gradients(chunk):
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(9, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    batch = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2])  # node -> graph, as in InfoGraph
    pairs = torch.stack([torch.arange(9), batch])
    mask = torch.zeros(9, 3, dtype=torch.bool)
    mask[pairs[0], pairs[1]] = True
    got = jsd_loss(a, b, pairs, chunk_size=chunk)
    got.backward()
    ga, gb = a.grad.clone(), b.grad.clone()
    a.grad = b.grad = None
    ref = _naive(a, b, mask)
    ref.backward()
    assert torch.allclose(got, ref, atol=1e-12)
    assert torch.allclose(ga, a.grad, atol=1e-12) and torch.allclose(gb, b.grad, atol=1e-12)


def test_identity_mask_equals_index_aligned():
    gen = torch.Generator().manual_seed(1)
    a, b = torch.randn(6, 3, generator=gen), torch.randn(6, 3, generator=gen)
    idx = torch.arange(6)
    ref = jsd_loss(a, b)
    assert torch.allclose(ref, jsd_loss(a, b, torch.stack([idx, idx])), atol=1e-7)
    assert torch.allclose(ref, jsd_loss(a, b, Graph.from_edge_index(torch.stack([idx, idx]), 6)), atol=1e-7)
    assert torch.allclose(ref, _naive(a, b, torch.eye(6, dtype=torch.bool)), atol=1e-6)


def test_bad_input():
    with pytest.raises(ValueError, match="negative pair"):
        jsd_loss(torch.randn(1, 3), torch.randn(1, 3))
    with pytest.raises(ValueError, match="widths"):
        jsd_loss(torch.randn(4, 3), torch.randn(4, 2))
    with pytest.raises(ValueError, match="index-aligned"):
        jsd_loss(torch.randn(4, 3), torch.randn(2, 3))
    with pytest.raises(ValueError, match="empty"):
        jsd_loss_from_scores(torch.zeros(0), torch.zeros(3))
    with pytest.raises(ValueError, match="floating"):
        jsd_mutual_information(torch.zeros(3, dtype=torch.long), torch.zeros(3))
