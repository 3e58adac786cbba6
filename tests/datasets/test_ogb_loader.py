"""OGB node/link loaders on small datasets written in OGB's exact on-disk format by the
tests (no OGB dataset can be downloaded here): agreement with the arrays written, with
``ogb``'s own reader on the same files, the official zip read in place, the download path
(a file:// URL), and clear errors for missing or malformed files."""
import dataclasses
import gzip
import shutil
import urllib.error
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from graphssl.datasets import (DatasetFormatError, DatasetNotFoundError, LinkDataset, NodeDataset, dataset_card,
                               is_ogb_dataset, list_datasets, load_dataset, load_ogb_link, load_ogb_node, summarize)
from graphssl.datasets import ogb as ogb_module
from graphssl.datasets.ogb_format import (OGB_DATASETS, make_ogb_link_fixture, make_ogb_node_fixture, ogb_files,
                                          write_csv_gz, write_ogb_link_dataset, write_ogb_node_dataset)

pytestmark = pytest.mark.filterwarnings("ignore:.*no checksum is known.*:UserWarning")


def _pairs(edge_index: np.ndarray) -> set:
    """Undirected pair set without self-loops."""
    return {(min(u, v), max(u, v)) for u, v in zip(*np.asarray(edge_index).tolist()) if u != v}


def _graph_pairs(graph) -> set:
    ei, _ = graph.to_edge_index()
    directed = set(zip(*ei.tolist()))
    assert all((v, u) in directed for u, v in directed), "graph must store both directions"
    assert len(directed) == graph.num_edges, "graph must be coalesced"
    return {(min(u, v), max(u, v)) for u, v in directed}


def _ogb_root(tmp_path: Path) -> Path:
    return tmp_path / "data"


# ---------------------------------------------------------------------------- node datasets
@pytest.mark.parametrize("name", ["ogbn-arxiv", "ogbn-products"])
def test_node_loader_returns_what_was_written(tmp_path, name):
    root = _ogb_root(tmp_path)
    ref = make_ogb_node_fixture(root, name, num_nodes=60, num_features=5, num_classes=3, seed=1)
    ds = load_dataset(name, root=root)
    assert isinstance(ds, NodeDataset) and ds.name == name
    assert ds.num_nodes == 60 and ds.num_features == 5 and ds.num_classes == OGB_DATASETS[name].num_classes
    assert _graph_pairs(ds.graph) == _pairs(ref["edge_index"])
    assert not ds.graph.has_self_loops()
    torch.testing.assert_close(ds.x, torch.from_numpy(ref["x"]), rtol=0, atol=0)
    assert torch.equal(ds.y, torch.from_numpy(ref["y"]))
    for mask, part in ((ds.train_mask, "train"), (ds.val_mask, "valid"), (ds.test_mask, "test")):
        assert sorted(mask.nonzero().view(-1).tolist()) == sorted(ref["split_idx"][part].tolist())
    assert int(ds.train_mask.sum() + ds.val_mask.sum() + ds.test_mask.sum()) == 60
    if name == "ogbn-arxiv":
        assert torch.equal(ds.extras["node_year"], torch.from_numpy(ref["node_year"]))
    else:
        assert ds.extras == {}


@pytest.mark.parametrize("name", ["ogbn-arxiv", "ogbn-products"])
def test_node_loader_agrees_with_ogb_reader(tmp_path, name, capsys):
    nodeproppred = pytest.importorskip("ogb.nodeproppred")
    root = _ogb_root(tmp_path)
    make_ogb_node_fixture(root, name, num_nodes=50, seed=2)
    ours = load_ogb_node(name, root)
    theirs = nodeproppred.NodePropPredDataset(name, root=str(root))
    graph, labels = theirs[0]
    split = theirs.get_idx_split()
    assert graph["num_nodes"] == ours.num_nodes
    np.testing.assert_array_equal(graph["node_feat"], ours.x.numpy())
    np.testing.assert_array_equal(labels.reshape(-1), ours.y.numpy())
    assert _pairs(graph["edge_index"]) == _graph_pairs(ours.graph)
    if OGB_DATASETS[name].add_inverse_edge:  # ogb adds the reverse of each listed edge, as our graph has
        assert graph["edge_index"].shape[1] == ours.num_edges
    for part, mask in (("train", ours.train_mask), ("valid", ours.val_mask), ("test", ours.test_mask)):
        assert sorted(split[part].tolist()) == mask.nonzero().view(-1).tolist()
    if name == "ogbn-arxiv":
        np.testing.assert_array_equal(graph["node_year"].reshape(-1), ours.extras["node_year"].numpy())


