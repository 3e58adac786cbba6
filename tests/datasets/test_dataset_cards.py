"""Dataset cards: every registered dataset has a valid card, with checksums (or a reason
there are none), pinned source URLs, and sizes that match the shared copies."""
import re

import pytest

from graphssl.datasets import dataset_card, list_datasets, load_card
from graphssl.datasets import cards as cards_module

EXPECTED = {"cora", "citeseer", "pubmed", "amazon-photo", "amazon-computers", "coauthor-cs", "coauthor-physics",
            "wikics", "mutag", "proteins", "nci1", "ptc_mr", "imdb-binary", "imdb-multi", "gowalla", "yelp2018",
            "amazon-book", "ml-100k", "ml-1m", "hiv", "bbbp", "bace", "tox21", "toxcast", "sider", "clintox", "muv"}
OGB_PROP = {"ogbn-arxiv", "ogbn-products", "ogbl-collab"}  # OGB publishes no checksums
EXPECTED |= OGB_PROP
OGB_MOL = {f"ogbg-mol{n}" for n in ("hiv", "bbbp", "bace", "tox21", "toxcast", "sider", "clintox", "muv")}
EXPECTED |= OGB_MOL  # MoleculeNet CSVs as graphs (graphssl.molecules)
NO_CHECKSUM = {"wikics", "amazon-book", "ml-100k", "ml-1m"} | OGB_PROP


def test_registry_and_cards_agree():
    assert set(list_datasets()) == EXPECTED
    assert set(cards_module.card_names()) == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_card_complete(name):
    card = dataset_card(name)
    assert card.name == name and card.kind in ("node", "link", "graph", "interaction", "molecule")
    assert card.description and card.citation and card.license and card.stats
    for f in card.files:
        if name in NO_CHECKSUM:
            assert not f.has_checksum and "unknown" in f.checksum_note
        else:
            assert f.has_checksum or any(a.has_checksum for a in f.alternatives)
        for a in f.alternatives:
            assert a.has_checksum or name in NO_CHECKSUM
        urls = [f.url] + [a.url for a in f.alternatives]
        for u in filter(None, urls):
            assert u.startswith("https://")
            if "github.com" in u:  # pinned to a commit, not a branch
                assert re.match(r"https://github\.com/[^/]+/[^/]+/raw/[0-9a-f]{40}/", u), u
        assert f.url or any(a.url for a in f.alternatives), f"{f.path}: no way to download"


def test_sizes_match_shared_copies(data_root):
    checked = 0
    for name in list_datasets():
        for f in dataset_card(name).files:
            for path, size in [(f.path, f.size)] + [(a.path, a.size) for a in f.alternatives if a.path != f.path]:
                p = data_root / path
                if size is not None and p.is_file():
                    assert p.stat().st_size == size, path
                    checked += 1
    assert checked >= 90 or pytest.skip("few shared files present")


def test_invalid_cards_rejected(monkeypatch):
    texts = {
        "bad-yaml": "name: [unclosed",
        "no-files": "name: no-files\nkind: node\ndescription: d\ncitation: c\nlicense: l\nfiles: []\n",
        "bad-kind": "name: bad-kind\nkind: video\ndescription: d\ncitation: c\nlicense: l\nfiles: [{path: a, sha256: b}]\n",
        "no-sum": "name: no-sum\nkind: node\ndescription: d\ncitation: c\nlicense: l\nfiles: [{path: a}]\n",
        "extra": "name: extra\nkind: node\ndescription: d\ncitation: c\nlicense: l\nfiles: [{path: a, md5: b}]\n",
        "renamed": "name: other\nkind: node\ndescription: d\ncitation: c\nlicense: l\nfiles: [{path: a, sha256: b}]\n",
    }
    monkeypatch.setattr(cards_module, "_read_card_text", lambda name: (texts[name], f"{name}.yaml"))
    load_card.cache_clear()
    try:
        for name, why in [("bad-yaml", "not valid YAML"), ("no-files", "no files"), ("bad-kind", "kind must be"),
                          ("no-sum", "checksum_note"), ("extra", "unknown keys"), ("renamed", "is named")]:
            with pytest.raises(ValueError, match=why):
                load_card(name)
    finally:
        load_card.cache_clear()


def test_cards_dir_found():
    d = cards_module.cards_dir()
    assert (d / "cora.yaml").is_file()
