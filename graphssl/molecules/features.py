"""OGB's categorical atom and bond features (``ogb.utils.features``), as vocabularies.

A molecule graph stores ``x [n, 9]`` and ``edge_attr [e, 3]`` int64 indices into these
vocabularies; a value outside a vocabulary maps to its last entry (``"misc"``), as in OGB.
Embedding tables (:class:`graphssl.molecules.MoleculeGIN`) have one extra row per feature,
:data:`MASK_ATOM` / :data:`MASK_BOND`-style index ``dims[k]``, free for pretext tasks that
mask atoms or bonds.

This module needs no rdkit; :mod:`graphssl.molecules.featurize` does the conversion.
"""
from __future__ import annotations

from typing import Any, List, Sequence

__all__ = ["ATOM_FEATURES", "BOND_FEATURES", "ATOM_FEATURE_NAMES", "BOND_FEATURE_NAMES",
           "ATOM_FEATURE_DIMS", "BOND_FEATURE_DIMS", "MASK_ATOM", "MASK_BOND", "safe_index"]

#: Atom vocabularies, in OGB's column order.
ATOM_FEATURES: "dict[str, List[Any]]" = {
    "atomic_num": list(range(1, 119)) + ["misc"],
    "chirality": ["CHI_UNSPECIFIED", "CHI_TETRAHEDRAL_CW", "CHI_TETRAHEDRAL_CCW", "CHI_OTHER", "misc"],
    "degree": list(range(0, 11)) + ["misc"],
    "formal_charge": list(range(-5, 6)) + ["misc"],
    "num_hs": list(range(0, 9)) + ["misc"],
    "num_radical_electrons": list(range(0, 5)) + ["misc"],
    "hybridization": ["SP", "SP2", "SP3", "SP3D", "SP3D2", "misc"],
    "is_aromatic": [False, True],
    "is_in_ring": [False, True],
}

#: Bond vocabularies, in OGB's column order.
BOND_FEATURES: "dict[str, List[Any]]" = {
    "bond_type": ["SINGLE", "DOUBLE", "TRIPLE", "AROMATIC", "misc"],
    "bond_stereo": ["STEREONONE", "STEREOZ", "STEREOE", "STEREOCIS", "STEREOTRANS", "STEREOANY"],
    "is_conjugated": [False, True],
}

ATOM_FEATURE_NAMES: List[str] = list(ATOM_FEATURES)
BOND_FEATURE_NAMES: List[str] = list(BOND_FEATURES)
#: ``[119, 5, 12, 12, 10, 6, 6, 2, 2]`` (= ``ogb.utils.features.get_atom_feature_dims()``).
ATOM_FEATURE_DIMS: List[int] = [len(v) for v in ATOM_FEATURES.values()]
#: ``[5, 6, 2]`` (= ``ogb.utils.features.get_bond_feature_dims()``).
BOND_FEATURE_DIMS: List[int] = [len(v) for v in BOND_FEATURES.values()]
#: Per-column mask index for atoms (one past each vocabulary), e.g. ``x[i] = torch.tensor(MASK_ATOM)``.
MASK_ATOM: List[int] = list(ATOM_FEATURE_DIMS)
#: Per-column mask index for bonds.
MASK_BOND: List[int] = list(BOND_FEATURE_DIMS)


def safe_index(vocab: Sequence[Any], value: Any) -> int:
    """Index of ``value`` in ``vocab``, or the last index (``"misc"``) when absent (OGB's rule)."""
    try:
        return vocab.index(value)
    except ValueError:
        return len(vocab) - 1
