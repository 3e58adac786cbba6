"""Planetoid citation graphs (Cora, CiteSeer, PubMed) with the public split.

Files: ``<root>/<name>/ind.<name>.{x,y,tx,ty,allx,ally,graph,test.index}`` from
kimiyoung/planetoid, Python-2 pickles. They are assembled as GCN and PyG do: ``allx`` holds
nodes ``0..len(allx)-1``; row ``k`` of ``tx``/``ty`` belongs to node ``test.index[k]``.

CiteSeer's test-index range has 15 gaps: nodes with no features and no label in the files.
They get zero features (as in GCN/PyG) and label ``-1`` (PyG gives them label 0, which is
not a real label); they are in no split, so the public split is still 140/500/1000-style
(120/500/1000 for CiteSeer) and ``random_split(ds.y, ...)`` leaves them out.
"""
from __future__ import annotations

import io
import os
import pickle
from typing import Any, Dict, Union

import numpy as np
import scipy.sparse as sp
import torch

from .cards import load_card as get_card
from .edges import undirected_graph
from .errors import DatasetFormatError
from .fetch import FileSet, LocatedFile, fetch_files
from .registry import register_dataset
from .types import NodeDataset
from .validate import check_finite, parsing

__all__ = ["load_planetoid"]

NAMES = ("cora", "citeseer", "pubmed")
_NUM_VAL = 500

# Only the classes these pickles need may be built; anything else is refused (pickles from
# the network can otherwise run code). Old scipy module paths map to today's classes.
_SPARSE = {"csr_matrix": sp.csr_matrix, "csc_matrix": sp.csc_matrix, "coo_matrix": sp.coo_matrix}
try:
    from numpy._core import multiarray as _multiarray
except ImportError:  # numpy < 2
    from numpy.core import multiarray as _multiarray
_NUMPY_NAMES = {"_reconstruct", "ndarray", "dtype", "scalar"}
_BUILTINS = {"object", "list", "dict", "set", "tuple", "int", "float"}


class _PlanetoidUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module.startswith("scipy.sparse") and name in _SPARSE:
            return _SPARSE[name]
        if module in ("numpy", "numpy.core.multiarray", "numpy._core.multiarray") and name in _NUMPY_NAMES:
            # Old pickles name numpy.core, which numpy 2 renamed to numpy._core.
            return getattr(np, name) if name in ("ndarray", "dtype") else getattr(_multiarray, name)
        if module == "collections" and name in ("defaultdict", "OrderedDict"):
            return super().find_class(module, name)
        if module in ("builtins", "__builtin__") and name in _BUILTINS:
            return super().find_class("builtins", name)
        if module == "_codecs" and name == "encode":  # how protocol-2 pickles from Python 3 store bytes
            return super().find_class(module, name)
        if module in ("copyreg", "copy_reg") and name == "_reconstructor":
            return super().find_class("copyreg", name)
        raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name}")


def _unpickle(f: LocatedFile) -> Any:
    return _PlanetoidUnpickler(io.BytesIO(f.read_bytes()), encoding="latin1").load()


def _read(files: FileSet, dataset: str, suffix: str) -> Any:
    f = files[f"ind.{dataset}.{suffix}"]
    with parsing(dataset, f.display):
        if suffix == "test.index":
            return np.array(f.read_bytes().decode("ascii").split(), dtype=np.int64)
        return _unpickle(f)


def _csr(m: Any, dataset: str, what: str) -> sp.csr_matrix:
    if not sp.issparse(m) and not isinstance(m, np.ndarray):
        raise DatasetFormatError(f"dataset {dataset!r}: ind.{dataset}.{what} is a {type(m).__name__}, "
                                 f"expected a sparse matrix")
    return sp.csr_matrix(m, dtype=np.float32)


def _labels(onehot: Any, dataset: str, what: str) -> np.ndarray:
    a = np.asarray(onehot)
    if a.ndim != 2:
        raise DatasetFormatError(f"dataset {dataset!r}: ind.{dataset}.{what} must be a 2-d one-hot array, "
                                 f"got shape {a.shape}")
    y = a.argmax(1).astype(np.int64)
    y[a.sum(1) == 0] = -1  # an all-zero row is a node without a label
    return y


