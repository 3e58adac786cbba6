"""OGB's on-disk raw format: what each supported dataset ships, reading its gzipped CSVs,
and **fixture writers** that write a (small, synthetic) dataset in exactly that layout.

Layout under a root, as ``ogb``'s ``NodePropPredDataset(name, root)`` /
``LinkPropPredDataset`` leave it (the folder is the name with ``-`` -> ``_``)::

    <root>/ogbn_arxiv/RELEASE_v1.txt
    <root>/ogbn_arxiv/raw/edge.csv.gz            E rows "src,dst" (int); each undirected edge
                                                 once where the dataset adds inverse edges
    <root>/ogbn_arxiv/raw/num-node-list.csv.gz   one row per graph (one graph): N
    <root>/ogbn_arxiv/raw/num-edge-list.csv.gz   E
    <root>/ogbn_arxiv/raw/node-feat.csv.gz       N rows of F floats
    <root>/ogbn_arxiv/raw/node-label.csv.gz      N rows of num_tasks ints (node datasets)
    <root>/ogbn_arxiv/raw/node_year.csv.gz       extra per-node / per-edge files, one value a row
    <root>/ogbn_arxiv/split/time/{train,valid,test}.csv.gz    node ids, one a row (node datasets)
    <root>/ogbl_collab/split/time/{train,valid,test}.pt       torch-saved dicts (link datasets):
        "edge" [M, 2] int64, "weight" [M], "year" [M]; valid/test add "edge_neg" [K, 2]

``ogb``'s download (``https://snap.stanford.edu/ogb/data/<kind>/<download_name>.zip``) holds
the same tree under ``<download_name>/`` (``arxiv/raw/edge.csv.gz`` ...); the loaders read
it in place.

The fixture writers (:func:`write_ogb_node_dataset`, :func:`write_ogb_link_dataset`,
:func:`make_ogb_node_fixture`, :func:`make_ogb_link_fixture`) exist for tests and for
exercising the OGB benchmarks without the real data: they write any arrays (or a seeded
homophilous random graph) in the layout above, readable both by graphssl's loaders and by
``ogb`` itself.

Example:
    >>> import tempfile
    >>> from graphssl.datasets import load_dataset
    >>> root = tempfile.mkdtemp()
    >>> _ = make_ogb_node_fixture(root, "ogbn-arxiv", num_nodes=50, seed=0)
    >>> load_dataset("ogbn-arxiv", root=root, verify=False).num_nodes
    50
"""
from __future__ import annotations

import gzip
import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from .errors import DatasetFormatError
from .validate import parsing

__all__ = ["OGBInfo", "OGB_DATASETS", "ogb_info", "ogb_files", "read_csv_gz", "write_csv_gz",
           "write_ogb_node_dataset", "write_ogb_link_dataset", "make_ogb_node_fixture", "make_ogb_link_fixture"]

_BASE_URL = "https://snap.stanford.edu/ogb/data"
SPLIT_PARTS = ("train", "valid", "test")


@dataclass(frozen=True)
class OGBInfo:
    """What ``ogb``'s ``master.csv`` says about one dataset (the subset graphssl supports).

    Attributes:
        name: OGB's name (``"ogbn-arxiv"``).
        kind: ``"node"`` or ``"link"`` property prediction.
        download_name: the zip's name and top folder (``"arxiv"``).
        eval_metric: the official Evaluator's metric (``"acc"``, ``"rocauc"``, ``"hits@50"``).
        num_tasks, num_classes: node datasets' label columns and classes (0 for links).
        split: the official split's folder under ``split/``.
        add_inverse_edge: ``edge.csv.gz`` lists each undirected edge once.
        node_files, edge_files: extra per-node / per-edge files under ``raw/``.
        version: the release (``RELEASE_v<version>.txt``).
    """

    name: str
    kind: str
    download_name: str
    eval_metric: str
    num_tasks: int
    num_classes: int
    split: str
    add_inverse_edge: bool
    node_files: Tuple[str, ...] = ()
    edge_files: Tuple[str, ...] = ()
    version: int = 1

    @property
    def dir_name(self) -> str:
        """The dataset's folder under the root (``ogbn_arxiv``)."""
        return self.name.replace("-", "_")

    @property
    def url(self) -> str:
        """The official zip (``ogb`` lists it with ``http://``; the host serves https too)."""
        sub = "nodeproppred" if self.kind == "node" else "linkproppred"
        return f"{_BASE_URL}/{sub}/{self.download_name}.zip"


