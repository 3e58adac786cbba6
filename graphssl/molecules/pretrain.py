"""Registry of molecule pretraining methods for the transfer protocol.

A pretrainer is a function

    ``fn(corpus: MoleculeGraphDataset, epochs: int, seed: int, **kw) -> dict``

returning the ``state_dict`` of a :class:`graphssl.molecules.MoleculeGIN` built with its
default arguments (5 layers, 300 hidden, JK ``"last"``), which
:func:`graphssl.molecules.finetune` loads before fine-tuning. Keyword arguments a
pretrainer may accept: ``device``, ``batch_size``, ``progress``, ``encoder_kwargs``.

Register with the decorator; :func:`pretrainer_names` and :func:`pretrain` first import
every module of :mod:`graphssl.molecules` (and :mod:`graphssl.methods`) so that methods
registered anywhere there are found.

Example:
    >>> @register_pretrainer("my-method")              # doctest: +SKIP
    ... def my_method(corpus, epochs, seed, **kw):
    ...     model = MoleculeGIN(); ...; return model.state_dict()
"""
from __future__ import annotations

import importlib
import pkgutil
import warnings
from typing import Any, Callable, Dict, List

from ..registry import Registry

__all__ = ["MOLECULE_PRETRAINERS", "register_pretrainer", "pretrainer_names", "pretrain", "Pretrainer"]

Pretrainer = Callable[..., Dict[str, Any]]
#: Pretraining functions by name (see the module docstring for the signature).
MOLECULE_PRETRAINERS: Registry[Pretrainer] = Registry("molecule pretrainer")

_discovered = False


def register_pretrainer(name: str) -> Callable[[Pretrainer], Pretrainer]:
    """Decorator registering ``fn(corpus, epochs, seed, **kw) -> state_dict`` under ``name``.

    Raises:
        ValueError: the name is taken by another function.
    """
    return MOLECULE_PRETRAINERS.register(name)


def _discover() -> None:
    """Import the submodules of graphssl.molecules and graphssl.methods (they register on import)."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    for pkg_name in ("graphssl.molecules", "graphssl.methods"):
        try:
            pkg = importlib.import_module(pkg_name)
        except Exception as e:  # a broken package must not hide the others' methods
            warnings.warn(f"could not import {pkg_name}: {e!r}", RuntimeWarning, stacklevel=3)
            continue
        for info in pkgutil.walk_packages(pkg.__path__, prefix=pkg_name + "."):
            try:
                importlib.import_module(info.name)
            except ImportError as e:  # an optional extra (rdkit, ...) missing: skip that module
                warnings.warn(f"molecule pretrainers: skipped {info.name}: {e}", RuntimeWarning, stacklevel=3)


def pretrainer_names() -> List[str]:
    """Sorted names of all registered molecule pretrainers."""
    _discover()
    return MOLECULE_PRETRAINERS.names()


def pretrain(name: str, corpus: Any, epochs: int, seed: int, **kw: Any) -> Dict[str, Any]:
    """Run the pretrainer ``name`` on ``corpus`` and return the encoder's ``state_dict``.

    Raises:
        ValueError: unknown name (the message lists the known ones), ``epochs < 0``, or a
        pretrainer that did not return a dict.
    """
    _discover()
    fn = MOLECULE_PRETRAINERS.get(name)
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    state = fn(corpus, epochs=epochs, seed=seed, **kw)
    if not isinstance(state, dict):
        raise ValueError(f"pretrainer {name!r} returned {type(state).__name__}, expected a state_dict")
    return state