def test_directed_arxiv_files_become_undirected(tmp_path):
    root = _ogb_root(tmp_path)
    # a directed 3-cycle, a duplicate in the reverse direction and a self-loop
    edges = np.array([[0, 1, 2, 1, 3], [1, 2, 0, 0, 3]])
    write_ogb_node_dataset(root, "ogbn-arxiv", edges, np.eye(4, dtype=np.float32), np.array([0, 1, 2, 3]),
                           {"train": [0, 1], "valid": [2], "test": [3]})
    ds = load_dataset("OGBN_ARXIV", root=root)  # case and "_" do not matter
    assert _graph_pairs(ds.graph) == {(0, 1), (1, 2), (0, 2)}
    assert ds.num_edges == 6


def test_missing_labels_become_minus_one(tmp_path):
    root = _ogb_root(tmp_path)
    make_ogb_node_fixture(root, "ogbn-products", num_nodes=10, seed=0)
    y = np.array(["nan" if i % 3 == 0 else str(i % 5) for i in range(10)])
    with gzip.open(root / "ogbn_products/raw/node-label.csv.gz", "wt") as f:
        f.write("\n".join(y) + "\n")
    ds = load_ogb_node("ogbn-products", root)
    expected = [-1 if i % 3 == 0 else i % 5 for i in range(10)]
    assert ds.y.tolist() == expected


def test_official_zip_is_read_in_place_and_extracted_copy_too(tmp_path):
    src = tmp_path / "src"
    make_ogb_node_fixture(src, "ogbn-arxiv", num_nodes=40, seed=3)
    ref = load_ogb_node("ogbn-arxiv", src)
    # the official zip: arxiv/raw/..., arxiv/split/time/... at <root>/arxiv.zip
    zroot = tmp_path / "zipped"
    zroot.mkdir()
    with zipfile.ZipFile(zroot / "arxiv.zip", "w") as z:
        for rel in ogb_files(OGB_DATASETS["ogbn-arxiv"]):
            z.write(src / "ogbn_arxiv" / rel, f"arxiv/{rel}")
    from_zip = load_ogb_node("ogbn-arxiv", zroot, download=False)
    # the zip extracted but not renamed: <root>/arxiv/raw/...
    xroot = tmp_path / "extracted"
    shutil.copytree(src / "ogbn_arxiv", xroot / "arxiv")
    from_dir = load_ogb_node("ogbn-arxiv", xroot, download=False)
    for other in (from_zip, from_dir):
        assert torch.equal(other.graph.rowptr, ref.graph.rowptr) and torch.equal(other.graph.col, ref.graph.col)
        assert torch.equal(other.x, ref.x) and torch.equal(other.y, ref.y)
        assert torch.equal(other.test_mask, ref.test_mask)


def test_download_fetches_the_zip_from_the_card_url(tmp_path, monkeypatch):
    src = tmp_path / "src"
    make_ogb_node_fixture(src, "ogbn-arxiv", num_nodes=30, seed=4)
    served = tmp_path / "served" / "arxiv.zip"
    served.parent.mkdir()
    with zipfile.ZipFile(served, "w") as z:
        for rel in ogb_files(OGB_DATASETS["ogbn-arxiv"]):
            z.write(src / "ogbn_arxiv" / rel, f"arxiv/{rel}")
    card = dataset_card("ogbn-arxiv")
    url = served.as_uri()
    files = tuple(dataclasses.replace(f, alternatives=tuple(
        dataclasses.replace(a, url=url) if a.url else a for a in f.alternatives)) for f in card.files)
    monkeypatch.setattr(ogb_module, "get_card", lambda name: dataclasses.replace(card, files=files))
    root = tmp_path / "empty"
    ds = load_ogb_node("ogbn-arxiv", root, progress=False)
    assert (root / "arxiv.zip").is_file()  # where ogb itself downloads it
    assert ds.num_nodes == 30 and torch.equal(ds.y, load_ogb_node("ogbn-arxiv", src).y)


