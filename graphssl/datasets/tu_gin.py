"""Graph datasets in the GIN / DGCNN text format with their 10 cross-validation folds
(IMDB-BINARY, IMDB-MULTI), under ``<root>/tu-gin-format/<DS>/``.

Format: a line with the number of graphs; per graph a line ``n label``, then ``n`` lines
``tag m nbr_1 .. nbr_m [attr ...]`` (neighbours 0-based within the graph). IMDB has no node
features (all tags 0), so ``x`` is None; add one-hot degrees with
:func:`graphssl.datasets.degree_features`. Folds: ``10fold_idx/{train,test}_idx-{1..10}.txt``.
"""
from __future__ import annotations

import os
from typing import Any, List, Tuple, Union

import numpy as np
import torch

from .cards import load_card as get_card
from .errors import DatasetFormatError
from .fetch import FileSet, fetch_files
from .graph_assembly import labels_to_classes, split_graphs
from .registry import register_dataset
from .types import GraphDataset
from .validate import parsing

__all__ = ["load_tu_gin"]

FOLDERS = {"imdb-binary": "IMDBBINARY", "imdb-multi": "IMDBMULTI"}
_NUM_FOLDS = 10


def _parse(text: str, name: str, file: str) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """-> (node_graph [N], src [E], dst [E], raw labels [G])."""
    lines = text.split("\n")
    pos = 0

    def next_line() -> List[str]:
        nonlocal pos
        while pos < len(lines) and not lines[pos].strip():
            pos += 1
        if pos >= len(lines):
            raise DatasetFormatError(f"dataset {name!r}: {file} ends early (line {pos + 1}); truncated file?")
        pos += 1
        return lines[pos - 1].split()

    num_graphs = int(next_line()[0])
    sizes, labels, src, dst = [], [], [], []
    offset = 0
    for g in range(num_graphs):
        head = next_line()
        if len(head) < 2:
            raise DatasetFormatError(f"dataset {name!r}: {file} line {pos}: expected 'n label' for graph {g}")
        n, label = int(head[0]), int(head[1])
        for i in range(n):
            tok = next_line()
            m = int(tok[1])
            if len(tok) < 2 + m:
                raise DatasetFormatError(f"dataset {name!r}: {file} line {pos}: {m} neighbours announced, "
                                         f"{len(tok) - 2} given")
            nbrs = [int(t) for t in tok[2:2 + m]]
            if any(j < 0 or j >= n for j in nbrs):
                raise DatasetFormatError(f"dataset {name!r}: {file} line {pos}: neighbour outside 0..{n - 1}")
            src.extend(offset + j for j in nbrs)  # node i aggregates from its listed neighbours
            dst.extend([offset + i] * m)
        sizes.append(n)
        labels.append(label)
        offset += n
    node_graph = np.repeat(np.arange(num_graphs, dtype=np.int64), np.asarray(sizes, dtype=np.int64))
    return node_graph, np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64), np.asarray(labels)


def _folds(files: FileSet, name: str, num_graphs: int) -> List[Tuple[torch.Tensor, torch.Tensor]]:
    folds = []
    for k in range(1, _NUM_FOLDS + 1):
        pair = []
        for part in ("train", "test"):
            f = files[f"{part}_idx-{k}.txt"]
            with parsing(name, f.display):
                idx = np.array(f.read_bytes().decode("ascii").split(), dtype=np.int64)
            if idx.size == 0 or idx.min() < 0 or idx.max() >= num_graphs:
                raise DatasetFormatError(f"dataset {name!r}: {f.display} holds indices outside 0..{num_graphs - 1}")
            pair.append(torch.from_numpy(idx))
        folds.append((pair[0], pair[1]))
    return folds


def load_tu_gin(name: str, root: Union[str, os.PathLike, None] = None, download: bool = True,
                verify: bool = True, progress: bool = True) -> GraphDataset:
    """Load IMDB-BINARY or IMDB-MULTI (GIN/DGCNN format) with DGCNN's 10 folds.

    Args:
        name: ``"imdb-binary"`` or ``"imdb-multi"``.
        root: data root (files under ``<root>/tu-gin-format/<DS>/``).
        download, verify, progress: see :func:`graphssl.datasets.fetch_files`.

    Returns:
        A :class:`GraphDataset` with ``x=None`` for every graph and ``folds`` = 10
        ``(train_idx, test_idx)`` pairs.

    Raises:
        ValueError: unknown name. DatasetNotFoundError, ChecksumError, DatasetFormatError:
        see :func:`graphssl.datasets.load_dataset`.
    """
    key = name.lower().replace("_", "-")
    if key not in FOLDERS:
        raise ValueError(f"unknown GIN-format dataset {name!r}; known: {', '.join(FOLDERS)}")
    ds = FOLDERS[key]
    files = fetch_files(get_card(key), root, download=download, verify=verify, progress=progress)
    f = files[f"{ds}.txt"]
    with parsing(key, f.display):
        node_graph, src, dst, raw_y = _parse(f.read_bytes().decode("ascii"), key, f.display)
    y = labels_to_classes(raw_y)
    samples = split_graphs(node_graph, src, dst, y, None, None)
    return GraphDataset(name=key, samples=samples, num_classes=int(y.max()) + 1 if y.size else 0, num_features=0,
                        folds=_folds(files, key, len(samples)))


def _register(name: str) -> None:
    def loader(root: Union[str, os.PathLike, None] = None, **kw: Any) -> GraphDataset:
        return load_tu_gin(name, root, **kw)
    loader.__name__ = f"load_{name.replace('-', '_')}"
    loader.__doc__ = f"Load {FOLDERS[name]}; see :func:`load_tu_gin`."
    register_dataset(name)(loader)


for _n in FOLDERS:
    _register(_n)
