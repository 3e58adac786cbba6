"""Amazon Computers / Photo and Coauthor CS / Physics from the gnn-benchmark ``.npz`` files
(Shchur et al. 2018), read straight out of the zip the shared copy comes in, or from the raw
``.npz``. No public split: use :func:`graphssl.datasets.random_split`.

Features are binarised (``x > 0 -> 1``) by default, as PyG's ``Amazon``/``Coauthor`` do and
therefore as published SSL results use them (Coauthor stores word counts); pass
``binary_features=False`` for the raw counts.
"""
from __future__ import annotations

import io
import os
from typing import Any, Dict, Tuple, Union

import numpy as np
import torch

from .cards import load_card as get_card
from .edges import undirected_graph
from .errors import DatasetFormatError
from .fetch import LocatedFile, fetch_files
from .registry import register_dataset
from .types import NodeDataset
from .validate import check_finite, parsing

__all__ = ["load_gnn_benchmark"]

NAMES = ("amazon-computers", "amazon-photo", "coauthor-cs", "coauthor-physics")
_KEYS = ("adj_indices", "adj_indptr", "adj_shape", "attr_data", "attr_indices", "attr_indptr", "attr_shape", "labels")


def _read_npz(name: str, root: Any, download: bool, verify: bool, progress: bool) -> Tuple[Dict[str, np.ndarray], LocatedFile]:
    card = get_card(name)
    f = fetch_files(card, root, download=download, verify=verify, progress=progress)[card.files[0].path]
    with parsing(name, f.display):
        with np.load(io.BytesIO(f.read_bytes()), allow_pickle=False) as z:
            missing = [k for k in _KEYS if k not in z.files]
            if missing:
                raise DatasetFormatError(f"dataset {name!r}: {f.display} lacks the arrays {missing}")
            arrays = {k: z[k] for k in _KEYS}
        n, n2 = (int(v) for v in arrays["adj_shape"])
        nf, num_feats = (int(v) for v in arrays["attr_shape"])
        ok = (n == n2 == nf == arrays["labels"].shape[0] and arrays["adj_indptr"].shape == (n + 1,)
              and arrays["attr_indptr"].shape == (n + 1,)
              and int(arrays["adj_indptr"][-1]) == arrays["adj_indices"].size
              and int(arrays["attr_indptr"][-1]) == arrays["attr_indices"].size == arrays["attr_data"].size)
        if not ok:
            raise DatasetFormatError(f"dataset {name!r}: {f.display} has inconsistent array shapes")
        for k, hi in (("adj_indices", n), ("attr_indices", num_feats)):
            a = arrays[k]
            if a.size and (int(a.min()) < 0 or int(a.max()) >= hi):
                raise DatasetFormatError(f"dataset {name!r}: {f.display}: {k} out of range")
    return arrays, f


def _edges(arrays: Dict[str, np.ndarray]) -> Tuple[np.ndarray, np.ndarray]:
    indptr = arrays["adj_indptr"].astype(np.int64)
    rows = np.repeat(np.arange(indptr.size - 1, dtype=np.int64), np.diff(indptr))
    return rows, arrays["adj_indices"].astype(np.int64)


def load_gnn_benchmark(name: str, root: Union[str, os.PathLike, None] = None, binary_features: bool = True,
                       download: bool = True, verify: bool = True, progress: bool = True) -> NodeDataset:
    """Load one of the gnn-benchmark co-purchase / co-authorship graphs.

    Args:
        name: ``"amazon-computers"``, ``"amazon-photo"``, ``"coauthor-cs"`` or ``"coauthor-physics"``.
        root: data root (files under ``<root>/<name>/``).
        binary_features: set every non-zero feature to 1 (PyG's behaviour).
        download, verify, progress: see :func:`graphssl.datasets.fetch_files`.

    Returns:
        A :class:`NodeDataset` with no split masks (``train_mask`` etc. are None). Coauthor
        Physics' dense features take 1.2 GB.

    Raises:
        ValueError: unknown name or NaN/inf features. DatasetNotFoundError, ChecksumError,
        DatasetFormatError: see :func:`graphssl.datasets.load_dataset`.
    """
    if name not in NAMES:
        raise ValueError(f"unknown gnn-benchmark dataset {name!r}; known: {', '.join(NAMES)}")
    arrays, f = _read_npz(name, root, download, verify, progress)
    n, num_feats = (int(v) for v in arrays["attr_shape"])
    data = arrays["attr_data"].astype(np.float32)
    check_finite(data, name, f.display)
    if binary_features:
        data = (data > 0).astype(np.float32)
    # Dense [N, F] filled straight from the CSR arrays (one pass, no scipy temporary).
    x = torch.zeros(n, num_feats, dtype=torch.float32)
    indptr = torch.from_numpy(arrays["attr_indptr"].astype(np.int64))
    rows = torch.repeat_interleave(torch.arange(n), indptr[1:] - indptr[:-1])
    flat = rows * num_feats + torch.from_numpy(arrays["attr_indices"].astype(np.int64))
    # Counts sum duplicate entries (as scipy does); binary features just set them.
    x.view(-1).index_put_((flat,), torch.from_numpy(data), accumulate=not binary_features)
    labels = arrays["labels"].astype(np.int64)
    if labels.size and int(labels.min()) < 0:
        raise DatasetFormatError(f"dataset {name!r}: {f.display} has negative labels")
    src, dst = _edges(arrays)
    return NodeDataset(name=name, graph=undirected_graph(src, dst, n), x=x, y=torch.from_numpy(labels),
                       train_mask=None, val_mask=None, test_mask=None,
                       num_classes=int(labels.max()) + 1 if labels.size else 0)


def gnn_benchmark_stats(name: str, root: Union[str, os.PathLike, None] = None, **kw: Any) -> Dict[str, Any]:
    """:func:`summarize`'s record without building the dense features."""
    arrays, _ = _read_npz(name, root, kw.get("download", False), kw.get("verify", True), False)
    n, num_feats = (int(v) for v in arrays["attr_shape"])
    src, dst = _edges(arrays)
    labels = arrays["labels"]
    return {"name": name, "num_nodes": n, "num_edges": undirected_graph(src, dst, n).num_edges,
            "num_features": num_feats, "num_classes": int(labels.max()) + 1 if labels.size else 0}


def _register(name: str) -> None:
    def loader(root: Union[str, os.PathLike, None] = None, **kw: Any) -> NodeDataset:
        return load_gnn_benchmark(name, root, **kw)

    def stats(root: Union[str, os.PathLike, None] = None, **kw: Any) -> Dict[str, Any]:
        return gnn_benchmark_stats(name, root, **kw)
    loader.__name__ = f"load_{name.replace('-', '_')}"
    loader.__doc__ = f"Load {name}; see :func:`load_gnn_benchmark`."
    register_dataset(name, stats=stats)(loader)


for _n in NAMES:
    _register(_n)
