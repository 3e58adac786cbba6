"""MoleculeNet classification sets as chemprop CSVs (``<root>/moleculenet/<name>.csv[.gz]``):
a header, the SMILES in column 1, binary task labels in the others (empty = missing -> NaN).

SMILES stay strings here; turning them into graphs (rdkit) is a separate step.
"""
from __future__ import annotations

import csv
import io
import os
import warnings
from typing import Any, List, Union

import numpy as np
import torch

from .cards import load_card as get_card
from .errors import DatasetFormatError
from .fetch import fetch_files
from .registry import register_dataset
from .types import MoleculeDataset
from .validate import parsing

__all__ = ["load_moleculenet"]

NAMES = ("hiv", "bbbp", "bace", "tox21", "toxcast", "sider", "clintox", "muv")


def _parse_labels(label_rows: List[str], num_tasks: int, dataset: str, file: str) -> np.ndarray:
    """Comma-joined label strings (one per molecule) -> ``[n, num_tasks]`` float32, '' -> NaN."""
    if not label_rows:
        return np.zeros((0, num_tasks), dtype=np.float32)
    # One numeric parse over all rows; empty fields become "nan" (two passes cover runs of them).
    joined = "," + ",".join(label_rows) + ","
    joined = joined.replace(",,", ",nan,").replace(",,", ",nan,")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            flat = np.fromstring(joined[1:-1], dtype=np.float64, sep=",")
        except (ValueError, DeprecationWarning):
            flat = None
    if flat is None or flat.size != len(label_rows) * num_tasks:
        for i, row in enumerate(label_rows):
            for j, v in enumerate(row.split(",")):
                try:
                    float(v) if v.strip() else None
                except ValueError:
                    raise DatasetFormatError(f"dataset {dataset!r}: {file} line {i + 2}, column {j + 2}: "
                                             f"{v!r} is not a number") from None
        raise DatasetFormatError(f"dataset {dataset!r}: cannot parse the labels of {file}")
    return flat.reshape(len(label_rows), num_tasks).astype(np.float32)


def load_moleculenet(name: str, root: Union[str, os.PathLike, None] = None, download: bool = True,
                     verify: bool = True, progress: bool = True) -> MoleculeDataset:
    """Load a MoleculeNet CSV.

    Args:
        name: one of ``hiv, bbbp, bace, tox21, toxcast, sider, clintox, muv``.
        root: data root (file ``<root>/moleculenet/<name>.csv`` or ``.csv.gz``).
        download, verify, progress: see :func:`graphssl.datasets.fetch_files`.

    Returns:
        A :class:`MoleculeDataset` with ``y`` float32 ``[n, T]`` (NaN = missing label).

    Raises:
        ValueError: unknown name, or an infinite label. DatasetNotFoundError, ChecksumError,
        DatasetFormatError (a row with the wrong number of fields or a non-numeric label,
        with its line): see :func:`graphssl.datasets.load_dataset`.
    """
    if name not in NAMES:
        raise ValueError(f"unknown MoleculeNet dataset {name!r}; known: {', '.join(NAMES)}")
    card = get_card(name)
    f = fetch_files(card, root, download=download, verify=verify, progress=progress)[card.files[0].path]
    with parsing(name, f.display):
        text = f.read_bytes().decode("utf-8")
        if '"' in text:  # quoted fields: the general CSV reader
            rows = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
        else:  # chemprop's files: plain comma-separated lines (SMILES contain no commas)
            rows = [line.split(",") for line in text.splitlines() if line]
        if not rows or len(rows[0]) < 2:
            raise DatasetFormatError(f"dataset {name!r}: {f.display} needs a header 'smiles,<task>,...'")
        header, rows = rows[0], rows[1:]
        width = len(header)
        for i, r in enumerate(rows):
            if len(r) != width:
                raise DatasetFormatError(f"dataset {name!r}: {f.display} line {i + 2} has {len(r)} fields, "
                                         f"expected {width} (truncated or corrupt file?)")
        smiles = [r[0] for r in rows]
        y = _parse_labels([",".join(r[1:]) for r in rows], width - 1, name, f.display)
    if np.isinf(y).any():
        raise ValueError(f"dataset {name!r}: labels read from {f.display} contain inf")
    if any(not s for s in smiles):
        raise DatasetFormatError(f"dataset {name!r}: {f.display} has an empty SMILES")
    return MoleculeDataset(smiles=smiles, y=torch.from_numpy(y), task_names=header[1:], name=name)


def _register(name: str) -> None:
    def loader(root: Union[str, os.PathLike, None] = None, **kw: Any) -> MoleculeDataset:
        return load_moleculenet(name, root, **kw)
    loader.__name__ = f"load_{name}"
    loader.__doc__ = f"Load MoleculeNet {name}; see :func:`load_moleculenet`."
    register_dataset(name)(loader)


for _n in NAMES:
    _register(_n)
