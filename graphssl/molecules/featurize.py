"""SMILES -> molecule graphs with OGB's 9 atom and 3 bond features (rdkit).

The features follow ``ogb.utils.features`` exactly (see :mod:`graphssl.molecules.features`):
atoms are not kekulised, hydrogens stay implicit, each bond gives two directed edges with
the same features. :func:`smiles_to_arrays` returns OGB's layout (``edge_index`` bond by bond);
graphs (:func:`smiles_to_graph`, :func:`featurize_smiles`) store edges in CSR order (sorted by
target, then source) with ``edge_attr`` permuted to match.

rdkit is an optional extra: ``pip install graphssl[chem]`` (or ``pip install rdkit``).
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from ..sparse.batch import GraphItem
from ..sparse.graph import Graph
from .features import ATOM_FEATURES, BOND_FEATURES

__all__ = ["require_rdkit", "smiles_to_arrays", "smiles_to_graph", "mol_to_arrays", "featurize_smiles",
           "FeaturizedMolecules", "canonical_smiles"]

_NUM_BOND_FEATURES = len(BOND_FEATURES)


def require_rdkit() -> Any:
    """Import and return ``rdkit.Chem``.

    Raises:
        ImportError: rdkit is not installed (with the install hint).
    """
    try:
        from rdkit import Chem
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("converting SMILES needs rdkit: pip install graphssl[chem] (or pip install rdkit)") from e
    return Chem


@contextlib.contextmanager
def _quiet_rdkit() -> Iterator[None]:
    """Silence rdkit's parse errors on stderr (they are collected and reported instead)."""
    try:
        from rdkit import rdBase
        block = rdBase.BlockLogs()
    except (ImportError, AttributeError):  # pragma: no cover - old rdkit
        block = None
    try:
        yield
    finally:
        del block


# Vocabulary lookups as dicts (OGB's list.index with a "misc" fallback, but O(1)).
def _lut(vocab: Sequence[Any]) -> dict:
    return {v: i for i, v in enumerate(vocab) if v != "misc"}


_A = [_lut(v) for v in ATOM_FEATURES.values()]
_A_MISC = [len(v) - 1 for v in ATOM_FEATURES.values()]
_B = [_lut(v) for v in BOND_FEATURES.values()]
_B_MISC = [len(v) - 1 for v in BOND_FEATURES.values()]


def _atom_row(atom: Any) -> List[int]:
    vals = (atom.GetAtomicNum(), str(atom.GetChiralTag()), atom.GetTotalDegree(), atom.GetFormalCharge(),
            atom.GetTotalNumHs(), atom.GetNumRadicalElectrons(), str(atom.GetHybridization()),
            atom.GetIsAromatic(), atom.IsInRing())
    return [lut.get(v, misc) for lut, misc, v in zip(_A, _A_MISC, vals)]


def _bond_row(bond: Any) -> List[int]:
    vals = (str(bond.GetBondType()), str(bond.GetStereo()), bond.GetIsConjugated())
    return [lut.get(v, misc) for lut, misc, v in zip(_B, _B_MISC, vals)]


def mol_to_arrays(mol: Any) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An rdkit ``Mol`` -> ``(x [n, 9], edge_index [2, 2b], edge_attr [2b, 3])`` int64 in OGB's layout.

    Bond ``k`` gives edges ``2k`` (begin -> end) and ``2k + 1`` (end -> begin).
    """
    x = np.array([_atom_row(a) for a in mol.GetAtoms()], dtype=np.int64).reshape(-1, len(ATOM_FEATURES))
    bonds = list(mol.GetBonds())
    if not bonds:
        return x, np.empty((2, 0), dtype=np.int64), np.empty((0, _NUM_BOND_FEATURES), dtype=np.int64)
    ends = np.array([(b.GetBeginAtomIdx(), b.GetEndAtomIdx()) for b in bonds], dtype=np.int64)
    feats = np.array([_bond_row(b) for b in bonds], dtype=np.int64)
    edge_index = np.stack([ends, ends[:, ::-1]], axis=1).reshape(-1, 2).T.copy()
    return x, edge_index, np.repeat(feats, 2, axis=0)


def _parse(smiles: str) -> Any:
    Chem = require_rdkit()
    with _quiet_rdkit():
        return Chem.MolFromSmiles(smiles) if isinstance(smiles, str) and smiles else None


def smiles_to_arrays(smiles: str) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SMILES -> ``(x, edge_index, edge_attr)`` in OGB's layout (what ``ogb.utils.smiles2graph`` gives
    as ``node_feat``, ``edge_index``, ``edge_feat``).

    Raises:
        ValueError: rdkit cannot parse ``smiles``.
        ImportError: rdkit is missing.
    """
    mol = _parse(smiles)
    if mol is None:
        raise ValueError(f"rdkit cannot parse the SMILES {smiles!r}")
    return mol_to_arrays(mol)


def _csr_order(edge_index: np.ndarray, num_nodes: int) -> np.ndarray:
    """Permutation sorting edges by (target, source), the order of :class:`Graph`'s CSR."""
    return np.argsort(edge_index[1] * max(num_nodes, 1) + edge_index[0], kind="stable")


