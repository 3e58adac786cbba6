"""TU Dortmund graph-classification datasets in the raw TU text format (MUTAG, PROTEINS,
NCI1, PTC_MR), under ``<root>/tu/<DS>/<DS>_*.txt`` (comma-separated, CRLF line endings).

Encoding as PyG's ``TUDataset``: node features are one-hot node labels (PROTEINS' continuous
attribute is prepended with ``use_node_attr=True``), edge labels become one-hot ``edge_attr``,
graph labels are mapped to ``0..C-1`` in sorted order. Edges are kept as listed (the files
list both directions), self-loops dropped.
"""
from __future__ import annotations

import io
import os
from typing import Any, Union

import numpy as np

from .cards import load_card as get_card
from .errors import DatasetFormatError
from .fetch import FileSet, fetch_files
from .graph_assembly import labels_to_classes, one_hot_columns, split_graphs
from .registry import register_dataset
from .types import GraphDataset
from .validate import check_finite, parsing

__all__ = ["load_tu"]

FOLDERS = {"mutag": "MUTAG", "proteins": "PROTEINS", "nci1": "NCI1", "ptc_mr": "PTC_MR"}


def _table(files: FileSet, name: str, fname: str, dtype: Any, cols: Union[int, None]) -> np.ndarray:
    f = files[fname]
    with parsing(name, f.display):
        a = np.loadtxt(io.BytesIO(f.read_bytes()), delimiter=",", dtype=dtype, ndmin=2)
        if cols is not None and a.shape[1] != cols:
            raise DatasetFormatError(f"dataset {name!r}: {f.display} must have {cols} column(s), got {a.shape[1]}")
    return a


def load_tu(name: str, root: Union[str, os.PathLike, None] = None, use_node_attr: bool = False,
            download: bool = True, verify: bool = True, progress: bool = True) -> GraphDataset:
    """Load a TU dataset in raw format.

    Args:
        name: ``"mutag"``, ``"proteins"``, ``"nci1"`` or ``"ptc_mr"``.
        root: data root (files under ``<root>/tu/<DS>/``).
        use_node_attr: prepend the continuous node attributes (PROTEINS has one) to the
            one-hot node labels.
        download, verify, progress: see :func:`graphssl.datasets.fetch_files`.

    Returns:
        A :class:`GraphDataset` (no folds: use your own stratified k-fold).

    Raises:
        ValueError: unknown name, ``use_node_attr`` without attributes, NaN/inf attributes.
        DatasetNotFoundError, ChecksumError, DatasetFormatError: see ``load_dataset``.
    """
    key = name.lower().replace("-", "_")
    if key not in FOLDERS:
        raise ValueError(f"unknown TU dataset {name!r}; known: {', '.join(FOLDERS)}")
    ds = FOLDERS[key]
    card = get_card(key)
    files = fetch_files(card, root, download=download, verify=verify, progress=progress)
    has = {f.name for f in card.files}
    edges = _table(files, key, f"{ds}_A.txt", np.int64, 2) - 1
    node_graph = _table(files, key, f"{ds}_graph_indicator.txt", np.int64, 1)[:, 0] - 1
    raw_y = _table(files, key, f"{ds}_graph_labels.txt", np.int64, 1)[:, 0]
    n, num_graphs = node_graph.size, raw_y.size
    where = files[f"{ds}_graph_indicator.txt"].display
    if n == 0 or node_graph.min() != 0 or node_graph.max() != num_graphs - 1 or (np.diff(node_graph) < 0).any():
        raise DatasetFormatError(f"dataset {key!r}: {where} must number graphs 1..{num_graphs} in "
                                 f"non-decreasing order (one per node)")
    if edges.size and (edges.min() < 0 or edges.max() >= n):
        raise DatasetFormatError(f"dataset {key!r}: {files[f'{ds}_A.txt'].display} refers to nodes outside 1..{n}")
    src, dst = edges[:, 0], edges[:, 1]
    if (node_graph[src] != node_graph[dst]).any():
        raise DatasetFormatError(f"dataset {key!r}: {files[f'{ds}_A.txt'].display} has edges between graphs")

    blocks = []
    if use_node_attr:
        if f"{ds}_node_attributes.txt" not in has:
            raise ValueError(f"dataset {key!r} has no node attributes; use_node_attr=True needs them")
        attr = _table(files, key, f"{ds}_node_attributes.txt", np.float64, None).astype(np.float32)
        check_finite(attr, key, files[f"{ds}_node_attributes.txt"].display, "node attributes")
        blocks.append(attr)
    if f"{ds}_node_labels.txt" in has:
        blocks.append(one_hot_columns(_table(files, key, f"{ds}_node_labels.txt", np.int64, None)))
    for b, what in zip(blocks, ("node attributes" if use_node_attr else "node labels", "node labels")):
        if b.shape[0] != n:
            raise DatasetFormatError(f"dataset {key!r}: {what} have {b.shape[0]} rows for {n} nodes")
    x = np.ascontiguousarray(np.concatenate(blocks, axis=1)) if blocks else None
    edge_attr = None
    if f"{ds}_edge_labels.txt" in has:
        edge_attr = one_hot_columns(_table(files, key, f"{ds}_edge_labels.txt", np.int64, None))
        if edge_attr.shape[0] != edges.shape[0]:
            raise DatasetFormatError(f"dataset {key!r}: {edge_attr.shape[0]} edge labels for {edges.shape[0]} edges")
    y = labels_to_classes(raw_y)
    samples = split_graphs(node_graph, src, dst, y, x, edge_attr)
    return GraphDataset(name=key, samples=samples, num_classes=int(y.max()) + 1,
                        num_features=x.shape[1] if x is not None else 0,
                        num_edge_features=edge_attr.shape[1] if edge_attr is not None else 0)


def _register(name: str) -> None:
    def loader(root: Union[str, os.PathLike, None] = None, **kw: Any) -> GraphDataset:
        return load_tu(name, root, **kw)
    loader.__name__ = f"load_{name}"
    loader.__doc__ = f"Load {FOLDERS[name]}; see :func:`load_tu`."
    register_dataset(name)(loader)


for _n in FOLDERS:
    _register(_n)
