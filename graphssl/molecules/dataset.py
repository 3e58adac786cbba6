"""Molecule graph datasets: MoleculeNet CSVs converted to OGB-featured graphs, with the scaffold
split, cached on disk, and registered under the OGB names (``ogbg-molhiv``, ``ogbg-molbbbp``...).

The first load converts the CSV (rdkit, with a progress bar) and writes
``<cache_dir>/<name>-<sha256 of the CSV, 16 hex>[-even<N>]-v<version>.pt``; later loads read
that file. ``cache_dir`` defaults to ``$GRAPHSSL_CACHE``, else ``~/.cache/graphssl/processed``
(the data root may be read-only), and a changed CSV gets a new key.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor

from ..atomic_save import atomic_torch_save
from ..datasets.cards import load_card
from ..datasets.checksums import file_digest
from ..datasets.fetch import fetch_files
from ..datasets.moleculenet import load_moleculenet
from ..datasets.ogb_molecules import OGB_NAMES, ogb_name
from ..datasets.types import MoleculeSizes
from ..sparse.batch import GraphBatch, GraphItem
from ..sparse.graph import Graph
from .featurize import featurize_smiles
from .scaffold import split_by_scaffold

__all__ = ["MoleculeGraphDataset", "load_molecule_graphs", "OGB_NAMES", "default_cache_dir", "ogb_name"]

_CACHE_VERSION = 2
# On disk, categorical features are uint8 and local atom ids int16 (x8 / x4 smaller than int64).
_COMPACT = {"x": torch.uint8, "edge_attr": torch.uint8, "edge_src": torch.int16, "edge_dst": torch.int16}
CACHE_ENV = "GRAPHSSL_CACHE"


def default_cache_dir() -> Path:
    """``$GRAPHSSL_CACHE``, else ``~/.cache/graphssl/processed``."""
    return Path(os.environ.get(CACHE_ENV) or "~/.cache/graphssl/processed").expanduser()


def _ranges(ptr: Tensor, idx: Tensor) -> Tuple[Tensor, Tensor]:
    """Concatenated ``ptr[i]:ptr[i+1]`` ranges for ``i`` in ``idx``, and their lengths."""
    starts, lens = ptr[idx], ptr[idx + 1] - ptr[idx]
    total = int(lens.sum())
    offs = torch.zeros_like(lens)
    if lens.numel() > 1:
        torch.cumsum(lens[:-1], 0, out=offs[1:])
    gather = torch.arange(total, dtype=torch.long) + torch.repeat_interleave(starts - offs, lens, output_size=total)
    return gather, lens


def _ptr_of(lens: Tensor) -> Tensor:
    ptr = torch.zeros(lens.numel() + 1, dtype=torch.long)
    torch.cumsum(lens, 0, out=ptr[1:])
    return ptr


@dataclass
class MoleculeGraphDataset(MoleculeSizes):
    """Molecule graphs with OGB's atom / bond features, packed into flat tensors.

    Molecule ``i`` has atoms ``x[node_ptr[i]:node_ptr[i+1]]`` and edges
    ``edge_ptr[i]:edge_ptr[i+1]`` (CSR order, atom ids local to the molecule). Indexing with
    an int gives a :class:`GraphItem` (``y [1, T]``); :meth:`batch` / :meth:`batches` build a
    :class:`GraphBatch` directly from the packed tensors.

    Attributes:
        name: dataset name (OGB's, e.g. ``"ogbg-molbbbp"``).
        smiles: ``M`` input SMILES of the converted molecules.
        canonical: ``M`` rdkit canonical SMILES.
        y: ``[M, T]`` float32 labels, NaN = missing (``T`` may be 0, e.g. a pretraining corpus).
        task_names: ``T`` names.
        x: ``[sum n, 9]`` int64; edge_src / edge_dst ``[sum e]`` int64 local ids;
            edge_attr ``[sum e, 3]`` int64; node_ptr / edge_ptr ``[M + 1]`` int64.
        source_index: ``[M]`` row (0-based, header excluded) of each molecule in its CSV.
        split: ``{"train", "valid", "test"}`` index tensors (scaffold split) or None.
        invalid: ``(row, smiles)`` of the CSV rows rdkit could not parse (left out).
        num_input: rows read from the CSV (``M + len(invalid)``).
        info: free-form provenance (e.g. how a pretraining corpus was assembled).
    """

    name: str
    smiles: List[str]
    canonical: List[str]
    y: Tensor
    task_names: List[str]
    x: Tensor
    edge_src: Tensor
    edge_dst: Tensor
    edge_attr: Tensor
    node_ptr: Tensor
    edge_ptr: Tensor
    source_index: Tensor
    split: Optional[Dict[str, Tensor]] = None
    invalid: List[Tuple[int, str]] = field(default_factory=list)
    num_input: int = 0
    info: Dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        m = len(self.smiles)
        if len(self.canonical) != m or self.y.dim() != 2 or self.y.size(0) != m or \
                self.y.size(1) != len(self.task_names):
            raise ValueError(f"dataset {self.name!r}: {m} SMILES, {len(self.canonical)} canonical, y "
                             f"{tuple(self.y.shape)}, {len(self.task_names)} task names do not agree")
        if self.node_ptr.shape != (m + 1,) or self.edge_ptr.shape != (m + 1,) or self.source_index.shape != (m,):
            raise ValueError(f"dataset {self.name!r}: node_ptr / edge_ptr need {m + 1} entries, source_index {m}")
        if int(self.node_ptr[-1]) != self.x.size(0) or int(self.edge_ptr[-1]) != self.edge_attr.size(0):
            raise ValueError(f"dataset {self.name!r}: offsets do not cover x / edge_attr")
        if self.split is not None:
            seen = torch.cat([self.split[k] for k in ("train", "valid", "test")])
            if seen.numel() != m or torch.unique(seen).numel() != m:
                raise ValueError(f"dataset {self.name!r}: the split is not a partition of the {m} molecules")

    def get_idx_split(self) -> Dict[str, Tensor]:
        """The scaffold split, as OGB's ``dataset.get_idx_split()``.

        Raises:
            ValueError: the dataset has no split (a subset or a corpus).
        """
        if self.split is None:
            raise ValueError(f"dataset {self.name!r} has no split")
        return self.split

    # -------------------------------------------------------------------- access
    def _index(self, idx: Union[Sequence[int], Tensor, slice]) -> Tensor:
        if isinstance(idx, slice):
            return torch.arange(len(self))[idx]
        t = torch.as_tensor(idx)
        if t.dtype == torch.bool:
            if t.numel() != len(self):
                raise ValueError(f"bool mask has length {t.numel()}, expected {len(self)}")
            return t.nonzero().view(-1)
        if t.is_floating_point():
            raise ValueError("molecule indices must be integers or a bool mask")
        t = t.long().view(-1)
        if t.numel() and (int(t.min()) < -len(self) or int(t.max()) >= len(self)):
            raise IndexError(f"molecule index out of range for {len(self)} molecules")
        return t % max(len(self), 1)

    def __getitem__(self, idx):
        if isinstance(idx, int) or (isinstance(idx, Tensor) and idx.dim() == 0 and not idx.is_floating_point()):
            i = int(idx)
            if not -len(self) <= i < len(self):
                raise IndexError(f"molecule {i} out of range for {len(self)} molecules")
            i %= len(self)
            n0, n1, e0, e1 = (int(v) for v in (self.node_ptr[i], self.node_ptr[i + 1],
                                               self.edge_ptr[i], self.edge_ptr[i + 1]))
            n = n1 - n0
            counts = torch.bincount(self.edge_dst[e0:e1], minlength=n)
            graph = Graph(_ptr_of(counts), self.edge_src[e0:e1].clone(), validate=False)
            return GraphItem(graph, self.x[n0:n1], self.y[i:i + 1], self.edge_attr[e0:e1])
        return self.subset(idx)

    def __iter__(self) -> Iterator[GraphItem]:
        return (self[i] for i in range(len(self)))

    def subset(self, idx: Union[Sequence[int], Tensor, slice], name: Optional[str] = None) -> "MoleculeGraphDataset":
        """The molecules ``idx`` as a new dataset (without a split)."""
        t = self._index(idx)
        nodes, n_lens = _ranges(self.node_ptr, t)
        edges, e_lens = _ranges(self.edge_ptr, t)
        il = t.tolist()
        return MoleculeGraphDataset(
            name=name or self.name, smiles=[self.smiles[i] for i in il], canonical=[self.canonical[i] for i in il],
            y=self.y[t], task_names=list(self.task_names), x=self.x[nodes], edge_src=self.edge_src[edges],
            edge_dst=self.edge_dst[edges], edge_attr=self.edge_attr[edges], node_ptr=_ptr_of(n_lens),
            edge_ptr=_ptr_of(e_lens), source_index=self.source_index[t], split=None, invalid=[],
            num_input=len(il))

    def batch(self, idx: Union[Sequence[int], Tensor]) -> GraphBatch:
        """The molecules ``idx`` as one :class:`GraphBatch` (``y [B, T]``, graph level).

        Equal to ``collate([self[i] for i in idx])`` but built from the packed tensors in a
        few vectorised operations.

        Raises:
            ValueError: empty ``idx``.
        """
        t = self._index(idx)
        if t.numel() == 0:
            raise ValueError("batch needs at least one molecule")
        nodes, n_lens = _ranges(self.node_ptr, t)
        edges, e_lens = _ranges(self.edge_ptr, t)
        ptr, edge_ptr = _ptr_of(n_lens), _ptr_of(e_lens)
        num_nodes, num_edges = int(ptr[-1]), int(edge_ptr[-1])
        shift = torch.repeat_interleave(ptr[:-1], e_lens, output_size=num_edges)
        dst = self.edge_dst[edges] + shift
        col = self.edge_src[edges] + shift
        counts = torch.bincount(dst, minlength=num_nodes)
        graph = Graph(_ptr_of(counts), col, num_src_nodes=num_nodes, validate=False)
        graph._cache["row"] = dst  # targets are already known; Graph.row() would recompute them
        b = torch.repeat_interleave(torch.arange(t.numel()), n_lens, output_size=num_nodes)
        return GraphBatch(graph, self.x[nodes], self.edge_attr[edges], self.y[t], b, ptr, t.numel(), edge_ptr,
                          "graph")

    def batches(self, idx: Union[Sequence[int], Tensor, None] = None, batch_size: int = 32, shuffle: bool = False,
                generator: Optional[torch.Generator] = None, drop_last: bool = False) -> Iterator[GraphBatch]:
        """Mini-batches over ``idx`` (default: all molecules).

        Args:
            idx: molecules to visit.
            batch_size: molecules per batch (>= 1).
            shuffle: visit in a random order drawn from ``generator``.
            generator: the torch.Generator for the order (needed for reproducible shuffles).
            drop_last: skip a final batch smaller than ``batch_size``.

        Raises:
            ValueError: ``batch_size < 1``.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        t = torch.arange(len(self)) if idx is None else self._index(idx)
        if shuffle:
            t = t[torch.randperm(t.numel(), generator=generator)]
        for s in range(0, t.numel(), batch_size):
            part = t[s:s + batch_size]
            if drop_last and part.numel() < batch_size:
                break
            yield self.batch(part)

    @classmethod
    def concat(cls, parts: Sequence["MoleculeGraphDataset"], name: str) -> "MoleculeGraphDataset":
        """Molecules of several datasets in one (labels dropped: ``T = 0``; no split).

        Raises:
            ValueError: no parts.
        """
        if not parts:
            raise ValueError("concat needs at least one dataset")

        def ptr_cat(ptrs: List[Tensor]) -> Tensor:
            return _ptr_of(torch.cat([p[1:] - p[:-1] for p in ptrs]))
        m = sum(len(p) for p in parts)
        return cls(name=name, smiles=[s for p in parts for s in p.smiles],
                   canonical=[s for p in parts for s in p.canonical], y=torch.zeros(m, 0), task_names=[],
                   x=torch.cat([p.x for p in parts]), edge_src=torch.cat([p.edge_src for p in parts]),
                   edge_dst=torch.cat([p.edge_dst for p in parts]), edge_attr=torch.cat([p.edge_attr for p in parts]),
                   node_ptr=ptr_cat([p.node_ptr for p in parts]), edge_ptr=ptr_cat([p.edge_ptr for p in parts]),
                   source_index=torch.cat([p.source_index for p in parts]), split=None, invalid=[], num_input=m)

    # -------------------------------------------------------------------- persistence
    def state(self) -> Dict[str, Any]:
        """The fields as plain tensors / lists (what the cache file holds)."""
        return {"name": self.name, "smiles": self.smiles, "canonical": self.canonical, "y": self.y,
                "task_names": self.task_names, "x": self.x, "edge_src": self.edge_src, "edge_dst": self.edge_dst,
                "edge_attr": self.edge_attr, "node_ptr": self.node_ptr, "edge_ptr": self.edge_ptr,
                "source_index": self.source_index, "split": self.split,
                "invalid": [list(t) for t in self.invalid], "num_input": self.num_input, "info": self.info}

    @classmethod
    def from_state(cls, state: Dict[str, Any]) -> "MoleculeGraphDataset":
        """Inverse of :meth:`state`."""
        state = dict(state)
        state["invalid"] = [(int(i), str(s)) for i, s in state["invalid"]]
        return cls(**state)

    def __repr__(self) -> str:
        split = ""
        if self.split is not None:
            split = ", split=" + "/".join(str(self.split[k].numel()) for k in ("train", "valid", "test"))
        bad = f", invalid={len(self.invalid)}" if self.invalid else ""
        return (f"MoleculeGraphDataset({self.name!r}, num_molecules={self.num_molecules}, "
                f"num_tasks={self.num_tasks}, num_atoms={self.x.size(0)}, num_edges={self.edge_attr.size(0)}"
                f"{split}{bad})")


def _subsample(n: int, k: Optional[int]) -> Optional[Tensor]:
    """``k`` evenly spaced rows of ``n`` (deterministic), or None for all."""
    if k is None or k >= n:
        return None
    if k < 1:
        raise ValueError(f"max_molecules must be >= 1, got {k}")
    return torch.div(torch.arange(k) * n, k, rounding_mode="floor")


def _report_invalid(name: str, invalid: List[Tuple[int, str]], total: int) -> None:
    if invalid:
        first = "; ".join(f"row {i}: {s!r}" for i, s in invalid[:3])
        warnings.warn(f"dataset {name!r}: rdkit could not parse {len(invalid)} of {total} SMILES; they are left "
                      f"out (listed in dataset.invalid). First: {first}", UserWarning, stacklevel=3)


def _compact(state: Dict[str, Any]) -> Dict[str, Any]:
    out = dict(state)
    for k, dtype in _COMPACT.items():
        t = state[k]
        if t.numel() and (int(t.min()) < torch.iinfo(dtype).min or int(t.max()) > torch.iinfo(dtype).max):
            continue  # does not fit (a huge molecule): keep int64
        out[k] = t.to(dtype)
    return out


def _expand(state: Dict[str, Any]) -> Dict[str, Any]:
    out = dict(state)
    for k in _COMPACT:
        out[k] = state[k].long()
    return out


def load_molecule_graphs(name: str, root: Union[str, os.PathLike, None] = None,
                         cache_dir: Union[str, os.PathLike, None] = None, max_molecules: Optional[int] = None,
                         progress: bool = True, use_cache: bool = True, download: bool = True,
                         verify: bool = True) -> MoleculeGraphDataset:
    """Load a MoleculeNet set as molecule graphs with the scaffold split.

    Args:
        name: ``"bbbp"`` or ``"ogbg-molbbbp"`` (any of the 8 sets).
        root: data root with ``moleculenet/<name>.csv[.gz]``.
        cache_dir: where converted datasets are kept (see the module docstring).
        max_molecules: keep only this many evenly spaced CSV rows (quick runs; the split is
            computed on the subset).
        progress: progress bar while converting.
        use_cache: read / write the cache file.
        download, verify: see :func:`graphssl.datasets.fetch_files`.

    Returns:
        A :class:`MoleculeGraphDataset` named after OGB (``ogbg-mol<name>``). Unparseable
        SMILES are left out, listed in ``invalid`` and reported with a warning.

    Raises:
        ValueError: unknown name or ``max_molecules < 1``.
        ImportError: rdkit is needed (no cache yet) and missing.
        DatasetNotFoundError, ChecksumError, DatasetFormatError: see :func:`load_moleculenet`.
    """
    oname = ogb_name(name)
    base = OGB_NAMES[oname]
    card = load_card(base)
    f = fetch_files(card, root, download=download, verify=verify, progress=progress)[card.files[0].path]
    sub_tag = f"-even{max_molecules}" if max_molecules is not None else ""
    cache_file = None
    if use_cache:
        digest = file_digest(f.path)[:16]
        cache_file = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
        cache_file = cache_file / f"{base}-{digest}{sub_tag}-v{_CACHE_VERSION}.pt"
        if cache_file.is_file():
            try:
                ds = MoleculeGraphDataset.from_state(_expand(torch.load(cache_file, weights_only=True)))
            except Exception as e:  # a corrupt / foreign cache file is rebuilt, not trusted
                warnings.warn(f"ignoring unreadable cache {cache_file}: {e}", UserWarning, stacklevel=2)
            else:
                _report_invalid(oname, ds.invalid, ds.num_input)
                return ds
    raw = load_moleculenet(base, root, download=download, verify=verify, progress=progress)
    rows = _subsample(len(raw.smiles), max_molecules)
    smiles = raw.smiles if rows is None else [raw.smiles[i] for i in rows.tolist()]
    y = raw.y if rows is None else raw.y[rows]
    source = torch.arange(len(raw.smiles)) if rows is None else rows
    fm = featurize_smiles(smiles, progress=progress, desc=f"{oname}: SMILES -> graphs", scaffolds=True)
    kept = fm.kept
    ds = MoleculeGraphDataset(
        name=oname, smiles=[smiles[i] for i in kept.tolist()], canonical=fm.canonical, y=y[kept].contiguous(),
        task_names=list(raw.task_names), x=fm.x, edge_src=fm.edge_src, edge_dst=fm.edge_dst,
        edge_attr=fm.edge_attr, node_ptr=fm.node_ptr, edge_ptr=fm.edge_ptr, source_index=source[kept],
        split=split_by_scaffold(fm.scaffolds or []),
        invalid=[(int(source[i]), s) for i, s in fm.invalid], num_input=len(smiles))
    if cache_file is not None:
        try:
            atomic_torch_save(_compact(ds.state()), cache_file)
        except OSError as e:
            warnings.warn(f"could not write the cache {cache_file}: {e}", UserWarning, stacklevel=2)
    _report_invalid(oname, ds.invalid, ds.num_input)
    return ds