def test_missing_files_name_files_folder_and_url(tmp_path, monkeypatch):
    with pytest.raises(DatasetNotFoundError) as e:
        load_dataset("ogbn-arxiv", root=tmp_path, download=False)
    msg = str(e.value)
    assert "ogbn_arxiv/raw/edge.csv.gz" in msg and "ogbn_arxiv/split/time/train.csv.gz" in msg
    assert str(tmp_path / "ogbn_arxiv" / "raw") in msg
    assert "https://snap.stanford.edu/ogb/data/nodeproppred/arxiv.zip" in msg

    def offline(*a, **k):
        raise urllib.error.URLError("network is unreachable")
    monkeypatch.setattr("graphssl.datasets.fetch.download_file", offline)
    with pytest.raises(DatasetNotFoundError) as e:
        load_dataset("ogbl-collab", root=tmp_path, progress=False)
    msg = str(e.value)
    assert "ogbl_collab/split/time/valid.pt" in msg and "network is unreachable" in msg
    assert "https://snap.stanford.edu/ogb/data/linkproppred/collab.zip" in msg


# ---------------------------------------------------------------------------- malformed files
def _rewrite(root: Path, rel: str, text: str) -> None:
    with gzip.open(root / rel, "wt") as f:
        f.write(text)


@pytest.mark.parametrize("rel, text, words", [
    ("ogbn_arxiv/raw/edge.csv.gz", "0,1,2\n1,2,0\n", ["edge.csv.gz", "2 column"]),
    ("ogbn_arxiv/raw/edge.csv.gz", "0,1\n1,x\n", ["edge.csv.gz", "cannot parse"]),
    ("ogbn_arxiv/raw/edge.csv.gz", "0,1\n1\n", ["edge.csv.gz", "cannot parse"]),
    ("ogbn_arxiv/raw/edge.csv.gz", "0,1\n", ["num-edge-list"]),
    ("ogbn_arxiv/raw/num-node-list.csv.gz", "20\n", ["edge.csv.gz", "outside 0..19"]),
    ("ogbn_arxiv/raw/num-node-list.csv.gz", "20\n30\n", ["num-node-list", "one graph"]),
    ("ogbn_arxiv/raw/node-feat.csv.gz", "0.5,1\n", ["node-feat.csv.gz", "1 rows for 30 nodes"]),
    ("ogbn_arxiv/raw/node-label.csv.gz", "\n".join(["45"] * 30) + "\n", ["node-label.csv.gz", "0..39"]),
    ("ogbn_arxiv/raw/node-label.csv.gz", "\n".join(["1,2"] * 30) + "\n", ["node-label.csv.gz", "1 column"]),
    ("ogbn_arxiv/raw/node_year.csv.gz", "2000\n", ["node_year.csv.gz", "expected 30"]),
    ("ogbn_arxiv/split/time/test.csv.gz", "31\n", ["test.csv.gz", "outside 0..29"]),
    ("ogbn_arxiv/split/time/valid.csv.gz", "0\n1\n", ["two parts"]),
])
def test_malformed_node_files_raise_format_errors(tmp_path, rel, text, words):
    make_ogb_node_fixture(tmp_path, "ogbn-arxiv", num_nodes=30, seed=5)
    if "valid" in rel:  # make node 0 both train and valid
        _rewrite(tmp_path, "ogbn_arxiv/split/time/train.csv.gz", "0\n")
    _rewrite(tmp_path, rel, text)
    with pytest.raises(DatasetFormatError) as e:
        load_ogb_node("ogbn-arxiv", tmp_path)
    for w in words:
        assert w in str(e.value), (w, str(e.value))
    assert "ogbn-arxiv" in str(e.value)


def test_nan_features_rejected(tmp_path):
    make_ogb_node_fixture(tmp_path, "ogbn-products", num_nodes=10, num_features=2, seed=0)
    _rewrite(tmp_path, "ogbn_products/raw/node-feat.csv.gz", "nan,1\n" + "0,1\n" * 9)
    with pytest.raises(ValueError, match="NaN/inf"):
        load_ogb_node("ogbn-products", tmp_path)


def test_truncated_gzip_is_a_format_error(tmp_path):
    make_ogb_node_fixture(tmp_path, "ogbn-arxiv", num_nodes=30, seed=5)
    p = tmp_path / "ogbn_arxiv/raw/node-feat.csv.gz"
    p.write_bytes(p.read_bytes()[:40])
    with pytest.raises(DatasetFormatError, match="node-feat.csv.gz"):
        load_ogb_node("ogbn-arxiv", tmp_path)


