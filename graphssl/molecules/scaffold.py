"""Deterministic scaffold split (Bemis-Murcko scaffolds), as OGB's and Hu et al.'s molecule sets.

Molecules are grouped by their Murcko scaffold SMILES; groups are visited from the largest
to the smallest (ties: the group whose first molecule comes later in the list goes first,
as in Hu et al.'s ``scaffold_split``) and each whole group goes to train while train stays
within ``frac_train`` of the molecules, else to valid while train + valid stay within
``frac_train + frac_valid``, else to test. No scaffold is shared between two splits, and
the result depends only on the SMILES and their order.
"""
from __future__ import annotations

from typing import Dict, List, Sequence

import torch
from torch import Tensor

from .featurize import _quiet_rdkit, require_rdkit

__all__ = ["murcko_scaffold", "scaffold_groups", "scaffold_split", "split_by_scaffold"]


def murcko_scaffold(smiles: str, include_chirality: bool = True) -> str:
    """The Bemis-Murcko scaffold SMILES of a molecule (``""`` for an acyclic molecule).

    Raises:
        ValueError: rdkit cannot parse ``smiles``.
        ImportError: rdkit is missing.
    """
    require_rdkit()
    from rdkit import Chem
    from rdkit.Chem.Scaffolds import MurckoScaffold
    with _quiet_rdkit():
        mol = Chem.MolFromSmiles(smiles) if smiles else None
        if mol is None:
            raise ValueError(f"rdkit cannot parse the SMILES {smiles!r}")
        return MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=include_chirality)


def scaffold_groups(smiles: Sequence[str], include_chirality: bool = True) -> Dict[str, List[int]]:
    """Scaffold SMILES -> indices (ascending) of the molecules with that scaffold.

    Raises:
        ValueError: a SMILES rdkit cannot parse (its index is named).
    """
    groups: Dict[str, List[int]] = {}
    for i, s in enumerate(smiles):
        groups.setdefault(_scaffold_of(i, s, include_chirality), []).append(i)
    return groups


def scaffold_split(smiles: Sequence[str], frac_train: float = 0.8, frac_valid: float = 0.1,
                   frac_test: float = 0.1, include_chirality: bool = True) -> Dict[str, Tensor]:
    """Split molecules by scaffold: the largest scaffold groups to train, then valid, then test.

    Args:
        smiles: the molecules (all parseable).
        frac_train, frac_valid, frac_test: fractions, summing to 1.
        include_chirality: keep stereo in the scaffold SMILES (OGB / Hu et al. do).

    Returns:
        ``{"train", "valid", "test"}`` -> sorted int64 index tensors, a partition of
        ``range(len(smiles))``.

    Raises:
        ValueError: negative fractions or fractions not summing to 1; an unparseable SMILES.
    """
    return split_by_scaffold([_scaffold_of(i, s, include_chirality) for i, s in enumerate(smiles)],
                             frac_train, frac_valid, frac_test)


def _scaffold_of(i: int, smiles: str, include_chirality: bool) -> str:
    try:
        return murcko_scaffold(smiles, include_chirality)
    except ValueError:
        raise ValueError(f"molecule {i}: rdkit cannot parse the SMILES {smiles!r}") from None


def split_by_scaffold(scaffolds: Sequence[str], frac_train: float = 0.8, frac_valid: float = 0.1,
                      frac_test: float = 0.1) -> Dict[str, Tensor]:
    """:func:`scaffold_split` from precomputed scaffold keys (one per molecule).

    Raises:
        ValueError: negative fractions or fractions not summing to 1.
    """
    fracs = (frac_train, frac_valid, frac_test)
    if min(fracs) < 0 or abs(sum(fracs) - 1.0) > 1e-6:
        raise ValueError(f"split fractions must be >= 0 and sum to 1, got {fracs}")
    groups: Dict[str, List[int]] = {}
    for i, key in enumerate(scaffolds):
        groups.setdefault(key, []).append(i)
    # Largest first; among equal sizes the later first member first (Hu et al.'s tie order).
    ordered = sorted(groups.values(), key=lambda g: (len(g), g[0]), reverse=True)
    n = len(scaffolds)
    train_cut, valid_cut = frac_train * n, (frac_train + frac_valid) * n
    train: List[int] = []
    valid: List[int] = []
    test: List[int] = []
    for g in ordered:
        if len(train) + len(g) <= train_cut:
            train.extend(g)
        elif len(train) + len(valid) + len(g) <= valid_cut:
            valid.extend(g)
        else:
            test.extend(g)
    return {k: torch.tensor(sorted(v), dtype=torch.long) for k, v in
            (("train", train), ("valid", valid), ("test", test))}
