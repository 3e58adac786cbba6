"""OGB node and link property datasets (ogbn-arxiv, ogbn-products, ogbl-collab) read from
OGB's raw on-disk format (see :mod:`graphssl.datasets.ogb_format`), without the ``ogb``
package.

Files are looked for under the data root in ``ogb``'s own layout (``<root>/ogbn_arxiv/raw/
edge.csv.gz`` ..., what ``NodePropPredDataset(name, root=<root>)`` leaves), else in the
official zip (``<root>/arxiv.zip``, where ``ogb`` downloads it), read in place, else in the
zip extracted but not renamed (``<root>/arxiv/raw/...``). Missing files are downloaded (the
zip, from the URL ``ogb`` uses) when online; offline, the error names the missing files, the
folder to put them in and the URL. OGB publishes no checksums, so none are checked.

Node datasets become :class:`NodeDataset`: the graph made undirected (arxiv's citation
edges are directed in the files; GraphMAE/GraphMAE2 and most SSL papers symmetrise them),
labels ``[N]`` (a missing label is ``-1``), the official split as masks, extra per-node
files in ``extras`` (arxiv's ``node_year``). ``num_classes`` is the official count.

ogbl-collab becomes a :class:`LinkDataset`: the graph of the training edges (undirected,
duplicates merged, unweighted) and the official ``train``/``valid``/``test`` dicts (``edge``,
``weight``, ``year``, and the fixed negatives ``edge_neg`` of valid/test) as OGB ships them.
Score predictions with :class:`graphssl.eval.OGBEvaluator`.
"""
from __future__ import annotations

import io
import os
import pickle
from typing import Any, Dict, Union

import numpy as np
import torch

from .cards import load_card as get_card
from .edges import undirected_graph
from .errors import DatasetFormatError
from .fetch import FileSet, fetch_files
from .ogb_format import OGB_DATASETS, SPLIT_PARTS, OGBInfo, ogb_info, read_csv_gz
from .registry import register_dataset
from .types import LinkDataset, NodeDataset
from .validate import check_finite, parsing

__all__ = ["load_ogb_node", "load_ogb_link", "is_ogb_dataset"]


def is_ogb_dataset(ds_or_name: Any) -> bool:
    """Whether a dataset (or a name) is one of the OGB node/link property datasets loaded
    here from OGB's raw format (ogbn-arxiv, ogbn-products, ogbl-collab); the ``ogbg-mol*``
    molecule sets are not."""
    name = ds_or_name if isinstance(ds_or_name, str) else getattr(ds_or_name, "name", "")
    return str(name).lower().replace("_", "-") in OGB_DATASETS


def _table(files: FileSet, info: OGBInfo, rel: str, dtype: Any, columns: Any = None) -> np.ndarray:
    f = files[f"{info.dir_name}/{rel}"]
    with f.open() as stream:
        return read_csv_gz(stream, info.name, f.display, dtype, columns)


def _column(files: FileSet, info: OGBInfo, rel: str, dtype: Any, rows: int) -> np.ndarray:
    a = _table(files, info, rel, dtype, 1).reshape(-1)
    if a.size != rows:
        raise DatasetFormatError(f"dataset {info.name!r}: {files[f'{info.dir_name}/{rel}'].display} has "
                                 f"{a.size} rows, expected {rows}")
    return a


def _graph_files(files: FileSet, info: OGBInfo) -> Dict[str, np.ndarray]:
    """``num_nodes``, the ``[E, 2]`` edges and ``[N, F]`` features, checked against each other."""
    d = info.dir_name
    nn_, ne = (_table(files, info, f"raw/{k}.csv.gz", np.int64, 1).reshape(-1)
               for k in ("num-node-list", "num-edge-list"))
    for what, a in (("num-node-list", nn_), ("num-edge-list", ne)):
        if a.size != 1 or int(a[0]) < 0:
            raise DatasetFormatError(f"dataset {info.name!r}: {files[f'{d}/raw/{what}.csv.gz'].display} must hold "
                                     f"one non-negative count (one graph), got {a.tolist()[:5]}")
    n, e = int(nn_[0]), int(ne[0])
    edge = _table(files, info, "raw/edge.csv.gz", np.int64, 2)
    shown = files[f"{d}/raw/edge.csv.gz"].display
    if edge.shape[0] != e:
        raise DatasetFormatError(f"dataset {info.name!r}: {shown} has {edge.shape[0]} edges but num-edge-list "
                                 f"says {e}")
    if edge.size and (int(edge.min()) < 0 or int(edge.max()) >= n):
        raise DatasetFormatError(f"dataset {info.name!r}: {shown} refers to nodes outside 0..{n - 1}")
    x = _table(files, info, "raw/node-feat.csv.gz", np.float32)
    shown = files[f"{d}/raw/node-feat.csv.gz"].display
    if x.shape[0] != n:
        raise DatasetFormatError(f"dataset {info.name!r}: {shown} has {x.shape[0]} rows for {n} nodes")
    check_finite(x, info.name, shown)
    return {"num_nodes": np.int64(n), "edge": edge, "x": np.ascontiguousarray(x)}