# ---------------------------------------------------------------------------- link datasets
def test_link_loader_returns_what_was_written(tmp_path):
    ref = make_ogb_link_fixture(tmp_path, num_nodes=50, seed=6)
    ds = load_dataset("ogbl-collab", root=tmp_path)
    assert isinstance(ds, LinkDataset) and ds.num_nodes == 50
    assert _graph_pairs(ds.graph) == _pairs(ref["edge_index"])
    assert ds.graph.value is None
    torch.testing.assert_close(ds.x, torch.from_numpy(ref["x"]), rtol=0, atol=0)
    for part in ("train", "valid", "test"):
        d = getattr(ds, part)
        assert torch.equal(d["edge"], torch.from_numpy(ref["split_edge"][part]["edge"]))
        assert torch.equal(d["year"], torch.from_numpy(ref["split_edge"][part]["year"]))
        assert ("edge_neg" in d) == (part != "train")
    assert torch.equal(ds.extras["edge_weight"], torch.from_numpy(ref["edge_weight"]).double())
    assert "split_edges=" in repr(ds)


def test_link_loader_agrees_with_ogb_reader(tmp_path, capsys):
    linkproppred = pytest.importorskip("ogb.linkproppred")
    make_ogb_link_fixture(tmp_path, num_nodes=40, seed=7)
    ours = load_ogb_link("ogbl-collab", tmp_path)
    theirs = linkproppred.LinkPropPredDataset("ogbl-collab", root=str(tmp_path))
    graph = theirs[0]
    split = theirs.get_edge_split()
    np.testing.assert_array_equal(graph["node_feat"], ours.x.numpy())
    assert _pairs(graph["edge_index"]) == _graph_pairs(ours.graph)
    # ogb repeats each per-edge value for the inverse edge it adds
    np.testing.assert_array_equal(graph["edge_weight"][::2].reshape(-1), ours.extras["edge_weight"].numpy())
    np.testing.assert_array_equal(graph["edge_year"][::2].reshape(-1), ours.extras["edge_year"].numpy())
    for part in ("train", "valid", "test"):
        assert set(split[part]) == set(getattr(ours, part))
        for k, v in split[part].items():
            assert torch.equal(torch.as_tensor(v), getattr(ours, part)[k]), (part, k)


def test_malformed_link_split_files(tmp_path):
    make_ogb_link_fixture(tmp_path, num_nodes=30, seed=8)
    split = tmp_path / "ogbl_collab/split/time"
    torch.save([1, 2, 3], split / "valid.pt")
    with pytest.raises(DatasetFormatError, match="valid.pt.*dict"):
        load_ogb_link("ogbl-collab", tmp_path)
    torch.save({"edge": torch.tensor([[0, 1]]), "edge_neg": torch.tensor([[0, 99]])}, split / "valid.pt")
    with pytest.raises(DatasetFormatError, match="edge_neg.*outside 0..29"):
        load_ogb_link("ogbl-collab", tmp_path)
    torch.save({"edge": torch.tensor([[0, 1]]), "year": torch.tensor([1, 2])}, split / "valid.pt")
    with pytest.raises(DatasetFormatError, match="one entry per edge"):
        load_ogb_link("ogbl-collab", tmp_path)
    torch.save({"edge": torch.tensor([[0.5, 1.0]])}, split / "valid.pt")
    with pytest.raises(DatasetFormatError, match="integer"):
        load_ogb_link("ogbl-collab", tmp_path)
    (split / "valid.pt").write_bytes(b"not a torch file")
    with pytest.raises(DatasetFormatError, match="valid.pt"):
        load_ogb_link("ogbl-collab", tmp_path)


# ---------------------------------------------------------------------------- registry, cards, writers
def test_registered_with_cards_matching_ogb_master():
    names = set(list_datasets())
    assert {"ogbn-arxiv", "ogbn-products", "ogbl-collab"} <= names
    assert is_ogb_dataset("ogbn_arxiv") and not is_ogb_dataset("cora")
    for name, info in OGB_DATASETS.items():
        card = dataset_card(name)
        assert card.kind == info.kind
        assert [f.path for f in card.files] == [f"{info.dir_name}/{r}" for r in ogb_files(info)]
        for f in card.files:
            zip_alt = [a for a in f.alternatives if a.member]
            assert zip_alt and zip_alt[0].url == info.url and zip_alt[0].path == f"{info.download_name}.zip"


