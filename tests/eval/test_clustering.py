"""NMI and ARI against scikit-learn, and the node-clustering protocol."""
import numpy as np
import pytest
import torch

from graphssl.eval import adjusted_rand_index, contingency_table, kmeans_labels, node_clustering, normalized_mutual_info

sk = pytest.importorskip("sklearn.metrics")


def test_contingency_table_by_hand():
    assert contingency_table([0, 0, 1, 2], ["a", "b", "b", "b"]).tolist() == [[1, 1], [0, 1], [0, 1]]


def test_nmi_and_ari_match_sklearn_on_random_labellings():
    rng = np.random.default_rng(0)
    for _ in range(30):
        n = int(rng.integers(2, 60))
        a = rng.integers(0, int(rng.integers(1, 6)), n)
        b = rng.integers(0, int(rng.integers(1, 6)), n)
        assert normalized_mutual_info(a, b) == pytest.approx(sk.normalized_mutual_info_score(a, b), abs=1e-10)
        assert adjusted_rand_index(a, b) == pytest.approx(sk.adjusted_rand_score(a, b), abs=1e-10)


def test_hand_computed_and_degenerate_cases():
    # Same partition under another naming.
    assert normalized_mutual_info([0, 0, 1, 1], [5, 5, 3, 3]) == pytest.approx(1.0)
    assert adjusted_rand_index(torch.tensor([0, 0, 1, 1]), torch.tensor([5, 5, 3, 3])) == 1.0
    # Independent halves: MI = 0, and ARI = -0.5 (expected index 2/3 above the observed 0 of 1 pair... by hand:
    # index 0, sums 2 and 2 over 6 pairs -> expected 2/3, max 2: (0 - 2/3) / (2 - 2/3) = -0.5).
    assert normalized_mutual_info([0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(0.0, abs=1e-12)
    assert adjusted_rand_index([0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(-0.5)
    assert normalized_mutual_info([1, 1, 1], [0, 0, 0]) == 1.0 and adjusted_rand_index([1, 1, 1], [0, 0, 0]) == 1.0
    assert normalized_mutual_info([1, 1, 1], [0, 1, 2]) == 0.0
    with pytest.raises(ValueError, match="equal length"):
        normalized_mutual_info([0, 1], [0])


@pytest.mark.parametrize("backend", ["sklearn", "torch"])
def test_node_clustering_recovers_separated_classes(backend):
    gen = torch.Generator().manual_seed(0)
    y = torch.arange(90) % 3
    centers = torch.eye(3) * 5
    emb = centers[y] + 0.3 * torch.randn(90, 3, generator=gen)
    y_missing = y.clone()
    y_missing[:5] = -1  # unlabelled nodes are left out
    res = node_clustering(emb, y_missing, seeds=(0, 1), backend=backend)
    assert res["nmi"] == pytest.approx(1.0) and res["ari"] == pytest.approx(1.0) and res["nmi_std"] == 0.0
    assert kmeans_labels(emb, 3, backend=backend).shape == (90,)
    with pytest.raises(ValueError, match="num_clusters"):
        kmeans_labels(emb, 100)
