"""Wiki-CS (Mernyei & Cangea 2020) from ``<root>/wikics/data.json`` (pmernyei/wiki-cs-dataset).

The JSON holds ``features`` (N x 300), ``labels`` (N), ``links`` (adjacency lists),
``train_masks`` / ``val_masks`` / ``stopping_masks`` (20 splits x N) and ``test_mask`` (N).
The graph is made undirected (PyG's default for WikiCS) and self-loops are dropped. The
dataset's masks pick one of the 20 splits (``split=``); all 20 are kept in ``extras`` as
``[N, 20]`` bool tensors (``train_masks``, ``val_masks``, ``stopping_masks``).
"""
from __future__ import annotations

import json
import os
from typing import Union

import numpy as np
import torch

from .cards import load_card as get_card
from .edges import undirected_graph
from .errors import DatasetFormatError
from .fetch import fetch_files
from .registry import register_dataset
from .types import NodeDataset
from .validate import check_finite, parsing

__all__ = ["load_wikics"]


def _split_masks(data: dict, key: str, n: int, name: str, file: str) -> torch.Tensor:
    m = np.asarray(data[key])
    if m.ndim != 2 or m.shape[1] != n:
        raise DatasetFormatError(f"dataset {name!r}: {file}: {key} must be splits x {n}, got shape {m.shape}")
    return torch.from_numpy(m.astype(bool).T.copy())


@register_dataset("wikics")
def load_wikics(root: Union[str, os.PathLike, None] = None, split: int = 0, download: bool = True,
                verify: bool = True, progress: bool = True) -> NodeDataset:
    """Load Wiki-CS.

    Args:
        root: data root (file ``<root>/wikics/data.json``).
        split: which of the 20 train/val splits the masks use (the test split is shared).
        download, verify, progress: see :func:`graphssl.datasets.fetch_files`. No checksum is
            known for ``data.json``: a warning says so once per process.

    Returns:
        A :class:`NodeDataset` (11701 nodes, 300 features, 10 classes for the real file).

    Raises:
        ValueError: ``split`` out of range, NaN/inf features. DatasetNotFoundError,
        DatasetFormatError: see :func:`graphssl.datasets.load_dataset`.
    """
    name = "wikics"
    card = get_card(name)
    f = fetch_files(card, root, download=download, verify=verify, progress=progress)["data.json"]
    with parsing(name, f.display):
        data = json.loads(f.read_bytes().decode("utf-8"))
        if not isinstance(data, dict):
            raise DatasetFormatError(f"dataset {name!r}: {f.display} must hold a JSON object")
        x = np.asarray(data["features"], dtype=np.float32)
        y = np.asarray(data["labels"], dtype=np.int64)
        if x.ndim != 2 or y.shape != (x.shape[0],):
            raise DatasetFormatError(f"dataset {name!r}: {f.display}: features must be N x F and labels N, "
                                     f"got {x.shape} and {y.shape}")
        n = x.shape[0]
        links = data["links"]
        if len(links) != n:
            raise DatasetFormatError(f"dataset {name!r}: {f.display}: {len(links)} adjacency lists for {n} nodes")
        counts = np.fromiter((len(js) for js in links), dtype=np.int64, count=n)
        src = np.repeat(np.arange(n, dtype=np.int64), counts)
        dst = np.fromiter((j for js in links for j in js), dtype=np.int64, count=int(counts.sum()))
        train, val, stop = (_split_masks(data, k, n, name, f.display)
                            for k in ("train_masks", "val_masks", "stopping_masks"))
        test = np.asarray(data["test_mask"]).astype(bool)
        if test.shape != (n,):
            raise DatasetFormatError(f"dataset {name!r}: {f.display}: test_mask must have {n} entries")
    check_finite(x, name, f.display)
    if dst.size and (int(dst.min()) < 0 or int(dst.max()) >= n):
        raise DatasetFormatError(f"dataset {name!r}: {f.display}: links refer to nodes outside 0..{n - 1}")
    if not 0 <= split < train.size(1):
        raise ValueError(f"dataset {name!r} has {train.size(1)} splits; split={split} is out of range")
    return NodeDataset(name=name, graph=undirected_graph(src, dst, n), x=torch.from_numpy(x), y=torch.from_numpy(y),
                       train_mask=train[:, split].contiguous(), val_mask=val[:, split].contiguous(),
                       test_mask=torch.from_numpy(test), num_classes=int(y.max()) + 1 if y.size else 0,
                       extras={"train_masks": train, "val_masks": val, "stopping_masks": stop})