#: The OGB datasets graphssl loads (values as in ogb 1.3.6's master.csv; a test checks them).
OGB_DATASETS: Dict[str, OGBInfo] = {i.name: i for i in (
    OGBInfo("ogbn-arxiv", "node", "arxiv", "acc", 1, 40, "time", False, node_files=("node_year",)),
    OGBInfo("ogbn-products", "node", "products", "acc", 1, 47, "sales_ranking", True),
    OGBInfo("ogbl-collab", "link", "collab", "hits@50", 0, 0, "time", True, edge_files=("edge_weight", "edge_year")),
)}


def ogb_info(name: str) -> OGBInfo:
    """The :class:`OGBInfo` of ``name`` (case-insensitive, ``_`` or ``-``).

    Raises:
        ValueError: not a supported OGB dataset (the message lists them).
    """
    key = str(name).lower().replace("_", "-")
    if key not in OGB_DATASETS:
        raise ValueError(f"unknown OGB dataset {name!r}; graphssl loads {', '.join(sorted(OGB_DATASETS))}")
    return OGB_DATASETS[key]


def ogb_files(info: OGBInfo) -> List[str]:
    """The files of a dataset, relative to its folder (``raw/edge.csv.gz``, ...)."""
    raw = ["edge", "num-node-list", "num-edge-list", "node-feat"]
    if info.kind == "node":
        raw.append("node-label")
    raw += list(info.node_files) + list(info.edge_files)
    ext = "csv.gz" if info.kind == "node" else "pt"
    return [f"raw/{r}.csv.gz" for r in raw] + [f"split/{info.split}/{p}.{ext}" for p in SPLIT_PARTS]


# ---------------------------------------------------------------------------- reading
def read_csv_gz(stream: Any, dataset: str, display: str, dtype: Any, columns: Optional[int] = None) -> np.ndarray:
    """Parse one of OGB's header-less CSV files (already decompressed) into a 2-d array.

    Args:
        stream: a binary file object with the CSV text.
        dataset, display: the dataset's name and the file as messages name it.
        dtype: ``np.int64`` or ``np.float32`` / ``np.float64``.
        columns: the number of columns each row must have (None: any, but the same for all).

    Returns:
        ``[rows, cols]`` array (``[0, columns or 0]`` for an empty file).

    Raises:
        DatasetFormatError: unparsable text, ragged rows or the wrong number of columns,
            naming the dataset and the file.
    """
    with parsing(dataset, display):
        with warnings.catch_warnings():  # an empty file is a valid (empty) table here
            warnings.filterwarnings("ignore", message=".*[Ee]mpty input.*")
            a = np.loadtxt(stream, delimiter=",", dtype=dtype, ndmin=2)
    if a.size == 0:
        return np.zeros((0, columns or 0), dtype=dtype)
    if columns is not None and a.shape[1] != columns:
        raise DatasetFormatError(f"dataset {dataset!r}: {display} must have {columns} column(s) per row, "
                                 f"got {a.shape[1]}")
    return a


