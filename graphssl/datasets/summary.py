"""``summarize``: statistics of every registered dataset whose files are under the data root
(what the ``graphssl datasets`` command prints)."""
from __future__ import annotations

import os
import warnings
from typing import Any, Dict, List, Union

from .cards import load_card
from .errors import ChecksumError, DatasetFormatError, DatasetNotFoundError
from .fetch import files_present
from .paths import data_root
from .registry import list_datasets, load_dataset, stats_function
from .types import GraphDataset, InteractionDataset, LinkDataset, MoleculeDataset, NodeDataset

__all__ = ["summarize", "dataset_stats"]


def dataset_stats(name: str, ds: Any) -> Dict[str, Any]:
    """The summary record of a loaded dataset.

    Returns:
        ``name`` plus ``num_nodes, num_edges, num_features, num_classes`` (node datasets),
        ``num_graphs, num_classes, num_features`` (graph datasets), ``num_users, num_items,
        num_interactions`` (interactions) or ``num_molecules, num_tasks`` (molecules).

    Raises:
        ValueError: ``ds`` is of no known dataset type.
    """
    if isinstance(ds, NodeDataset):
        return {"name": name, "num_nodes": ds.num_nodes, "num_edges": ds.num_edges,
                "num_features": ds.num_features, "num_classes": ds.num_classes}
    if isinstance(ds, LinkDataset):
        return {"name": name, "num_nodes": ds.num_nodes, "num_edges": ds.num_edges, "num_features": ds.num_features}
    if isinstance(ds, GraphDataset):
        return {"name": name, "num_graphs": len(ds), "num_classes": ds.num_classes, "num_features": ds.num_features}
    if isinstance(ds, InteractionDataset):
        return {"name": name, "num_users": ds.num_users, "num_items": ds.num_items,
                "num_interactions": ds.num_interactions}
    if isinstance(ds, MoleculeDataset):
        return {"name": name, "num_molecules": ds.num_molecules, "num_tasks": ds.num_tasks}
    raise ValueError(f"dataset {name!r}: cannot summarise a {type(ds).__name__}")


def summarize(root: Union[str, os.PathLike, None] = None) -> List[Dict[str, Any]]:
    """Statistics of every registered dataset whose files are present under ``root``.

    Nothing is downloaded. A dataset whose files are present but fail to load (checksum
    mismatch, parse error) gets a record with ``name`` and ``error`` (and a warning), so one
    bad dataset does not hide the others.

    Args:
        root: data root (default ``$GRAPHSSL_DATA``, else ``~/.cache/graphssl``).

    Returns:
        One dict per present dataset, sorted by name (see :func:`dataset_stats`).
    """
    root = data_root(root)
    out = []
    for name in list_datasets():
        if not files_present(load_card(name), root):
            continue
        try:
            fn = stats_function(name)
            rec = fn(root, download=False) if fn else dataset_stats(name, load_dataset(
                name, root=root, download=False, progress=False))
        except (ChecksumError, DatasetFormatError, DatasetNotFoundError, ValueError, OSError) as e:
            warnings.warn(f"dataset {name!r} is present under {root} but could not be loaded: {e}", UserWarning,
                          stacklevel=2)
            rec = {"name": name, "error": str(e)}
        out.append(rec)
    return out
