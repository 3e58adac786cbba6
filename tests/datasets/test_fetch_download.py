"""Locating, checking and downloading dataset files: file:// downloads, checksum mismatches,
no network, missing / truncated / corrupt files, the data root."""
import dataclasses
import hashlib
import shutil
import warnings
from pathlib import Path

import pytest

import graphssl.datasets.gnn_benchmark as gnn_benchmark_module
import graphssl.datasets.planetoid as planetoid_module
from graphssl.datasets import (ChecksumError, DatasetFormatError, DatasetNotFoundError, data_root, dataset_card,
                               download_file, load_dataset)
from graphssl.datasets.checksums import file_digest, git_blob_sha1


def _with_urls(card, url_of):
    """The card with each file's URL replaced by ``url_of(spec)`` (alternatives dropped)."""
    files = tuple(dataclasses.replace(f, url=url_of(f), alternatives=()) for f in card.files)
    return dataclasses.replace(card, files=files)


def _copy_dataset(src_root: Path, name: str, dst_root: Path) -> None:
    shutil.copytree(src_root / name, dst_root / name)


# ---------------------------------------------------------------------------- downloads
def test_download_file_checks_and_saves(tmp_path):
    src = tmp_path / "src.bin"
    data = b"graph data " * 1000
    src.write_bytes(data)
    dest = tmp_path / "out" / "deep" / "file.bin"
    download_file(src.as_uri(), dest, sha256=hashlib.sha256(data).hexdigest(), size=len(data), progress=False)
    assert dest.read_bytes() == data
    dest2 = tmp_path / "out" / "blob.bin"
    download_file(src.as_uri(), dest2, git_sha1=git_blob_sha1(data), progress=False)
    assert file_digest(dest2, "git_sha1") == git_blob_sha1(data)


def test_download_file_mismatch_keeps_nothing(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"corrupted")
    dest = tmp_path / "out" / "file.bin"
    with pytest.raises(ChecksumError, match=r"file\.bin.*sha256"):
        download_file(src.as_uri(), dest, sha256="0" * 64, progress=False)
    with pytest.raises(ChecksumError, match="bytes instead of"):
        download_file(src.as_uri(), dest, size=3, progress=False)
    with pytest.raises(ChecksumError, match="git blob sha1"):
        download_file(src.as_uri(), dest, git_sha1="1" * 40, progress=False)
    assert list((tmp_path / "out").iterdir()) == []  # no file, no .part left behind


def test_load_downloads_missing_files(require, tmp_path, monkeypatch):
    """Every Cora file is fetched from a file:// 'mirror' of the shared data, checked and kept."""
    shared = require("cora")
    card = _with_urls(dataset_card("cora"), lambda f: (shared / f.path).as_uri())
    monkeypatch.setattr(planetoid_module, "get_card", lambda name: card)
    root = tmp_path / "root"
    ds = load_dataset("cora", root=root, progress=False)
    assert (ds.num_nodes, ds.num_edges) == (2708, 10556)
    assert sorted(p.name for p in (root / "cora").iterdir()) == sorted(f.name for f in card.files)
    load_dataset("cora", root=root, download=False)  # now found locally


def test_download_checksum_mismatch(require, tmp_path, monkeypatch):
    shared = require("cora")
    bad = tmp_path / "evil.x"
    bad.write_bytes(b"not the planetoid file")
    card = _with_urls(dataset_card("cora"),
                      lambda f: bad.as_uri() if f.name == "ind.cora.x" else (shared / f.path).as_uri())
    monkeypatch.setattr(planetoid_module, "get_card", lambda name: card)
    root = tmp_path / "root"
    with pytest.raises(ChecksumError, match=r"ind\.cora\.x downloaded from file://.*evil\.x"):
        load_dataset("cora", root=root, progress=False)
    assert not (root / "cora" / "ind.cora.x").exists()
    assert not list((root / "cora").glob("*.part"))


def test_download_falls_back_to_archive(require, tmp_path, monkeypatch):
    """Canonical URL unreachable -> the alternative archive's URL is used and read in place."""
    shared = require("amazon-photo")
    card = dataset_card("amazon-photo")
    spec = card.files[0]
    alt = dataclasses.replace(spec.alternatives[0], url=(shared / spec.alternatives[0].path).as_uri())
    spec = dataclasses.replace(spec, url=(tmp_path / "gone.npz").as_uri(), alternatives=(alt,))
    card = dataclasses.replace(card, files=(spec,))
    monkeypatch.setattr(gnn_benchmark_module, "get_card", lambda name: card)
    ds = load_dataset("amazon-photo", root=tmp_path / "root", progress=False)
    assert ds.num_nodes == 7650
    assert (tmp_path / "root" / "amazon-photo" / "amazon-photo.zip").is_file()


def test_no_network_names_files_and_folder(tmp_path, monkeypatch):
    card = _with_urls(dataset_card("cora"), lambda f: (tmp_path / "offline" / f.name).as_uri())
    monkeypatch.setattr(planetoid_module, "get_card", lambda name: card)
    root = tmp_path / "root"
    with pytest.raises(DatasetNotFoundError) as err:
        load_dataset("cora", root=root, progress=False)
    msg = str(err.value)
    assert "cora/ind.cora.x" in msg and "cora/ind.cora.test.index" in msg
    assert f"Put them in {root / 'cora'}" in msg and "failed" in msg
    assert isinstance(err.value, FileNotFoundError)


