"""MoleculeNet CSV loaders on the shared data (plain and gzipped CSVs)."""
import gzip

import pytest
import torch

from graphssl.datasets import DatasetFormatError, MoleculeDataset, load_dataset

# name: molecules, tasks (SOURCES.md)
STATS = {"hiv": (41127, 1), "bbbp": (2039, 1), "bace": (1513, 1), "tox21": (7831, 12), "toxcast": (8576, 617),
         "sider": (1427, 27), "clintox": (1478, 2), "muv": (93087, 17)}


@pytest.mark.parametrize("name", sorted(STATS))
def test_statistics_exact(require, name):
    ds = load_dataset(name, root=require(name), progress=False)
    assert isinstance(ds, MoleculeDataset)
    assert (ds.num_molecules, ds.num_tasks) == STATS[name]
    assert len(ds.smiles) == ds.num_molecules and all(isinstance(s, str) and s for s in ds.smiles[:100])
    assert ds.y.dtype == torch.float32 and ds.y.shape == STATS[name]
    known = ds.y[~torch.isnan(ds.y)]
    assert set(torch.unique(known).tolist()) <= {0.0, 1.0}


def test_missing_labels_are_nan(require):
    ds = load_dataset("tox21", root=require("tox21"), progress=False)
    assert int(torch.isnan(ds.y).sum()) == 16026  # SOURCES.md
    assert ds.task_names[0] == "NR-AR" and ds.smiles[0] == "CCOc1ccc2nc(S(N)(=O)=O)sc2c1"
    assert torch.isnan(ds.y[0, 3]) and float(ds.y[0, 2]) == 1.0  # "...,0,0,1,,,0,..."


def test_bace_smiles_column_named_mol(require):
    ds = load_dataset("bace", root=require("bace"), progress=False)
    assert ds.task_names == ["Class"]


def test_decompressed_copy_accepted(require, tmp_path):
    root = require("hiv")
    (tmp_path / "moleculenet").mkdir()
    (tmp_path / "moleculenet" / "hiv.csv").write_bytes(gzip.open(root / "moleculenet" / "hiv.csv.gz").read())
    ds = load_dataset("hiv", root=tmp_path, download=False)
    assert (ds.num_molecules, ds.num_tasks) == STATS["hiv"]


def test_bad_rows_name_the_line(require, tmp_path):
    root = require("bbbp")
    lines = (root / "moleculenet" / "bbbp.csv").read_text().splitlines()
    (tmp_path / "moleculenet").mkdir()
    bad = tmp_path / "moleculenet" / "bbbp.csv"
    bad.write_text("\n".join(lines[:3] + ["CCO,maybe"] + lines[4:10]) + "\n")
    with pytest.raises(DatasetFormatError, match=r"line 4, column 2"):
        load_dataset("bbbp", root=tmp_path, download=False, verify=False)
    bad.write_text("\n".join(lines[:5] + ["CCO"]) + "\n")
    with pytest.raises(DatasetFormatError, match=r"line 6 has 1 fields"):
        load_dataset("bbbp", root=tmp_path, download=False, verify=False)