# ---------------------------------------------------------------------------- writing
def write_csv_gz(path: Union[str, os.PathLike], array: Any, fmt: Optional[str] = None) -> Path:
    """Write a 1-d or 2-d array as a header-less, comma-separated, gzipped CSV (OGB's style).

    Args:
        path: destination (parent folders are created).
        array: numbers; a 1-d array gives one value per row.
        fmt: ``printf`` format (default ``%d`` for integers, ``%.9g`` for floats, which keeps
            float32 values exact).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    a = np.asarray(array.cpu().numpy() if isinstance(array, torch.Tensor) else array)
    if a.ndim == 1:
        a = a.reshape(-1, 1)
    if fmt is None:
        fmt = "%d" if np.issubdtype(a.dtype, np.integer) or a.dtype == bool else "%.9g"
    buf = io.BytesIO()
    np.savetxt(buf, a, fmt=fmt, delimiter=",")
    # No name and mtime=0 in the gzip header: the same content always gives the same bytes.
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:
        f.write(buf.getvalue())
    return path


def _arr(a: Any) -> np.ndarray:
    return np.asarray(a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else a)


def _np(a: Any, dtype: Any) -> np.ndarray:
    return _arr(a).astype(dtype, copy=False)


def _edges_rows(edge_index: Any, what: str) -> np.ndarray:
    """``[E, 2]`` rows from a ``[2, E]`` or ``[E, 2]`` array (``[2, 2]`` is read as ``[2, E]``)."""
    e = _np(edge_index, np.int64)
    if e.ndim != 2 or 2 not in e.shape:
        raise ValueError(f"{what} must be [2, E] or [E, 2], got shape {e.shape}")
    return np.ascontiguousarray(e.T if e.shape[0] == 2 else e)


def _dataset_dir(root: Union[str, os.PathLike], info: OGBInfo) -> Path:
    d = Path(root).expanduser() / info.dir_name
    (d / "raw").mkdir(parents=True, exist_ok=True)
    (d / "processed").mkdir(exist_ok=True)  # ogb saves its processed copy here
    (d / f"RELEASE_v{info.version}.txt").write_text(f"# Release note for {info.name}\n")
    return d


def _write_graph(d: Path, edges: np.ndarray, x: np.ndarray, num_nodes: int) -> None:
    write_csv_gz(d / "raw" / "edge.csv.gz", edges)
    write_csv_gz(d / "raw" / "num-node-list.csv.gz", np.array([num_nodes]))
    write_csv_gz(d / "raw" / "num-edge-list.csv.gz", np.array([edges.shape[0]]))
    write_csv_gz(d / "raw" / "node-feat.csv.gz", x)


def write_ogb_node_dataset(root: Union[str, os.PathLike], name: str, edge_index: Any, x: Any, y: Any,
                           split_idx: Mapping[str, Any], node_files: Optional[Mapping[str, Any]] = None) -> Path:
    """Fixture writer: write a node property dataset in OGB's raw layout.

    Args:
        root: the data root; files go to ``<root>/<name with _>/``.
        name: a node dataset of :data:`OGB_DATASETS` (e.g. ``"ogbn-arxiv"``).
        edge_index: ``[2, E]`` (or ``[E, 2]``) edges as ``raw/edge.csv.gz`` lists them.
        x: ``[N, F]`` float node features.
        y: ``[N]`` or ``[N, num_tasks]`` integer labels.
        split_idx: ``{"train", "valid", "test"}`` -> node ids (``split/<split>/*.csv.gz``).
        node_files: extra per-node files, e.g. ``{"node_year": years}``; default: zeros for
            every extra file the dataset ships (arxiv's ``node_year``).

    Returns:
        The dataset folder.

    Raises:
        ValueError: an unknown or non-node dataset, or shapes that disagree.
    """
    info = ogb_info(name)
    if info.kind != "node":
        raise ValueError(f"{info.name} is a {info.kind} dataset; use write_ogb_link_dataset")
    xs, ys = _np(x, np.float32), _arr(y)
    n = xs.shape[0] if xs.ndim == 2 else -1
    if n < 0 or ys.shape[0] != n or ys.size != n * info.num_tasks:
        raise ValueError(f"x must be [N, F] and y [N] or [N, {info.num_tasks}], got {xs.shape} and {ys.shape}")
    ys = ys.reshape(n, info.num_tasks)
    edges = _edges_rows(edge_index, "edge_index")
    missing = [p for p in SPLIT_PARTS if p not in split_idx]
    if missing:
        raise ValueError(f"split_idx lacks {missing}")
    extra = dict(node_files or {})
    for f in info.node_files:
        extra.setdefault(f, np.zeros(n, dtype=np.int64))
    d = _dataset_dir(root, info)
    _write_graph(d, edges, xs, n)
    write_csv_gz(d / "raw" / "node-label.csv.gz", ys)
    for fname, values in extra.items():
        v = _arr(values)
        if v.shape[0] != n:
            raise ValueError(f"{fname} has {v.shape[0]} rows, expected {n}")
        write_csv_gz(d / "raw" / f"{fname}.csv.gz", v)
    for part in SPLIT_PARTS:
        write_csv_gz(d / "split" / info.split / f"{part}.csv.gz", _np(split_idx[part], np.int64).reshape(-1))
    return d


def write_ogb_link_dataset(root: Union[str, os.PathLike], name: str, edge_index: Any, x: Any,
                           split_edge: Mapping[str, Mapping[str, Any]],
                           edge_files: Optional[Mapping[str, Any]] = None) -> Path:
    """Fixture writer: write a link property dataset in OGB's raw layout.

    Args:
        root: the data root; files go to ``<root>/<name with _>/``.
        name: a link dataset of :data:`OGB_DATASETS` (``"ogbl-collab"``).
        edge_index: ``[2, E]`` (or ``[E, 2]``) graph edges (``raw/edge.csv.gz``; for
            ogbl-collab, the training edges).
        x: ``[N, F]`` float node features.
        split_edge: ``{"train", "valid", "test"}`` -> dicts of per-edge arrays as OGB's
            ``get_edge_split()`` returns them (``"edge"`` ``[M, 2]``, ``"edge_neg"``
            ``[K, 2]``, ``"weight"``, ``"year"``), saved as torch tensors in ``.pt`` files.
        edge_files: per-edge files of ``raw/`` (``{"edge_weight": [E], "edge_year": [E]}``);
            default: ones / zeros.

    Returns:
        The dataset folder.

    Raises:
        ValueError: an unknown or non-link dataset, or shapes that disagree.
    """
    info = ogb_info(name)
    if info.kind != "link":
        raise ValueError(f"{info.name} is a {info.kind} dataset; use write_ogb_node_dataset")
    xs = _np(x, np.float32)
    if xs.ndim != 2:
        raise ValueError(f"x must be [N, F], got shape {xs.shape}")
    edges = _edges_rows(edge_index, "edge_index")
    extra = dict(edge_files or {})
    for f in info.edge_files:
        extra.setdefault(f, np.ones(edges.shape[0]) if f == "edge_weight" else np.zeros(edges.shape[0], np.int64))
    d = _dataset_dir(root, info)
    _write_graph(d, edges, xs, xs.shape[0])
    for fname, values in extra.items():
        v = _arr(values)
        if v.shape[0] != edges.shape[0]:
            raise ValueError(f"{fname} has {v.shape[0]} rows, expected {edges.shape[0]}")
        write_csv_gz(d / "raw" / f"{fname}.csv.gz", v)
    split_dir = d / "split" / info.split
    split_dir.mkdir(parents=True, exist_ok=True)
    for part in SPLIT_PARTS:
        if part not in split_edge:
            raise ValueError(f"split_edge lacks {part!r}")
        out = {}
        for k, v in split_edge[part].items():
            t = torch.as_tensor(_arr(v))
            out[k] = torch.from_numpy(_edges_rows(t, f"{part}[{k!r}]")) if k in ("edge", "edge_neg") else t
        torch.save(out, split_dir / f"{part}.pt")
    return d


# ---------------------------------------------------------------------------- synthetic fixtures
def _homophilous_graph(rng: np.random.Generator, y: np.ndarray, avg_degree: float, p_in: float) -> np.ndarray:
    """``[E, 2]`` unique pairs ``u < v``, about ``avg_degree * N / 2`` of them, a share
    ``p_in`` joining nodes of the same class."""
    n = y.size
    m = max(int(round(avg_degree * n / 2)), 1)
    src = rng.integers(0, n, size=4 * m)
    same = rng.random(4 * m) < p_in
    dst = rng.integers(0, n, size=4 * m)
    for c in np.unique(y):  # same-class partner for the "in" draws
        members = np.flatnonzero(y == c)
        pick = same & (y[src] == c)
        dst[pick] = members[rng.integers(0, members.size, size=int(pick.sum()))]
    u, v = np.minimum(src, dst), np.maximum(src, dst)
    keep = u != v
    pairs = np.unique(np.stack([u[keep], v[keep]], 1), axis=0)
    return pairs[rng.permutation(pairs.shape[0])[:m]]


def make_ogb_node_fixture(root: Union[str, os.PathLike], name: str = "ogbn-arxiv", num_nodes: int = 50,
                          num_features: int = 8, num_classes: int = 4, avg_degree: float = 4.0,
                          split: Sequence[float] = (0.5, 0.25), seed: int = 0) -> Dict[str, Any]:
    """Fixture writer: a seeded homophilous random graph written as OGB node dataset ``name``.

    Class ``c`` nodes get features around a random class centre (so a linear probe can
    learn them); 80% of edges join same-class nodes. arxiv-like datasets (no inverse
    edges in the files) list each edge in one random direction; others list each pair once.

    Args:
        root: the data root.
        name: a node dataset of :data:`OGB_DATASETS`.
        num_nodes, num_features, num_classes, avg_degree: the graph's size.
        split: train and valid fractions (the rest is test), in a random node order.
        seed: seeds everything.

    Returns:
        The arrays written: ``edge_index`` ``[2, E]``, ``x``, ``y``, ``split_idx`` and the
        extra node files (``node_year``) — what a loader must give back.

    Raises:
        ValueError: sizes out of range (fewer nodes than 3 or classes than 1).
    """
    info = ogb_info(name)
    if num_nodes < 3 or num_classes < 1 or num_features < 1 or num_classes > info.num_classes:
        raise ValueError(f"need num_nodes >= 3, num_features >= 1 and 1 <= num_classes <= {info.num_classes}")
    rng = np.random.default_rng(seed)
    y = rng.integers(0, num_classes, size=num_nodes).astype(np.int64)
    centres = rng.standard_normal((num_classes, num_features)).astype(np.float32) * 2.0
    x = (centres[y] + rng.standard_normal((num_nodes, num_features)).astype(np.float32)).astype(np.float32)
    pairs = _homophilous_graph(rng, y, avg_degree, 0.8)
    if not info.add_inverse_edge:  # directed files: one random direction per pair
        flip = rng.random(pairs.shape[0]) < 0.5
        pairs[flip] = pairs[flip][:, ::-1]
    perm = rng.permutation(num_nodes)
    n_tr = max(int(round(split[0] * num_nodes)), 1)
    n_va = max(int(round(split[1] * num_nodes)), 1)
    split_idx = {"train": perm[:n_tr], "valid": perm[n_tr:n_tr + n_va], "test": perm[n_tr + n_va:]}
    extra = {f: rng.integers(1990, 2021, size=num_nodes).astype(np.int64) for f in info.node_files}
    write_ogb_node_dataset(root, info.name, pairs.T, x, y, split_idx, node_files=extra)
    return {"edge_index": np.ascontiguousarray(pairs.T), "x": x, "y": y, "split_idx": split_idx, **extra}


def make_ogb_link_fixture(root: Union[str, os.PathLike], name: str = "ogbl-collab", num_nodes: int = 60,
                          num_features: int = 8, avg_degree: float = 6.0, num_neg: int = 30,
                          seed: int = 0) -> Dict[str, Any]:
    """Fixture writer: a seeded random graph written as OGB link dataset ``name`` with a
    time split like ogbl-collab's (oldest edges train, then valid, newest test).

    Edges get a year (2000..2019) and a weight (1..3); the edges of the last two years
    are valid and test; ``raw/edge.csv.gz`` holds the training edges (as collab's does).
    Valid and test get ``num_neg`` uniform random negative pairs each.

    Returns:
        The arrays written: ``edge_index`` ``[2, E_train]``, ``x``, ``edge_weight``,
        ``edge_year`` and ``split_edge`` (``{"train", "valid", "test"}`` -> dicts).
    """
    info = ogb_info(name)
    if num_nodes < 4:
        raise ValueError(f"need num_nodes >= 4, got {num_nodes}")
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, 3, size=num_nodes)
    x = (rng.standard_normal((3, num_features))[groups] + rng.standard_normal((num_nodes, num_features)))
    x = x.astype(np.float32)
    pairs = _homophilous_graph(rng, groups, avg_degree, 0.8)
    year = rng.integers(2000, 2020, size=pairs.shape[0]).astype(np.int64)
    weight = rng.integers(1, 4, size=pairs.shape[0]).astype(np.int64)
    parts = {"train": year < 2018, "valid": year == 2018, "test": year == 2019}
    split_edge: Dict[str, Dict[str, Any]] = {}
    for part, sel in parts.items():
        split_edge[part] = {"edge": pairs[sel], "weight": weight[sel], "year": year[sel]}
        if part != "train":
            split_edge[part]["edge_neg"] = rng.integers(0, num_nodes, size=(num_neg, 2))
    tr = parts["train"]
    write_ogb_link_dataset(root, info.name, pairs[tr].T, x, split_edge,
                           edge_files={"edge_weight": weight[tr], "edge_year": year[tr]})
    return {"edge_index": np.ascontiguousarray(pairs[tr].T), "x": x, "edge_weight": weight[tr],
            "edge_year": year[tr], "split_edge": split_edge}