# ---------------------------------------------------------------------------- local files
def test_missing_files_without_download(tmp_path):
    with pytest.raises(DatasetNotFoundError) as err:
        load_dataset("amazon-photo", root=tmp_path, download=False)
    msg = str(err.value)
    assert "amazon-photo/amazon_electronics_photo.npz" in msg and "amazon-photo/amazon-photo.zip" in msg
    assert str(tmp_path / "amazon-photo") in msg and "download=False" in msg
    assert "https://github.com/shchur/gnn-benchmark/raw/" in msg


def test_truncated_local_file(require, tmp_path):
    _copy_dataset(require("cora"), "cora", tmp_path)
    graph = tmp_path / "cora" / "ind.cora.graph"
    graph.write_bytes(graph.read_bytes()[:5000])
    with pytest.raises(ChecksumError, match=r"checksum mismatch for .*ind\.cora\.graph"):
        load_dataset("cora", root=tmp_path, download=False)
    with pytest.raises(DatasetFormatError, match=r"ind\.cora\.graph"):
        load_dataset("cora", root=tmp_path, download=False, verify=False)


def test_corrupt_archive(require, tmp_path):
    _copy_dataset(require("amazon-photo"), "amazon-photo", tmp_path)
    z = tmp_path / "amazon-photo" / "amazon-photo.zip"
    z.write_bytes(z.read_bytes()[: z.stat().st_size // 2])
    with pytest.raises(ChecksumError, match=r"amazon-photo\.zip"):
        load_dataset("amazon-photo", root=tmp_path, download=False)
    with pytest.raises(DatasetFormatError, match=r"amazon-photo\.zip"):
        load_dataset("amazon-photo", root=tmp_path, download=False, verify=False)


def test_tu_truncated_file_parse_error(require, tmp_path):
    shutil.copytree(require("mutag") / "tu" / "MUTAG", tmp_path / "tu" / "MUTAG")
    a = tmp_path / "tu" / "MUTAG" / "MUTAG_A.txt"
    a.write_bytes(a.read_bytes()[:-3])  # cut inside the last "col" field
    with pytest.raises(ChecksumError, match="MUTAG_A.txt"):
        load_dataset("mutag", root=tmp_path, download=False)
    a.write_bytes(a.read_bytes()[:-10] + b"\r\n7, x\r\n")
    with pytest.raises(DatasetFormatError, match="MUTAG_A.txt"):
        load_dataset("mutag", root=tmp_path, download=False, verify=False)


def test_checksum_cache_follows_file_changes(tmp_path):
    f = tmp_path / "a.bin"
    f.write_bytes(b"abc")
    assert file_digest(f) == hashlib.sha256(b"abc").hexdigest()
    assert file_digest(f) == hashlib.sha256(b"abc").hexdigest()  # cached
    f.write_bytes(b"abcd")
    assert file_digest(f) == hashlib.sha256(b"abcd").hexdigest()
    with pytest.raises(ValueError):
        file_digest(f, "md5")


# ---------------------------------------------------------------------------- names, root
def test_unknown_dataset_lists_known_names():
    with pytest.raises(ValueError, match=r"unknown dataset 'cor'.*cora.*ptc_mr"):
        load_dataset("cor")


def test_name_spelling_is_forgiving(require, tmp_path):
    root = require("ptc_mr")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(load_dataset("PTC-MR", root=root)) == 344
        assert load_dataset("IMDB_BINARY", root=require("imdb-binary")).num_classes == 2


def test_data_root_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("GRAPHSSL_DATA", str(tmp_path / "env"))
    assert data_root(tmp_path / "arg") == tmp_path / "arg"
    assert data_root() == tmp_path / "env"
    monkeypatch.delenv("GRAPHSSL_DATA")
    assert data_root() == Path("~/.cache/graphssl").expanduser()


def test_rebuilt_pubmed_allx_is_not_accepted_as_a_download(require, tmp_path, monkeypatch):
    """The shared allx is a rebuilt copy: fine on disk, but a download must be the canonical blob."""
    shared = require("pubmed")
    card = dataset_card("pubmed")
    files = tuple(dataclasses.replace(f, url=(shared / f.path).as_uri()) for f in card.files)
    monkeypatch.setattr(planetoid_module, "get_card", lambda name: dataclasses.replace(card, files=files))
    root = tmp_path / "root"
    with pytest.raises(ChecksumError, match=r"ind\.pubmed\.allx downloaded from .*git blob sha1"):
        load_dataset("pubmed", root=root, progress=False)
    assert not (root / "pubmed" / "ind.pubmed.allx").exists()
    shutil.copy(shared / "pubmed" / "ind.pubmed.allx", root / "pubmed" / "ind.pubmed.allx")
    # On disk it is accepted as the known local copy; the other files are still fetched.
    assert load_dataset("pubmed", root=root, progress=False).num_nodes == 19717