def smiles_to_graph(smiles: str, y: Optional[Tensor] = None) -> GraphItem:
    """SMILES -> a :class:`GraphItem` with ``x [n, 9]`` and ``edge_attr [e, 3]`` int64 (CSR order).

    Args:
        smiles: the molecule.
        y: optional label tensor stored on the item.

    Raises:
        ValueError: rdkit cannot parse ``smiles``.
        ImportError: rdkit is missing.

    Example:
        >>> g = smiles_to_graph("CCO")          # doctest: +SKIP
        >>> g.graph.num_nodes, g.graph.num_edges, g.x[2, 0].item()  # O is atomic number 8 -> index 7
        (3, 4, 7)
    """
    x, ei, ea = smiles_to_arrays(smiles)
    perm = _csr_order(ei, x.shape[0])
    graph = Graph.from_edge_index(torch.from_numpy(ei), num_nodes=x.shape[0])
    return GraphItem(graph, torch.from_numpy(x), y, torch.from_numpy(ea[perm]))


def canonical_smiles(smiles: str) -> str:
    """rdkit's canonical (isomeric) SMILES of ``smiles``.

    Raises:
        ValueError: rdkit cannot parse ``smiles``.
    """
    mol = _parse(smiles)
    if mol is None:
        raise ValueError(f"rdkit cannot parse the SMILES {smiles!r}")
    return require_rdkit().MolToSmiles(mol)


@dataclass
class FeaturizedMolecules:
    """Many molecule graphs packed into flat tensors (what :func:`featurize_smiles` returns).

    Molecule ``i`` owns atoms ``node_ptr[i]:node_ptr[i+1]`` and edges
    ``edge_ptr[i]:edge_ptr[i+1]``; its edges are in CSR order with *local* atom ids.

    Attributes:
        x: ``[sum n, 9]`` int64 atom features.
        edge_src, edge_dst: ``[sum e]`` int64 local source / target atom of each edge.
        edge_attr: ``[sum e, 3]`` int64 bond features.
        node_ptr, edge_ptr: ``[M + 1]`` int64 offsets.
        kept: ``[M]`` int64 position in the input of each converted molecule.
        canonical: ``M`` canonical SMILES.
        invalid: ``(position, smiles)`` of every input rdkit could not parse.
        scaffolds: ``M`` Murcko scaffold SMILES (with chirality), or None when not asked for.
    """

    x: Tensor
    edge_src: Tensor
    edge_dst: Tensor
    edge_attr: Tensor
    node_ptr: Tensor
    edge_ptr: Tensor
    kept: Tensor
    canonical: List[str]
    invalid: List[Tuple[int, str]] = field(default_factory=list)
    scaffolds: Optional[List[str]] = None


def featurize_smiles(smiles: Sequence[str], progress: bool = True, desc: str = "SMILES -> graphs",
                     scaffolds: bool = False) -> FeaturizedMolecules:
    """Convert many SMILES, packing the graphs; unparseable ones are collected in ``invalid``.

    Args:
        smiles: the molecules.
        progress: show a tqdm progress bar.
        desc: the progress bar's label.
        scaffolds: also compute each molecule's Murcko scaffold (for :func:`split_by_scaffold`)
            from the molecule already parsed.

    Raises:
        ImportError: rdkit is missing.
    """
    Chem = require_rdkit()
    if scaffolds:
        from rdkit.Chem.Scaffolds import MurckoScaffold
    it: Any = smiles
    if progress:
        try:
            from tqdm.auto import tqdm
            it = tqdm(smiles, desc=desc, unit="mol", mininterval=1.0)
        except ImportError:  # pragma: no cover
            pass
    xs, eis, eas, kept, canon, invalid, scaf = [], [], [], [], [], [], []
    n_nodes, n_edges = [0], [0]
    offset = 0
    with _quiet_rdkit():
        for pos, s in enumerate(it):
            mol = Chem.MolFromSmiles(s) if isinstance(s, str) and s else None
            if mol is None or mol.GetNumAtoms() == 0:
                invalid.append((pos, s))
                continue
            x, ei, ea = mol_to_arrays(mol)
            xs.append(x)
            eis.append(ei + offset)
            eas.append(ea)
            offset += x.shape[0]
            n_nodes.append(x.shape[0])
            n_edges.append(ei.shape[1])
            kept.append(pos)
            canon.append(Chem.MolToSmiles(mol))
            if scaffolds:
                scaf.append(MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=True))
    width_x, width_e = len(ATOM_FEATURES), _NUM_BOND_FEATURES
    x = np.concatenate(xs) if xs else np.zeros((0, width_x), dtype=np.int64)
    ei = np.concatenate(eis, axis=1) if eis else np.zeros((2, 0), dtype=np.int64)
    ea = np.concatenate(eas) if eas else np.zeros((0, width_e), dtype=np.int64)
    node_ptr = np.cumsum(n_nodes)
    edge_ptr = np.cumsum(n_edges)
    # One global sort by (target, source): molecules occupy disjoint id ranges in order,
    # so this sorts every molecule's edges into CSR order and keeps molecules contiguous.
    perm = _csr_order(ei, max(offset, 1))
    ei, ea = ei[:, perm], ea[perm]
    graph_of_edge = np.repeat(np.arange(len(kept)), np.diff(edge_ptr))
    base = node_ptr[:-1][graph_of_edge]
    return FeaturizedMolecules(
        x=torch.from_numpy(x), edge_src=torch.from_numpy(ei[0] - base), edge_dst=torch.from_numpy(ei[1] - base),
        edge_attr=torch.from_numpy(np.ascontiguousarray(ea)), node_ptr=torch.from_numpy(node_ptr).long(),
        edge_ptr=torch.from_numpy(edge_ptr).long(), kept=torch.tensor(kept, dtype=torch.long), canonical=canon,
        invalid=invalid, scaffolds=scaf if scaffolds else None)
