"""Recommendation datasets in the LightGCN/NGCF split (Gowalla, Yelp2018, Amazon-Book):
``<root>/<name>/train.txt`` and ``test.txt`` (one line per user: ``user item item ...``,
0-based ids), or the archive the shared copy comes in (Gowalla's zip, Yelp2018's tar.gz),
read in place.

As in LightGCN's loader, ``num_users`` / ``num_items`` are the largest id seen in either
file plus one.
"""
from __future__ import annotations

import os
from typing import Any, Union

import numpy as np
import torch

from .cards import load_card as get_card
from .fetch import fetch_files
from .interactions_text import parse_user_item_lines
from .registry import register_dataset
from .types import InteractionDataset
from .validate import parsing

__all__ = ["load_lightgcn"]

NAMES = ("gowalla", "yelp2018", "amazon-book")


def load_lightgcn(name: str, root: Union[str, os.PathLike, None] = None, download: bool = True,
                  verify: bool = True, progress: bool = True) -> InteractionDataset:
    """Load a LightGCN-format interaction dataset.

    Args:
        name: ``"gowalla"``, ``"yelp2018"`` or ``"amazon-book"``.
        root: data root (files under ``<root>/<name>/``).
        download, verify, progress: see :func:`graphssl.datasets.fetch_files`. Amazon-Book has
            no known checksum: a warning says so once per process.

    Returns:
        An :class:`InteractionDataset` with ``train`` and ``test`` ``[nnz, 2]`` (user, item) rows
        in file order.

    Raises:
        ValueError: unknown name. DatasetNotFoundError, ChecksumError, DatasetFormatError: see
        :func:`graphssl.datasets.load_dataset`.
    """
    if name not in NAMES:
        raise ValueError(f"unknown LightGCN-format dataset {name!r}; known: {', '.join(NAMES)}")
    files = fetch_files(get_card(name), root, download=download, verify=verify, progress=progress)
    parts, max_user = {}, -1
    for split in ("train", "test"):
        f = files[f"{split}.txt"]
        with parsing(name, f.display):
            users, items, mu = parse_user_item_lines(f.read_bytes(), name, f.display)
        parts[split] = torch.from_numpy(np.stack([users, items], axis=1))
        max_user = max(max_user, mu)
    max_item = max((int(p[:, 1].max()) for p in parts.values() if p.numel()), default=-1)
    return InteractionDataset(num_users=max_user + 1, num_items=max_item + 1, train=parts["train"],
                              test=parts["test"], name=name)


def _register(name: str) -> None:
    def loader(root: Union[str, os.PathLike, None] = None, **kw: Any) -> InteractionDataset:
        return load_lightgcn(name, root, **kw)
    loader.__name__ = f"load_{name.replace('-', '_')}"
    loader.__doc__ = f"Load {name}; see :func:`load_lightgcn`."
    register_dataset(name)(loader)


for _n in NAMES:
    _register(_n)
