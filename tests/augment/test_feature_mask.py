"""mask_features / FeatureMask: column/row/entry masking, adaptive GCA weights."""
import pytest
import torch

from augment_graphs import assert_batch_consistent, gen, make_batch, random_graph
from graphssl.augment import FeatureMask, feature_drop_probabilities, mask_features
from graphssl.sparse import Graph


@pytest.mark.parametrize("mode, shape", [("col", (1, 3000)), ("row", (3000, 1)), ("all", (3000, 3000))])
def test_mask_rate_and_shape(mode, shape):
    x = torch.ones(3000, 5) if mode == "row" else torch.ones(3000, 3000)
    xm, keep = mask_features(x, 0.3, mode=mode, generator=gen(0))
    assert tuple(keep.shape) == shape
    assert abs(1 - float(keep.float().mean()) - 0.3) < 0.03
    assert torch.equal(xm, x * keep)  # no rescaling


def test_col_mode_masks_same_columns_in_every_row():
    x = torch.randn(20, 50)
    xm, keep = mask_features(x, 0.5, generator=gen(1))
    dropped = ~keep.view(-1)
    assert bool((xm[:, dropped] == 0).all()) and torch.equal(xm[:, ~dropped], x[:, ~dropped])


def test_fill_value_any_dtype_and_flat_input():
    attr = torch.arange(12).view(6, 2)  # categorical (long) attributes
    out, keep = mask_features(attr, 0.5, mode="row", fill_value=-1, generator=gen(0))
    assert out.dtype == torch.long and bool((out[~keep.view(-1)] == -1).all())
    flat, keep = mask_features(torch.ones(10), 0.5, mode="all", generator=gen(0))
    assert flat.shape == (10,) and keep.shape == (10,)


def test_determinism_training_and_errors():
    x = torch.randn(10, 100)
    a, _ = mask_features(x, 0.4, generator=gen(3))
    b, _ = mask_features(x, 0.4, generator=gen(3))
    c, _ = mask_features(x, 0.4, generator=gen(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    same, keep = mask_features(x, 0.4, training=False)
    assert torch.equal(same, x) and bool(keep.all())
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\)"):
        mask_features(x, 1.2)
    with pytest.raises(ValueError, match="unknown mask mode"):
        mask_features(x, 0.2, mode="diag")
    with pytest.raises(ValueError, match=r"feature_prob for mode 'col' must have shape \(100,\)"):
        mask_features(x, 0.2, feature_prob=torch.zeros(10))
    with pytest.raises(ValueError, match="adaptive feature masking works on columns"):
        FeatureMask(0.2, mode="row", adaptive="degree")
    with pytest.raises(ValueError, match="needs node features"):
        FeatureMask(0.2)(random_graph(3, 3, 0), None)


def test_adaptive_masks_features_of_hubs_less():
    # Feature 0 is carried only by the hub, feature 1 only by five leaves; the rest by everyone.
    n = 100
    leaves = torch.arange(1, n)
    g = Graph.from_edge_index(torch.stack([leaves, torch.zeros_like(leaves)]), n).to_undirected()
    x = torch.ones(n, 6)
    x[1:, 0] = 0
    x[:, 1] = 0
    x[1:6, 1] = 1
    for centrality in ("degree", "pagerank", "eigenvector"):
        prob = feature_drop_probabilities(g, x, 0.1, centrality, max_p=0.9)
        assert float(prob[0]) < float(prob[1])
        assert float(prob.max()) <= 0.9
    counts = torch.zeros(6)
    aug = FeatureMask(0.3, adaptive="degree", max_p=0.9)
    for s in range(300):
        _, xm = aug(g, x, gen(s))
        counts += (xm.abs().sum(0) == 0).float()
    prob = feature_drop_probabilities(g, x, 0.3, "degree", max_p=0.9)
    assert float((counts / 300 - prob).abs().max()) < 0.1


def test_feature_probabilities_weighting_and_errors():
    g = random_graph(30, 90, 0, undirected=True)
    x = torch.rand(30, 8)
    a = feature_drop_probabilities(g, x, 0.3, weighting="occurrence")
    b = feature_drop_probabilities(g, x, 0.3, weighting="magnitude")
    assert a.shape == b.shape == (8,)
    with pytest.raises(ValueError, match="unknown feature weighting"):
        feature_drop_probabilities(g, x, 0.3, weighting="tfidf")
    with pytest.raises(ValueError, match="x must be"):
        feature_drop_probabilities(g, torch.rand(29, 8), 0.3)


def test_batch_path():
    b = make_batch([4, 0, 6])
    nb = FeatureMask(0.5).augment_batch(b, gen(0))
    assert_batch_consistent(nb)
    assert nb.graph is b.graph and nb.x.shape == b.x.shape
