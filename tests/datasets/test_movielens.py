"""MovieLens loaders on small files generated in GroupLens' formats (zipped as GroupLens
ships them, and extracted)."""
import warnings
import zipfile

import pytest
import torch

from graphssl.datasets import DatasetFormatError, InteractionDataset, load_dataset

GENRE_FLAGS = 19  # ml-100k u.item: unknown, Action, Adventure, Animation, Children's, Comedy, ...


def _flags(*on):
    return "|".join("1" if i in on else "0" for i in range(GENRE_FLAGS))


ML100K = {
    # user id | age | gender | occupation | zip code
    "u.user": "1|24|M|technician|85711\n2|53|F|other|94043\n3|23|M|writer|32067\n4|15|F|student|T8H1N\n",
    # movie id | title | release date | video release date | IMDb URL | 19 genre flags
    "u.item": (f"1|Toy Story (1995)|01-Jan-1995||http://x|{_flags(3, 4, 5)}\n"
               f"2|GoldenEye (1995)|01-Jan-1995||http://x|{_flags(1, 2, 16)}\n"
               f"3|Caf\xe9 Society (1997)|01-Jan-1997||http://x|{_flags(8)}\n"
               f"4|unknown||||{_flags(0)}\n"),
    # user id \t item id \t rating \t timestamp
    "u.data": "".join(f"{u}\t{i}\t{r}\t88125094{k}\n" for k, (u, i, r) in enumerate(
        [(1, 1, 5), (1, 2, 3), (1, 3, 4), (1, 4, 1), (2, 1, 4), (2, 3, 2), (3, 2, 5),
         (4, 1, 3), (4, 2, 2), (4, 3, 5), (4, 4, 4), (2, 4, 5)])),
}
ML1M = {
    "users.dat": "1::F::1::10::48067\n2::M::56::16::70072\n3::M::25::15::55117\n",
    "movies.dat": ("1::Toy Story (1995)::Animation|Children's|Comedy\n"
                   "2::Jumanji (1995)::Adventure|Children's|Fantasy\n"
                   "5::Father of the Bride Part II (1995)::Comedy\n"
                   "10::Stranger Things (Title) (2000)::Drama\n"),
    "ratings.dat": "".join(f"{u}::{i}::{r}::97830076{k}\n" for k, (u, i, r) in enumerate(
        [(1, 1, 5), (1, 2, 3), (1, 5, 4), (2, 1, 4), (2, 10, 2), (3, 2, 1), (3, 5, 5), (3, 10, 4), (3, 1, 2)])),
}


def _write_zip(root, name, members):
    folder = root / name
    folder.mkdir(parents=True)
    with zipfile.ZipFile(folder / f"{name}.zip", "w") as z:
        z.writestr(f"{name}/README", "generated for tests")
        for m, text in members.items():
            z.writestr(f"{name}/{m}", text.encode("latin-1"))
    return folder / f"{name}.zip"


