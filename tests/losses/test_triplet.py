import pytest
import torch
import torch.nn.functional as F

from graphssl.losses import triplet_loss
from graphssl.sparse import Graph


def _naive(a, b, mask, margin, distance):
    """Loops over every (anchor, positive, negative) triplet."""
    def dist(x, y):
        return (x - y).norm() if distance == "euclidean" else 1 - F.cosine_similarity(x, y, dim=0)
    terms = []
    for i in range(len(a)):
        for p in mask[i].nonzero().flatten().tolist():
            for n in (~mask[i]).nonzero().flatten().tolist():
                terms.append(torch.relu(dist(a[i], b[p]) - dist(a[i], b[n]) + margin))
    return torch.stack(terms).mean()


@pytest.mark.parametrize("distance", ["euclidean", "cosine"])
@pytest.mark.parametrize("chunk", [1, 4, None])
def test_matches_dense_reference_values_and_gradients(distance, chunk):
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(7, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    b = torch.randn(6, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    pairs = torch.tensor([[0, 0, 1, 3, 5, 6, 6], [0, 2, 1, 3, 5, 0, 4]])
    mask = torch.zeros(7, 6, dtype=torch.bool)
    mask[pairs[0], pairs[1]] = True
    margin = 0.5 if distance == "cosine" else 1.0
    got = triplet_loss(a, b, pairs, margin=margin, distance=distance, chunk_size=chunk)
    got.backward()
    ga, gb = a.grad.clone(), b.grad.clone()
    a.grad = b.grad = None
    ref = _naive(a, b, mask, margin, distance)
    ref.backward()
    assert torch.allclose(got, ref, atol=1e-10)
    assert torch.allclose(ga, a.grad, atol=1e-8) and torch.allclose(gb, b.grad, atol=1e-8)


def test_identity_mask_equals_index_aligned_and_no_grad_path():
    gen = torch.Generator().manual_seed(1)
    a, b = torch.randn(8, 4, generator=gen), torch.randn(8, 4, generator=gen)
    idx = torch.arange(8)
    ref = triplet_loss(a, b)
    assert torch.allclose(ref, triplet_loss(a, b, torch.stack([idx, idx]), chunk_size=3), atol=1e-6)
    assert torch.allclose(ref, triplet_loss(a, b, Graph.from_edge_index(torch.stack([idx, idx]), 8)), atol=1e-6)
    assert torch.allclose(ref, _naive(a, b, torch.eye(8, dtype=torch.bool), 1.0, "euclidean"), atol=1e-5)


def test_coinciding_points_give_finite_gradients():
    a = torch.zeros(3, 2, requires_grad=True)
    triplet_loss(a, torch.zeros(3, 2)).backward()
    assert torch.isfinite(a.grad).all()


def test_bad_input():
    with pytest.raises(ValueError, match="margin"):
        triplet_loss(torch.randn(4, 3), torch.randn(4, 3), margin=-1)
    with pytest.raises(ValueError, match="distance"):
        triplet_loss(torch.randn(4, 3), torch.randn(4, 3), distance="manhattan")
    with pytest.raises(ValueError, match="negative sample"):
        triplet_loss(torch.randn(1, 3), torch.randn(1, 3))
    with pytest.raises(ValueError, match="widths"):
        triplet_loss(torch.randn(4, 3), torch.randn(4, 2))
