"""Planetoid loaders on the shared data: exact statistics, split and assembly details."""
import pytest
import torch

from graphssl.datasets import NodeDataset, load_dataset, random_split

# name: nodes, directed edges, features, classes, train, val, test (SOURCES.md / PyG)
STATS = {
    "cora": (2708, 10556, 1433, 7, 140, 500, 1000),
    "citeseer": (3327, 9104, 3703, 6, 120, 500, 1000),
    "pubmed": (19717, 88648, 500, 3, 60, 500, 1000),
}


@pytest.fixture(scope="module")
def planetoid(require):
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = load_dataset(name, root=require(name), progress=False)
        return cache[name]
    return get


@pytest.mark.parametrize("name", sorted(STATS))
def test_statistics_exact(planetoid, name):
    ds = planetoid(name)
    n, e, f, c, tr, va, te = STATS[name]
    assert isinstance(ds, NodeDataset)
    assert (ds.num_nodes, ds.num_edges, ds.num_features, ds.num_classes) == (n, e, f, c)
    assert (int(ds.train_mask.sum()), int(ds.val_mask.sum()), int(ds.test_mask.sum())) == (tr, va, te)
    assert ds.x.dtype == torch.float32 and ds.y.dtype == torch.int64 and ds.x.shape == (n, f)


@pytest.mark.parametrize("name", sorted(STATS))
def test_graph_is_undirected_coalesced_loop_free(planetoid, name):
    g = planetoid(name).graph
    assert not g.has_self_loops()
    t = g.transpose()
    assert torch.equal(t.rowptr, g.rowptr) and torch.equal(t.col, g.col)  # symmetric
    key = g.row() * g.num_nodes + g.col
    assert bool((key[1:] > key[:-1]).all())  # sorted, no duplicates


@pytest.mark.parametrize("name", sorted(STATS))
def test_splits_disjoint_and_labelled(planetoid, name):
    ds = planetoid(name)
    masks = torch.stack([ds.train_mask, ds.val_mask, ds.test_mask])
    assert int(masks.sum(0).max()) == 1
    assert bool((ds.y[masks.any(0)] >= 0).all())
    # Public train split: the first rows, 20 per class.
    assert torch.equal(ds.train_mask.nonzero().view(-1), torch.arange(int(ds.train_mask.sum())))
    assert torch.bincount(ds.y[ds.train_mask]).tolist() == [20] * ds.num_classes


def test_citeseer_missing_test_nodes(planetoid):
    ds = planetoid("citeseer")
    unlabeled = ds.y == -1
    assert int(unlabeled.sum()) == 15
    assert not bool((ds.train_mask | ds.val_mask | ds.test_mask)[unlabeled].any())
    assert float(ds.x[unlabeled].abs().sum()) == 0.0
    tr, va, te = random_split(ds.y, train=0.1, val=0.1, seed=0)
    assert not bool((tr | va | te)[unlabeled].any())
    assert int((tr | va | te).sum()) == 3327 - 15


def test_cora_features_are_raw_binary(planetoid):
    x = planetoid("cora").x
    assert set(torch.unique(x).tolist()) == {0.0, 1.0}
    assert int(x.sum()) == 49216  # nnz of the Planetoid files (SOURCES.md)


def test_pubmed_rebuilt_allx_accepted_as_local_copy(planetoid):
    from graphssl.datasets import dataset_card
    spec = dataset_card("pubmed").file("ind.pubmed.allx")
    assert spec.git_sha1 and not spec.sha256  # canonical file known only by its git blob id
    alt = spec.alternatives[0]
    assert alt.local_only and alt.path == spec.path and alt.sha256
    assert planetoid("pubmed").num_nodes == 19717  # loaded with verification on


def test_matches_pyg_assembly(planetoid, require, tmp_path):
    """Same features, labels (PyG gives CiteSeer's missing nodes 0), edges and masks as PyG."""
    pytest.importorskip("torch_geometric")
    import shutil
    import warnings

    from torch_geometric.datasets import Planetoid
    src = require("citeseer") / "citeseer"
    raw = tmp_path / "CiteSeer" / "raw"
    raw.mkdir(parents=True)
    for f in src.iterdir():
        shutil.copy(f, raw / f.name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = Planetoid(str(tmp_path), "CiteSeer")[0]
    ds = planetoid("citeseer")
    assert torch.equal(ds.x, ref.x)
    assert torch.equal(ds.y.clamp(min=0), ref.y)
    assert torch.equal(_edge_keys(ds.graph.to_edge_index()[0], ds.num_nodes), _edge_keys(ref.edge_index, ds.num_nodes))
    for m in ("train_mask", "val_mask", "test_mask"):
        assert torch.equal(getattr(ds, m), getattr(ref, m))


def _edge_keys(edge_index, n):
    """Sorted unique ``src * n + dst`` of an edge list (order-free comparison)."""
    return torch.unique(edge_index[0] * n + edge_index[1])
