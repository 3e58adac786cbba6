"""Amazon / Coauthor loaders on the shared data (zip read in place) and on a raw .npz."""
import zipfile

import pytest
import torch

from graphssl.datasets import load_dataset, random_split
from graphssl.datasets.gnn_benchmark import gnn_benchmark_stats

# name: nodes, directed edges, features, classes (SOURCES.md; equal to PyG's)
STATS = {
    "amazon-computers": (13752, 491722, 767, 10),
    "amazon-photo": (7650, 238162, 745, 8),
    "coauthor-cs": (18333, 163788, 6805, 15),
    "coauthor-physics": (34493, 495924, 8415, 5),
}


@pytest.mark.parametrize("name", ["amazon-computers", "amazon-photo", "coauthor-cs"])
def test_statistics_exact(require, name):
    ds = load_dataset(name, root=require(name), progress=False)
    assert (ds.num_nodes, ds.num_edges, ds.num_features, ds.num_classes) == STATS[name]
    assert ds.train_mask is None and ds.val_mask is None and ds.test_mask is None
    assert ds.x.dtype == torch.float32 and bool(((ds.x == 0) | (ds.x == 1)).all())
    g = ds.graph
    assert not g.has_self_loops()
    t = g.transpose()
    assert torch.equal(t.rowptr, g.rowptr) and torch.equal(t.col, g.col)
    tr, va, te = random_split(ds.num_nodes, train=0.1, val=0.1, seed=0)
    assert (int(tr.sum()), int(va.sum())) == (round(0.1 * ds.num_nodes),) * 2
    assert int((tr | va | te).sum()) == ds.num_nodes


def test_coauthor_physics_statistics(require):
    # Loaded once (the dense features take 1.2 GB); the cheap path must agree with it.
    root = require("coauthor-physics")
    ds = load_dataset("coauthor-physics", root=root, progress=False)
    assert (ds.num_nodes, ds.num_edges, ds.num_features, ds.num_classes) == STATS["coauthor-physics"]
    assert int(ds.x.sum()) == 1137311  # every stored entry binarised to 1
    del ds
    rec = gnn_benchmark_stats("coauthor-physics", root)
    assert (rec["num_nodes"], rec["num_edges"], rec["num_features"], rec["num_classes"]) == STATS["coauthor-physics"]


def test_raw_counts_and_raw_npz_file(require, tmp_path):
    """The canonical .npz on disk works as well as the zip, and binary_features=False keeps counts."""
    root = require("coauthor-cs")
    with zipfile.ZipFile(root / "coauthor-cs" / "coauthor-cs.zip") as z:
        (tmp_path / "coauthor-cs").mkdir()
        (tmp_path / "coauthor-cs" / "ms_academic_cs.npz").write_bytes(z.read("ms_academic_cs.npz"))
    ds = load_dataset("coauthor-cs", root=tmp_path, download=False, binary_features=False)
    assert (ds.num_nodes, ds.num_edges, ds.num_features, ds.num_classes) == STATS["coauthor-cs"]
    assert float(ds.x.max()) > 1.0  # word counts


def test_matches_pyg(require):
    pytest.importorskip("torch_geometric")
    import io

    import numpy as np
    from torch_geometric.io.npz import parse_npz
    root = require("amazon-photo")
    with zipfile.ZipFile(root / "amazon-photo" / "amazon-photo.zip") as z:
        ref = parse_npz(np.load(io.BytesIO(z.read("amazon_electronics_photo.npz"))))
    ds = load_dataset("amazon-photo", root=root, progress=False)
    assert torch.equal(ds.x, ref.x) and torch.equal(ds.y, ref.y)
    assert torch.equal(_edge_keys(ds.graph.to_edge_index()[0], ds.num_nodes), _edge_keys(ref.edge_index, ds.num_nodes))


def _edge_keys(edge_index, n):
    """Sorted unique ``src * n + dst`` of an edge list (order-free comparison)."""
    return torch.unique(edge_index[0] * n + edge_index[1])


def _write_npz(path, attr_data):
    import numpy as np
    n, f = 3, 4
    np.savez(path, adj_data=np.ones(3, np.float32), adj_indices=np.array([1, 2, 0], np.int32),
             adj_indptr=np.array([0, 1, 2, 3], np.int32), adj_shape=np.array([n, n]),
             attr_data=np.asarray(attr_data, np.float32), attr_indices=np.array([0, 3, 1], np.int32),
             attr_indptr=np.array([0, 1, 2, 3], np.int32), attr_shape=np.array([n, f]),
             labels=np.array([0, 1, 1]))


def test_small_npz_and_nan_features(tmp_path):
    folder = tmp_path / "amazon-photo"
    folder.mkdir()
    npz = folder / "amazon_electronics_photo.npz"
    _write_npz(npz, [2.0, 1.0, 3.0])
    ds = load_dataset("amazon-photo", root=tmp_path, download=False, verify=False, binary_features=False)
    assert ds.x.tolist() == [[2, 0, 0, 0], [0, 0, 0, 1], [0, 3, 0, 0]]
    assert ds.num_edges == 6 and ds.num_classes == 2  # cycle 0-1-2 made undirected
    _write_npz(npz, [1.0, float("nan"), 1.0])
    with pytest.raises(ValueError, match=r"'amazon-photo'.*amazon_electronics_photo\.npz.*NaN"):
        load_dataset("amazon-photo", root=tmp_path, download=False, verify=False)
