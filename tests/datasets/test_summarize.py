"""summarize(): statistics of the datasets present under a root (used by `graphssl datasets`)."""
import shutil
import warnings

import pytest

from graphssl.datasets import dataset_card, summarize

KEYS = {"node": ("num_nodes", "num_edges", "num_features", "num_classes"),
        "graph": ("num_graphs", "num_classes"),
        "interaction": ("num_users", "num_items", "num_interactions"),
        "molecule": ("num_molecules", "num_tasks")}


def test_subset_root(require, tmp_path):
    root = require("cora")
    for name in ("cora", "gowalla"):
        require(name)
        (tmp_path / name).symlink_to(root / name)
    (tmp_path / "tu").mkdir()
    (tmp_path / "tu" / "MUTAG").symlink_to(require("mutag") / "tu" / "MUTAG")
    (tmp_path / "moleculenet").mkdir()
    (tmp_path / "moleculenet" / "bbbp.csv").symlink_to(require("bbbp") / "moleculenet" / "bbbp.csv")
    recs = {r["name"]: r for r in summarize(tmp_path)}
    assert recs == {
        "cora": {"name": "cora", "num_nodes": 2708, "num_edges": 10556, "num_features": 1433, "num_classes": 7},
        "gowalla": {"name": "gowalla", "num_users": 29858, "num_items": 40981, "num_interactions": 1027370},
        "mutag": {"name": "mutag", "num_graphs": 188, "num_classes": 2, "num_features": 7},
        "bbbp": {"name": "bbbp", "num_molecules": 2039, "num_tasks": 1},
        # the same CSV as molecule graphs under OGB's name (statistics read from the CSV)
        "ogbg-molbbbp": {"name": "ogbg-molbbbp", "num_molecules": 2039, "num_tasks": 1},
    }


def test_empty_root(tmp_path):
    assert summarize(tmp_path) == []


def test_broken_dataset_reported_not_raised(require, tmp_path):
    shutil.copytree(require("cora") / "cora", tmp_path / "cora")
    (tmp_path / "cora" / "ind.cora.y").write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="could not be loaded"):
        recs = summarize(tmp_path)
    assert len(recs) == 1 and recs[0]["name"] == "cora" and "checksum mismatch" in recs[0]["error"]


def test_shared_root_matches_cards(data_root):
    """Every dataset in the shared data loads, and its statistics equal its card's."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        recs = summarize(data_root)
    if not recs:
        pytest.skip(f"no dataset files under {data_root}")
    for rec in recs:
        card = dataset_card(rec["name"])
        for key in KEYS[card.kind]:
            assert rec[key] == card.stats[key], (rec["name"], key)