def test_metadata_matches_ogb_master_csv():
    pd = pytest.importorskip("pandas")
    ogb = pytest.importorskip("ogb")
    base = Path(ogb.__file__).parent
    for name, info in OGB_DATASETS.items():
        sub = "nodeproppred" if info.kind == "node" else "linkproppred"
        m = pd.read_csv(base / sub / "master.csv", index_col=0, keep_default_na=False)[name]
        assert m["eval metric"] == info.eval_metric and m["split"] == info.split
        assert m["download_name"] == info.download_name and int(m["version"]) == info.version
        assert m["url"].replace("http://", "https://") == info.url
        assert (m["add_inverse_edge"] == "True") == info.add_inverse_edge
        node_files = () if m["additional node files"] == "None" else tuple(m["additional node files"].split(","))
        edge_files = () if m["additional edge files"] == "None" else tuple(m["additional edge files"].split(","))
        assert node_files == info.node_files and edge_files == info.edge_files
        assert m["has_node_attr"] == "True" and m["is hetero"] == "False" and m["binary"] == "False"
        if info.kind == "node":
            assert int(m["num tasks"]) == info.num_tasks and int(m["num classes"]) == info.num_classes


def test_summarize_lists_ogb_fixtures(tmp_path):
    make_ogb_node_fixture(tmp_path, "ogbn-arxiv", num_nodes=20, seed=0)
    make_ogb_link_fixture(tmp_path, num_nodes=20, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no dataset may fail to load
        warnings.filterwarnings("ignore", message=".*no checksum is known.*")
        recs = {r["name"]: r for r in summarize(tmp_path)}
    assert recs["ogbn-arxiv"]["num_nodes"] == 20 and recs["ogbn-arxiv"]["num_classes"] == 40
    assert recs["ogbl-collab"]["num_nodes"] == 20 and "error" not in recs["ogbl-collab"]


def test_writers_validate_their_input(tmp_path):
    x, y = np.zeros((3, 2), np.float32), np.array([0, 1, 2])
    split = {"train": [0], "valid": [1], "test": [2]}
    with pytest.raises(ValueError, match="link dataset"):
        write_ogb_node_dataset(tmp_path, "ogbl-collab", [[0], [1]], x, y, split)
    with pytest.raises(ValueError, match="unknown OGB dataset"):
        write_ogb_node_dataset(tmp_path, "ogbn-mag", [[0], [1]], x, y, split)
    with pytest.raises(ValueError, match="y must be|x must be"):
        write_ogb_node_dataset(tmp_path, "ogbn-arxiv", [[0], [1]], x, y[:2], split)
    with pytest.raises(ValueError, match="lacks"):
        write_ogb_node_dataset(tmp_path, "ogbn-arxiv", [[0], [1]], x, y, {"train": [0]})
    with pytest.raises(ValueError, match=r"\[2, E\]"):
        write_ogb_node_dataset(tmp_path, "ogbn-arxiv", [[0, 1, 2]], x, y, split)
    with pytest.raises(ValueError, match="node dataset"):
        write_ogb_link_dataset(tmp_path, "ogbn-arxiv", [[0], [1]], x, {})
    with pytest.raises(ValueError, match="num_nodes >= 3"):
        make_ogb_node_fixture(tmp_path, "ogbn-arxiv", num_nodes=2)


def test_csv_writer_round_trips_float32_exactly(tmp_path):
    from graphssl.datasets.ogb_format import read_csv_gz
    a = np.random.default_rng(0).standard_normal((7, 3)).astype(np.float32) * 1e3
    p = write_csv_gz(tmp_path / "a.csv.gz", a)
    with gzip.open(p, "rb") as f:
        b = read_csv_gz(f, "t", str(p), np.float32)
    np.testing.assert_array_equal(a, b)
    assert p.read_bytes() == write_csv_gz(tmp_path / "b.csv.gz", a).read_bytes()  # deterministic bytes


def test_link_dataset_validates_its_split():
    from graphssl.datasets.edges import undirected_graph
    g = undirected_graph(np.array([0, 1]), np.array([1, 2]), 3)
    x = torch.zeros(3, 2)
    ok = {"edge": torch.tensor([[0, 1]])}
    LinkDataset("t", g, x, ok, ok, ok)
    for bad, msg in [({"edge": torch.tensor([0, 1])}, r"int64 \[M, 2\]"),
                     ({"edge": torch.tensor([[0, 3]])}, "outside 0..2"),
                     ({"edge": torch.tensor([[0, 1]]), "year": torch.tensor([1, 2])}, "2 rows for 1 edges"),
                     ({"edge": torch.tensor([[0, 1]]), "year": torch.tensor(1)}, "rows for 1 edges"),
                     ({"weight": torch.tensor([1.0])}, "'edge' entry")]:
        with pytest.raises(ValueError, match=msg):
            LinkDataset("t", g, x, ok, bad, ok)
    with pytest.raises(ValueError, match="float32"):
        LinkDataset("t", g, torch.zeros(2, 2), ok, ok, ok)
