"""The pretraining corpus: the union of the MoleculeNet sets' molecules, de-duplicated by
canonical SMILES, with every molecule of the fine-tuning sets' test splits left out.

Exclusion matches canonical (isomeric) SMILES, so a test molecule written differently in
another CSV is left out too. Pass the fine-tuning datasets themselves (as loaded, e.g.
with ``max_molecules``) so that their actual test splits are excluded.
"""
from __future__ import annotations

import os
from typing import Dict, Optional, Sequence, Set, Union

import torch

from ..datasets.moleculenet import NAMES as MOLECULENET_NAMES
from .dataset import MoleculeGraphDataset, load_molecule_graphs

__all__ = ["pretraining_corpus", "held_out_smiles"]

DatasetLike = Union[str, MoleculeGraphDataset]


def _load(d: DatasetLike, root, cache_dir, max_molecules, progress) -> MoleculeGraphDataset:
    if isinstance(d, MoleculeGraphDataset):
        return d
    return load_molecule_graphs(d, root, cache_dir=cache_dir, max_molecules=max_molecules, progress=progress)


def held_out_smiles(datasets: Sequence[MoleculeGraphDataset]) -> Set[str]:
    """Canonical SMILES of every molecule in the test splits of ``datasets``.

    Raises:
        ValueError: a dataset without a split.
    """
    out: Set[str] = set()
    for ds in datasets:
        for i in ds.get_idx_split()["test"].tolist():
            out.add(ds.canonical[i])
    return out


def pretraining_corpus(sources: Sequence[DatasetLike] = MOLECULENET_NAMES,
                       exclude_test_of: Optional[Sequence[DatasetLike]] = None,
                       root: Union[str, os.PathLike, None] = None, cache_dir: Union[str, os.PathLike, None] = None,
                       max_molecules: Optional[int] = None, progress: bool = True,
                       name: str = "moleculenet-union") -> MoleculeGraphDataset:
    """Union of ``sources``' molecules, de-duplicated, without the test molecules of ``exclude_test_of``.

    Args:
        sources: dataset names (``"hiv"`` / ``"ogbg-molhiv"``) or loaded datasets; default all 8.
        exclude_test_of: datasets whose test splits are excluded; default ``sources``
            (so the corpus serves fine-tuning on any of them).
        root, cache_dir, max_molecules, progress: passed to :func:`load_molecule_graphs`
            for names.
        name: the corpus's name.

    Returns:
        A :class:`MoleculeGraphDataset` without labels (``T = 0``) or split; the first
        occurrence of each canonical SMILES is kept, in source order. ``info`` records
        ``sources``, ``excluded_test_of``, ``num_seen``, ``num_duplicates``, ``num_excluded``.

    Raises:
        ValueError: no sources, unknown names.
    """
    if not sources:
        raise ValueError("pretraining_corpus needs at least one source dataset")
    loaded = [_load(d, root, cache_dir, max_molecules, progress) for d in sources]
    if exclude_test_of is None:
        excl_sets = loaded
    else:
        by_name: Dict[str, MoleculeGraphDataset] = {d.name: d for d in loaded}
        excl_sets = []
        for d in exclude_test_of:
            if isinstance(d, MoleculeGraphDataset):
                excl_sets.append(d)
            else:
                ds = _load(d, root, cache_dir, max_molecules, progress)
                excl_sets.append(by_name.get(ds.name, ds))
    banned = held_out_smiles(excl_sets)
    seen: Set[str] = set()
    parts = []
    seen_total = dup = excluded = 0
    for ds in loaded:
        keep = []
        for i, c in enumerate(ds.canonical):
            seen_total += 1
            if c in banned:
                excluded += 1
            elif c in seen:
                dup += 1
            else:
                seen.add(c)
                keep.append(i)
        parts.append(ds.subset(torch.tensor(keep, dtype=torch.long)))
    corpus = MoleculeGraphDataset.concat(parts, name=name)
    corpus.info = {"sources": [d.name for d in loaded], "excluded_test_of": [d.name for d in excl_sets],
                   "num_seen": seen_total, "num_duplicates": dup, "num_excluded": excluded}
    return corpus