def _labels(files: FileSet, info: OGBInfo, n: int) -> np.ndarray:
    f = files[f"{info.dir_name}/raw/node-label.csv.gz"]
    raw = _table(files, info, "raw/node-label.csv.gz", np.float64, info.num_tasks)
    if raw.shape[0] != n:
        raise DatasetFormatError(f"dataset {info.name!r}: {f.display} has {raw.shape[0]} rows for {n} nodes")
    raw = raw.reshape(-1)
    known = np.isfinite(raw)  # papers100M-style NaN = no label
    if np.any(raw[known] != np.round(raw[known])) or np.any(raw[known] < 0) or \
            np.any(raw[known] >= info.num_classes):
        raise DatasetFormatError(f"dataset {info.name!r}: {f.display} must hold class ids 0..{info.num_classes - 1}")
    y = np.full(n, -1, dtype=np.int64)
    y[known] = raw[known].astype(np.int64)
    return y


def _split_masks(files: FileSet, info: OGBInfo, n: int) -> Dict[str, torch.Tensor]:
    masks = {}
    for part in SPLIT_PARTS:
        rel = f"split/{info.split}/{part}.csv.gz"
        idx = _table(files, info, rel, np.int64, 1).reshape(-1)
        if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
            raise DatasetFormatError(f"dataset {info.name!r}: {files[f'{info.dir_name}/{rel}'].display} lists "
                                     f"nodes outside 0..{n - 1}")
        m = torch.zeros(n, dtype=torch.bool)
        m[torch.from_numpy(idx)] = True
        masks[part] = m
    overlap = (masks["train"] & masks["valid"]) | (masks["train"] & masks["test"]) | (masks["valid"] & masks["test"])
    if bool(overlap.any()):
        raise DatasetFormatError(f"dataset {info.name!r}: the official split under split/{info.split}/ puts "
                                 f"{int(overlap.sum())} node(s) in two parts")
    return masks


def load_ogb_node(name: str, root: Union[str, os.PathLike, None] = None, download: bool = True,
                  verify: bool = True, progress: bool = True) -> NodeDataset:
    """Load an OGB node property dataset (``"ogbn-arxiv"``, ``"ogbn-products"``).

    Args:
        name: the OGB name.
        root: data root (files under ``<root>/ogbn_arxiv/...``, ``ogb``'s layout).
        download: fetch the official zip if files are missing (needs the network).
        verify, progress: see :func:`graphssl.datasets.fetch_files` (no checksums are
            published: a warning says so once per file).

    Returns:
        A :class:`NodeDataset` with the official split as masks and
        ``num_classes`` = the official class count (arxiv: 169,343 nodes, 128 features,
        40 classes).

    Raises:
        ValueError: not a supported OGB node dataset. DatasetNotFoundError: files missing and
        not downloadable (names the files, the folder and the URL). DatasetFormatError: a file
        is malformed (wrong column count, ids out of range, counts that disagree).
    """
    info = ogb_info(name)
    if info.kind != "node":
        raise ValueError(f"{info.name} is a {info.kind} property dataset; use load_ogb_link")
    files = fetch_files(get_card(info.name), root, download=download, verify=verify, progress=progress)
    g = _graph_files(files, info)
    n = int(g["num_nodes"])
    y = _labels(files, info, n)
    masks = _split_masks(files, info, n)
    extras = {f: torch.from_numpy(_column(files, info, f"raw/{f}.csv.gz", np.int64, n)) for f in info.node_files}
    edge = g["edge"]
    return NodeDataset(name=info.name, graph=undirected_graph(edge[:, 0], edge[:, 1], n), x=torch.from_numpy(g["x"]),
                       y=torch.from_numpy(y), train_mask=masks["train"], val_mask=masks["valid"],
                       test_mask=masks["test"], num_classes=info.num_classes, extras=extras)