def _load(name, root, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no checksum known for GroupLens files
        return load_dataset(name, root=root, download=False, **kw)


def test_ml100k_from_zip(tmp_path):
    _write_zip(tmp_path, "ml-100k", ML100K)
    with pytest.warns(UserWarning, match="no checksum is known"):
        ds = load_dataset("ml-100k", root=tmp_path, download=False, seed=0)
    assert isinstance(ds, InteractionDataset)
    assert (ds.num_users, ds.num_items, ds.num_interactions) == (4, 4, 12)
    uf, itf, vocab = ds.user_features, ds.item_features, ds.feature_vocab
    assert vocab["gender"] == ["<pad>", "F", "M"] and uf["gender"].tolist() == [2, 1, 2, 1]
    assert vocab["age"] == ["<pad>", "1", "18", "50"] and uf["age"].tolist() == [2, 3, 2, 1]
    assert [vocab["occupation"][c] for c in uf["occupation"].tolist()] == ["technician", "other", "writer", "student"]
    assert [vocab["zip_prefix"][c] for c in uf["zip_prefix"].tolist()] == ["8", "9", "3", "T"]
    genre = itf["genre"]
    assert genre.shape == (4, 3)
    assert [vocab["genre"][c] for c in genre[0].tolist()] == ["Animation", "Children's", "Comedy"]
    assert [vocab["genre"][c] for c in genre[2].tolist()] == ["Drama", "<pad>", "<pad>"]
    assert [vocab["year"][c] for c in itf["year"].tolist()] == ["1995", "1995", "1997", "<pad>"]
    for t in (ds.train, ds.test):
        assert t.dtype == torch.int64 and t.shape[1] == 2


def test_ml100k_extracted_files_same_result(tmp_path):
    _write_zip(tmp_path / "a", "ml-100k", ML100K)
    folder = tmp_path / "b" / "ml-100k"
    folder.mkdir(parents=True)
    for m, text in ML100K.items():
        (folder / m).write_bytes(text.encode("latin-1"))
    a, b = _load("ml-100k", tmp_path / "a", seed=3), _load("ml-100k", tmp_path / "b", seed=3)
    assert torch.equal(a.train, b.train) and torch.equal(a.test, b.test)
    assert all(torch.equal(a.user_features[k], b.user_features[k]) for k in a.user_features)


def test_per_user_split_seeded(tmp_path):
    _write_zip(tmp_path, "ml-100k", ML100K)
    a, b = (_load("ml-100k", tmp_path, seed=s) for s in (0, 0))
    assert torch.equal(a.train, b.train) and torch.equal(a.test, b.test)
    train_counts = torch.bincount(a.train[:, 0], minlength=4).tolist()
    test_counts = torch.bincount(a.test[:, 0], minlength=4).tolist()
    # 4 ratings -> 3 + 1, 3 -> 2 + 1 (at least one test item), 1 -> 1 + 0
    assert train_counts == [3, 2, 1, 3] and test_counts == [1, 1, 0, 1]
    full = _load("ml-100k", tmp_path, train_ratio=1.0)
    assert full.test.numel() == 0 and full.train.size(0) == 12
    high = _load("ml-100k", tmp_path, min_rating=4, train_ratio=1.0)
    assert high.train.size(0) == 7
    picks = {tuple(map(tuple, _load("ml-100k", tmp_path, seed=s).test.tolist())) for s in range(8)}
    assert len(picks) > 1  # the seed changes which interactions are held out


def test_ml1m_from_zip(tmp_path):
    _write_zip(tmp_path, "ml-1m", ML1M)
    ds = _load("ml-1m", tmp_path, seed=0, zip_prefix_len=2)
    assert (ds.num_users, ds.num_items, ds.num_interactions) == (3, 4, 9)
    v, uf, itf = ds.feature_vocab, ds.user_features, ds.item_features
    assert v["age"] == ["<pad>", "1", "25", "56"] and uf["age"].tolist() == [1, 3, 2]
    assert [v["occupation"][c] for c in uf["occupation"].tolist()] == ["K-12 student", "self-employed", "scientist"]
    assert [v["zip_prefix"][c] for c in uf["zip_prefix"].tolist()] == ["48", "70", "55"]
    assert [v["year"][c] for c in itf["year"].tolist()] == ["1995", "1995", "1995", "2000"]
    assert [v["genre"][c] for c in itf["genre"][3].tolist() if c] == ["Drama"]
    # Movie ids 1, 2, 5, 10 are renumbered 0..3 in id order.
    assert sorted(torch.cat([ds.train, ds.test])[:, 1].tolist()) == [0, 0, 0, 1, 1, 2, 2, 3, 3]


def test_corrupt_zip_and_bad_rows(tmp_path):
    path = _write_zip(tmp_path, "ml-1m", ML1M)
    path.write_bytes(path.read_bytes()[:200])  # truncated download
    with pytest.raises(DatasetFormatError, match="ml-1m.zip"):
        _load("ml-1m", tmp_path)
    bad = dict(ML1M, **{"ratings.dat": ML1M["ratings.dat"] + "3::99::4::978300760\n"})
    _write_zip(tmp_path / "x", "ml-1m", bad)
    with pytest.raises(DatasetFormatError, match="unknown user/item id 99"):
        _load("ml-1m", tmp_path / "x")
    short = dict(ML1M, **{"users.dat": "1::F::1\n"})
    _write_zip(tmp_path / "y", "ml-1m", short)
    with pytest.raises(DatasetFormatError, match=r"users\.dat line 1 has 3 fields"):
        _load("ml-1m", tmp_path / "y")


def test_bad_arguments(tmp_path):
    _write_zip(tmp_path, "ml-100k", ML100K)
    with pytest.raises(ValueError, match="train_ratio"):
        _load("ml-100k", tmp_path, train_ratio=0.0)
    with pytest.raises(ValueError, match="zip_prefix_len"):
        _load("ml-100k", tmp_path, zip_prefix_len=0)