def load_planetoid(name: str, root: Union[str, os.PathLike, None] = None, download: bool = True,
                   verify: bool = True, progress: bool = True) -> NodeDataset:
    """Load Cora, CiteSeer or PubMed with the public (Planetoid) split.

    Args:
        name: ``"cora"``, ``"citeseer"`` or ``"pubmed"``.
        root: data root (files under ``<root>/<name>/``).
        download: fetch missing files from kimiyoung/planetoid.
        verify: check files against the card's checksums.
        progress: show download progress bars.

    Returns:
        A :class:`NodeDataset` with raw (un-normalised) features and the public split:
        train = the ``x`` rows (20 per class), val = the next 500 nodes, test = ``test.index``.

    Raises:
        ValueError: unknown name. DatasetNotFoundError, ChecksumError, DatasetFormatError:
        see :func:`graphssl.datasets.load_dataset`.
    """
    name = name.lower()
    if name not in NAMES:
        raise ValueError(f"unknown Planetoid dataset {name!r}; known: {', '.join(NAMES)}")
    files = fetch_files(get_card(name), root, download=download, verify=verify, progress=progress)
    parts: Dict[str, Any] = {s: _read(files, name, s)
                             for s in ("x", "y", "tx", "ty", "allx", "ally", "graph", "test.index")}
    x, tx, allx = (_csr(parts[k], name, k) for k in ("x", "tx", "allx"))
    y, ty, ally = (_labels(parts[k], name, k) for k in ("y", "ty", "ally"))
    test_idx = parts["test.index"]
    n_all = allx.shape[0]
    if tx.shape[0] != test_idx.size or ty.shape[0] != test_idx.size:
        raise DatasetFormatError(f"dataset {name!r}: tx/ty have {tx.shape[0]}/{ty.shape[0]} rows but "
                                 f"test.index lists {test_idx.size} nodes")
    if ally.shape[0] != n_all or x.shape[0] != y.shape[0] or x.shape[0] + _NUM_VAL > n_all:
        raise DatasetFormatError(f"dataset {name!r}: inconsistent x/y/allx/ally row counts")
    if test_idx.size == 0 or int(test_idx.min()) != n_all:
        raise DatasetFormatError(f"dataset {name!r}: test nodes must start right after allx (node {n_all})")
    if len(np.unique(test_idx)) != test_idx.size:
        raise DatasetFormatError(f"dataset {name!r}: ind.{name}.test.index lists a node twice")
    num_nodes = int(test_idx.max()) + 1
    num_feats = allx.shape[1]
    if tx.shape[1] != num_feats or x.shape[1] != num_feats:
        raise DatasetFormatError(f"dataset {name!r}: x/tx/allx have different feature widths")

    # Node test_idx[k] gets tx[k]; nodes in gaps of the test range keep zeros / label -1.
    for what, m in (("allx", allx), ("tx", tx)):
        check_finite(m.data, name, files[f"ind.{name}.{what}"].display)
    rows = sp.vstack([allx, tx, sp.csr_matrix((1, num_feats), dtype=np.float32)]).tocsr()
    take = np.full(num_nodes, n_all + test_idx.size, dtype=np.int64)  # default: the empty last row
    take[:n_all] = np.arange(n_all)
    take[test_idx] = n_all + np.arange(test_idx.size)
    dense = rows[take].toarray()
    labels = np.full(num_nodes, -1, dtype=np.int64)
    labels[:n_all] = ally
    labels[test_idx] = ty

    graph = parts["graph"]
    if not isinstance(graph, dict):
        raise DatasetFormatError(f"dataset {name!r}: ind.{name}.graph is a {type(graph).__name__}, expected a dict")
    with parsing(name, files[f"ind.{name}.graph"].display):
        keys = np.fromiter(graph.keys(), dtype=np.int64, count=len(graph))
        nbrs = [np.asarray(v, dtype=np.int64).reshape(-1) for v in graph.values()]
        counts = np.array([a.size for a in nbrs], dtype=np.int64)
        dst = np.repeat(keys, counts)
        src = np.concatenate(nbrs) if nbrs else np.zeros(0, dtype=np.int64)
    if src.size and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= num_nodes):
        raise DatasetFormatError(f"dataset {name!r}: ind.{name}.graph refers to nodes outside 0..{num_nodes - 1}")

    n_train = x.shape[0]
    masks = [np.zeros(num_nodes, dtype=bool) for _ in range(3)]
    masks[0][:n_train] = True
    masks[1][n_train:n_train + _NUM_VAL] = True
    masks[2][test_idx] = True
    num_classes = int(np.asarray(parts["ally"]).shape[1])
    return NodeDataset(
        name=name, graph=undirected_graph(src, dst, num_nodes), x=torch.from_numpy(dense),
        y=torch.from_numpy(labels), train_mask=torch.from_numpy(masks[0]), val_mask=torch.from_numpy(masks[1]),
        test_mask=torch.from_numpy(masks[2]), num_classes=num_classes)


def _register(name: str) -> None:
    def loader(root: Union[str, os.PathLike, None] = None, **kw: Any) -> NodeDataset:
        return load_planetoid(name, root, **kw)
    loader.__name__ = f"load_{name}"
    loader.__doc__ = f"Load {name} with the public split; see :func:`load_planetoid`."
    register_dataset(name)(loader)


for _n in NAMES:
    _register(_n)
