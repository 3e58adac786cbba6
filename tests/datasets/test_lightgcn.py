"""LightGCN-format interaction loaders: shared Gowalla / Yelp2018 archives, raw text files,
and a generated Amazon-Book in the same format (no checksum known -> one warning)."""
import tarfile
import warnings
import zipfile

import pytest
import torch

from graphssl.datasets import DatasetFormatError, InteractionDataset, load_dataset

# name: users, items, train, test (SOURCES.md)
STATS = {"gowalla": (29858, 40981, 810128, 217242), "yelp2018": (31668, 38048, 1237259, 324147)}


@pytest.mark.parametrize("name", sorted(STATS))
def test_statistics_exact(require, name):
    ds = load_dataset(name, root=require(name), progress=False)
    users, items, n_train, n_test = STATS[name]
    assert isinstance(ds, InteractionDataset)
    assert (ds.num_users, ds.num_items, ds.train.size(0), ds.test.size(0)) == (users, items, n_train, n_test)
    assert ds.num_interactions == n_train + n_test
    assert ds.train.dtype == torch.int64 and ds.train.shape[1] == 2
    assert int(ds.train[:, 1].max()) == items - 1 and int(ds.train[:, 0].max()) == users - 1
    # No item twice for a user within a split.
    key = ds.train[:, 0] * ds.num_items + ds.train[:, 1]
    assert torch.unique(key).numel() == key.numel()


def test_raw_text_files_accepted(require, tmp_path):
    root = require("yelp2018")
    folder = tmp_path / "yelp2018"
    folder.mkdir()
    with tarfile.open(root / "yelp2018" / "yelp2018.tar.gz") as t:
        for m in ("train.txt", "test.txt"):
            (folder / m).write_bytes(t.extractfile(f"yelp2018/{m}").read())
    ds = load_dataset("yelp2018", root=tmp_path, download=False)
    assert (ds.num_users, ds.num_items, ds.train.size(0), ds.test.size(0)) == STATS["yelp2018"]


def _write_amazon_book(root):
    folder = root / "amazon-book"
    folder.mkdir(parents=True)
    (folder / "train.txt").write_text("0 0 1 2\n1 2 3\n2 4\n3 1 5 6 7\n")
    (folder / "test.txt").write_text("0 3\n1 0 7\n2\n3 8\n")


def test_amazon_book_generated_warns_once(tmp_path):
    _write_amazon_book(tmp_path)
    with pytest.warns(UserWarning, match="no checksum is known"):
        ds = load_dataset("amazon-book", root=tmp_path, download=False)
    assert (ds.num_users, ds.num_items) == (4, 9)
    assert ds.train.tolist() == [[0, 0], [0, 1], [0, 2], [1, 2], [1, 3], [2, 4], [3, 1], [3, 5], [3, 6], [3, 7]]
    assert ds.test.tolist() == [[0, 3], [1, 0], [1, 7], [3, 8]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the second load of the same files is silent
        load_dataset("amazon-book", root=tmp_path, download=False)


def test_corrupt_text_names_file_and_line(tmp_path):
    _write_amazon_book(tmp_path)
    (tmp_path / "amazon-book" / "test.txt").write_text("0 3\n1 0 x7\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DatasetFormatError, match=r"test\.txt line 2"):
            load_dataset("amazon-book", root=tmp_path, download=False)


def test_gowalla_zip_members_match_card(require):
    from graphssl.datasets import dataset_card
    root = require("gowalla")
    card = dataset_card("gowalla")
    with zipfile.ZipFile(root / "gowalla" / "light_gcn_gowalla.zip") as z:
        names = set(z.namelist())
    assert {a.member for f in card.files for a in f.alternatives} <= names
