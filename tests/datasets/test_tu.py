"""TU raw-format and GIN-format graph-classification loaders on the shared data."""
import pytest
import torch

from graphssl.datasets import GraphDataset, degree_features, load_dataset

# name: graphs, total nodes, total directed edges, classes, class counts, node features, edge features
STATS = {
    "mutag": (188, 3371, 7442, 2, [63, 125], 7, 4),
    "proteins": (1113, 43471, 162088, 2, [663, 450], 3, 0),
    "nci1": (4110, 122747, 265506, 2, [2053, 2057], 37, 0),
    "ptc_mr": (344, 4915, 10108, 2, [192, 152], 18, 4),
    "imdb-binary": (1000, 19773, 193062, 2, [500, 500], 0, 0),
    "imdb-multi": (1500, 19502, 197806, 3, [500, 500, 500], 0, 0),
}


@pytest.fixture(scope="module")
def tu(require):
    cache = {}

    def get(name, **kw):
        key = (name, tuple(sorted(kw.items())))
        if key not in cache:
            cache[key] = load_dataset(name, root=require(name), progress=False, **kw)
        return cache[key]
    return get


@pytest.mark.parametrize("name", sorted(STATS))
def test_statistics_exact(tu, name):
    ds = tu(name)
    g, n, e, c, counts, f, ef = STATS[name]
    assert isinstance(ds, GraphDataset)
    assert (len(ds), ds.total_nodes, ds.total_edges, ds.num_classes) == (g, n, e, c)
    assert torch.bincount(ds.y).tolist() == counts
    assert (ds.num_features, ds.num_edge_features) == (f, ef)


@pytest.mark.parametrize("name", sorted(STATS))
def test_samples_well_formed(tu, name):
    ds = tu(name)
    for s in ds:
        assert s.y.dim() == 0 and s.y.dtype == torch.int64
        assert not s.graph.has_self_loops()
        if s.x is not None:
            assert s.x.shape == (s.num_nodes, ds.num_features) and s.x.dtype == torch.float32
            assert torch.equal(s.x.sum(1), torch.ones(s.num_nodes))  # one-hot node labels
        if s.edge_attr is not None:
            assert s.edge_attr.shape == (s.num_edges, ds.num_edge_features)
    # Undirected: each graph's adjacency is symmetric.
    g = ds[0].graph
    assert torch.equal(g.transpose().col, g.col) and torch.equal(g.transpose().rowptr, g.rowptr)


def test_imdb_has_no_features_and_has_folds(tu):
    for name, (n_tr, n_te) in (("imdb-binary", (900, 100)), ("imdb-multi", (1350, 150))):
        ds = tu(name)
        assert all(s.x is None for s in ds)
        assert len(ds.folds) == 10
        for tr, te in ds.folds:
            assert (tr.numel(), te.numel()) == (n_tr, n_te)
            assert not set(tr.tolist()) & set(te.tolist())
        covered = torch.cat([te for _, te in ds.folds])
        assert torch.equal(covered.sort().values, torch.arange(len(ds)))


def test_degree_features(tu):
    ds = tu("imdb-binary")
    d = degree_features(ds)
    max_deg = max(int(s.graph.in_degree().max()) for s in ds)
    assert d.num_features == max_deg + 1 and d.folds is ds.folds and len(d) == len(ds)
    s = d[3]
    assert torch.equal(s.x.argmax(1), ds[3].graph.in_degree()) and torch.equal(s.x.sum(1), torch.ones(s.num_nodes))
    clipped = degree_features(ds, max_degree=5)
    assert clipped.num_features == 6 and int(clipped[0].x.argmax(1).max()) <= 5
    assert ds[0].x is None  # the original is untouched
    with pytest.raises(ValueError):
        degree_features(ds, max_degree=-1)


def test_proteins_node_attributes(tu):
    ds = tu("proteins", use_node_attr=True)
    assert ds.num_features == 4
    x0 = ds[0].x
    assert torch.equal(x0[:, 1:].sum(1), torch.ones(x0.size(0)))  # one-hot labels after the attribute
    assert float(x0[0, 0]) == 23.0  # first line of PROTEINS_node_attributes.txt
    with pytest.raises(ValueError, match="no node attributes"):
        tu("mutag", use_node_attr=True)


def test_subset_indexing(tu):
    ds = tu("mutag")
    sub = ds[torch.tensor([0, 5, 7])]
    assert isinstance(sub, GraphDataset) and len(sub) == 3 and sub[1] is ds[5]
    assert len(ds[:10]) == 10 and len(ds[ds.y == 0]) == 63


def test_matches_pyg(require, tmp_path):
    pytest.importorskip("torch_geometric")
    import shutil
    import warnings

    from torch_geometric.datasets import TUDataset
    root = require("mutag")
    raw = tmp_path / "MUTAG" / "raw"
    raw.mkdir(parents=True)
    for f in (root / "tu" / "MUTAG").glob("MUTAG_*.txt"):
        shutil.copy(f, raw / f.name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = TUDataset(str(tmp_path), "MUTAG")
    ds = load_dataset("mutag", root=root, progress=False)
    for i in (0, 17, 187):
        s, d = ds[i], ref[i]
        assert torch.equal(s.x, d.x) and int(s.y) == int(d.y)
        n = s.num_nodes
        ei = s.graph.to_edge_index()[0]
        ours = dict(zip((ei[0] * n + ei[1]).tolist(), map(tuple, s.edge_attr.tolist())))
        theirs = dict(zip((d.edge_index[0] * n + d.edge_index[1]).tolist(), map(tuple, d.edge_attr.tolist())))
        assert ours == theirs


def test_gin_format_truncated(require, tmp_path):
    import shutil

    from graphssl.datasets import DatasetFormatError
    shutil.copytree(require("imdb-binary") / "tu-gin-format" / "IMDBBINARY", tmp_path / "tu-gin-format" / "IMDBBINARY")
    f = tmp_path / "tu-gin-format" / "IMDBBINARY" / "IMDBBINARY.txt"
    f.write_bytes(f.read_bytes()[:50000])
    with pytest.raises(DatasetFormatError, match=r"IMDBBINARY\.txt"):
        load_dataset("imdb-binary", root=tmp_path, download=False, verify=False)
