"""The dataset registry: ``register_dataset``, ``load_dataset``, ``list_datasets``."""
from __future__ import annotations

import os
from typing import Any, Callable, Dict, List, Optional, Union

from ..registry import Registry
from .cards import DatasetCard, load_card

__all__ = ["register_dataset", "load_dataset", "list_datasets", "dataset_card", "DATASETS"]

Loader = Callable[..., Any]
DATASETS: Registry[Loader] = Registry("dataset")
# Optional cheap statistics functions (root, **kw) -> dict, used by `summarize` instead of a full load.
_STATS: Dict[str, Callable[..., Dict[str, Any]]] = {}


def _norm(name: str) -> str:
    return str(name).lower().replace("_", "-")


def _resolve(name: str) -> str:
    """The registered spelling of ``name`` ("PTC-MR" finds "ptc_mr")."""
    if name in DATASETS:
        return str(name).lower()
    hits = [n for n in DATASETS.names() if _norm(n) == _norm(name)]
    return hits[0] if hits else str(name).lower()


def register_dataset(name: str, stats: Optional[Callable[..., Dict[str, Any]]] = None) -> Callable[[Loader], Loader]:
    """Decorator registering a loader ``fn(root=None, **kw) -> dataset`` under ``name``.

    Args:
        name: dataset name (case-insensitive; ``_`` and ``-`` are interchangeable on lookup).
        stats: optional ``fn(root=None, **kw) -> dict`` giving :func:`summarize`'s record
            more cheaply than a full load.

    Raises:
        ValueError: the name is already taken by another loader.
    """
    deco = DATASETS.register(name)

    def wrap(fn: Loader) -> Loader:
        out = deco(fn)
        if stats is not None:
            _STATS[name.lower()] = stats
        return out
    return wrap


def load_dataset(name: str, root: Union[str, os.PathLike, None] = None, **kwargs: Any) -> Any:
    """Load a registered dataset.

    Args:
        name: one of :func:`list_datasets` (case-insensitive).
        root: data root (default ``$GRAPHSSL_DATA``, else ``~/.cache/graphssl``).
        **kwargs: loader options, e.g. ``download=False``, ``verify=False``, ``progress=False``
            and dataset-specific ones (``use_node_attr=True`` for PROTEINS, ``split=`` for WikiCS,
            ``seed=`` for MovieLens).

    Returns:
        A :class:`NodeDataset`, :class:`GraphDataset`, :class:`InteractionDataset` or
        :class:`MoleculeDataset`.

    Raises:
        ValueError: unknown name (the message lists the known ones).
        DatasetNotFoundError: files missing and not downloadable (names files and folder).
        ChecksumError / DatasetFormatError: a file is corrupt, truncated or of another version.
    """
    return DATASETS.get(_resolve(name))(root=root, **kwargs)


def list_datasets() -> List[str]:
    """Names of all registered datasets, sorted."""
    return DATASETS.names()


def dataset_card(name: str) -> DatasetCard:
    """The card (description, citation, license, files, published stats) of a registered dataset.

    Raises:
        ValueError: unknown name.
    """
    key = _resolve(name)
    DATASETS.get(key)
    return load_card(key)


def stats_function(name: str) -> Optional[Callable[..., Dict[str, Any]]]:
    """The cheap statistics function registered for ``name``, if any."""
    return _STATS.get(_resolve(name))