def _load_pt(files: FileSet, info: OGBInfo, rel: str) -> Dict[str, torch.Tensor]:
    f = files[f"{info.dir_name}/{rel}"]
    with parsing(info.name, f.display):
        try:
            obj = torch.load(io.BytesIO(f.read_bytes()), map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as e:  # weights_only refuses anything but tensors and containers
            raise DatasetFormatError(f"dataset {info.name!r}: {f.display} must hold a dict of tensors: {e}") from None
    if not isinstance(obj, dict) or "edge" not in obj:
        raise DatasetFormatError(f"dataset {info.name!r}: {f.display} must hold a dict with an 'edge' entry, "
                                 f"got {type(obj).__name__}")
    out = {}
    for k, v in obj.items():
        t = torch.as_tensor(v)
        if k in ("edge", "edge_neg"):
            if t.dim() != 2 or t.size(1) != 2 or t.is_floating_point():
                raise DatasetFormatError(f"dataset {info.name!r}: {f.display}: {k!r} must be integer [M, 2], got "
                                         f"{t.dtype} {tuple(t.shape)}")
            t = t.long()
        out[str(k)] = t
    return out


def load_ogb_link(name: str, root: Union[str, os.PathLike, None] = None, download: bool = True,
                  verify: bool = True, progress: bool = True) -> LinkDataset:
    """Load an OGB link property dataset (``"ogbl-collab"``).

    Args:
        name, root, download, verify, progress: as :func:`load_ogb_node`.

    Returns:
        A :class:`LinkDataset`: the graph of ``raw/edge.csv.gz`` (collab: the training
        edges) made undirected and unweighted; ``train``/``valid``/``test`` as OGB's
        ``get_edge_split()`` gives them; the raw per-edge files (``edge_weight``,
        ``edge_year``) in ``extras``, aligned with ``extras["edge"]`` ``[E, 2]``.

    Raises:
        As :func:`load_ogb_node`; DatasetFormatError also for split files that are not dicts
        of tensors or name nodes out of range.
    """
    info = ogb_info(name)
    if info.kind != "link":
        raise ValueError(f"{info.name} is a {info.kind} property dataset; use load_ogb_node")
    files = fetch_files(get_card(info.name), root, download=download, verify=verify, progress=progress)
    g = _graph_files(files, info)
    n, edge = int(g["num_nodes"]), g["edge"]
    extras: Dict[str, torch.Tensor] = {"edge": torch.from_numpy(edge)}
    for f in info.edge_files:
        extras[f] = torch.from_numpy(_column(files, info, f"raw/{f}.csv.gz", np.float64, edge.shape[0]))
    splits = {p: _load_pt(files, info, f"split/{info.split}/{p}.pt") for p in SPLIT_PARTS}
    for p, d in splits.items():
        for k in ("edge", "edge_neg"):
            if k in d and d[k].numel() and (int(d[k].min()) < 0 or int(d[k].max()) >= n):
                raise DatasetFormatError(f"dataset {info.name!r}: split/{info.split}/{p}.pt: {k!r} has node ids "
                                         f"outside 0..{n - 1}")
        rows = d["edge"].size(0)
        bad = [k for k, t in d.items() if k not in ("edge", "edge_neg") and (t.dim() == 0 or t.size(0) != rows)]
        if bad:
            raise DatasetFormatError(f"dataset {info.name!r}: split/{info.split}/{p}.pt: {bad} do not have one "
                                     f"entry per edge ({rows})")
    return LinkDataset(name=info.name, graph=undirected_graph(edge[:, 0], edge[:, 1], n), x=torch.from_numpy(g["x"]),
                       train=splits["train"], valid=splits["valid"], test=splits["test"], extras=extras)


def _register(info: OGBInfo) -> None:
    fn = load_ogb_node if info.kind == "node" else load_ogb_link

    def loader(root: Union[str, os.PathLike, None] = None, **kw: Any):
        return fn(info.name, root, **kw)
    loader.__name__ = f"load_{info.dir_name}"
    loader.__doc__ = f"Load {info.name} from OGB's raw format; see :func:`{fn.__name__}`."
    register_dataset(info.name)(loader)


for _info in OGB_DATASETS.values():
    _register(_info)
