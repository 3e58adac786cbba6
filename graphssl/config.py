"""Loading method configurations: packaged defaults per (method, dataset), overridden by
a user file and then by explicit command-line values."""
from __future__ import annotations

import copy
import re
from importlib import resources
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import yaml

__all__ = ["load_config", "load_yaml", "merge", "packaged_datasets"]

_SECTIONS = ("data", "method", "train", "probe", "minibatch")


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, reading ``1e-3`` as a float (as YAML 1.2 and Python do; YAML
    1.1 wants ``1.0e-3`` and PyYAML would hand the string ``"1e-3"`` to the optimiser)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"))


def load_yaml(text: str) -> Any:
    """Parse YAML ``text`` with the safe loader, ``1e-3`` read as a float.

    Raises:
        yaml.YAMLError: ``text`` is not valid YAML.
    """
    return yaml.load(text, Loader=_Loader)


def merge(base: Dict[str, Any], over: Dict[str, Any]) -> Dict[str, Any]:
    """Recursive dict merge; values of ``over`` win."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def _read(text: str, where: str) -> Dict[str, Any]:
    try:
        data = load_yaml(text) or {}
    except yaml.YAMLError as e:
        raise ValueError(f"config {where} is not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise ValueError(f"config {where} must be a mapping with sections {_SECTIONS}")
    unknown = set(data) - set(_SECTIONS)
    if unknown:
        raise ValueError(f"config {where} has unknown sections {sorted(unknown)}; expected {_SECTIONS}")
    return data


def _packaged(method: str, name: str) -> Optional[Dict[str, Any]]:
    ref = resources.files("graphssl.configs").joinpath(method.lower(), f"{name.lower()}.yaml")
    return _read(ref.read_text(), f"graphssl/configs/{method}/{name}.yaml") if ref.is_file() else None


def packaged_datasets(method: str) -> List[str]:
    """The datasets with a packaged (published) configuration for ``method``, sorted."""
    folder = resources.files("graphssl.configs").joinpath(method.lower())
    if not folder.is_dir():
        return []
    return sorted(f.name[: -len(".yaml")] for f in folder.iterdir()
                  if f.name.endswith(".yaml") and f.name != "default.yaml")


def load_config(method: str, dataset: Optional[str] = None,
                path: Union[str, Path, None] = None) -> Dict[str, Any]:
    """The configuration for ``method`` on ``dataset``.

    Order (later wins): packaged ``<method>/default.yaml``, packaged
    ``<method>/<dataset>.yaml`` (the published setting), then the user's file ``path``.
    Returns a dict with the sections ``data`` (preprocessing), ``method`` (constructor
    arguments), ``train`` (Trainer arguments), ``probe`` (linear-probe arguments) and
    ``minibatch`` (empty: full-graph training; else the sampler and batch size, see
    :func:`graphssl.minibatch.sampler_from_config`).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is not valid YAML or has unknown sections.
    """
    cfg: Dict[str, Any] = {s: {} for s in _SECTIONS}
    for part in (_packaged(method, "default"), _packaged(method, dataset) if dataset else None):
        if part:
            cfg = merge(cfg, part)
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise FileNotFoundError(f"config file {p} does not exist")
        cfg = merge(cfg, _read(p.read_text(), str(p)))
    return cfg
