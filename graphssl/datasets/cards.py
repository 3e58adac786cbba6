"""Dataset cards: the YAML files in ``data/cards`` (installed as package ``graphssl.cards``)
that say what a dataset is, where its files come from and how to check them.

Card schema (one file per dataset, ``<name>.yaml``)::

    name: cora
    kind: node | link | graph | interaction | molecule
    description: ...
    citation: ...
    license: ...
    source: {repo: owner/name, commit: <40 hex>}   # optional
    files:
      - path: cora/ind.cora.x          # canonical path under the data root
        url: https://...               # canonical download URL (optional)
        sha256: <hex>                  # and/or git_sha1 (git blob id); both absent = unknown
        size: 22119                    # bytes (optional)
        checksum_note: why unknown     # when no checksum is known
        alternatives:                  # other accepted forms of the same content
          - path: amazon-photo/amazon-photo.zip
            member: amazon_electronics_photo.npz   # file inside a zip/tar archive
            url: https://...
            sha256: <hex>
            local_only: true           # accepted on disk, never as a download
            note: ...
    stats: {num_nodes: 2708, ...}      # published / verified statistics
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

__all__ = ["Alternative", "FileSpec", "DatasetCard", "load_card", "card_names", "cards_dir"]

KINDS = ("node", "link", "graph", "interaction", "molecule")


@dataclass(frozen=True)
class Alternative:
    """Another accepted form of a file: an archive holding it, or a known local copy."""

    path: str
    member: Optional[str] = None
    url: Optional[str] = None
    sha256: Optional[str] = None
    git_sha1: Optional[str] = None
    size: Optional[int] = None
    local_only: bool = False
    note: str = ""

    @property
    def has_checksum(self) -> bool:
        """Whether a sha256 or git blob id is known."""
        return bool(self.sha256 or self.git_sha1)


@dataclass(frozen=True)
class FileSpec:
    """One file of a dataset, as its source ships it."""

    path: str
    url: Optional[str] = None
    sha256: Optional[str] = None
    git_sha1: Optional[str] = None
    size: Optional[int] = None
    checksum_note: str = ""
    alternatives: Tuple[Alternative, ...] = ()

    @property
    def has_checksum(self) -> bool:
        """Whether a sha256 or git blob id is known."""
        return bool(self.sha256 or self.git_sha1)

    @property
    def name(self) -> str:
        """The file name (last path component)."""
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class DatasetCard:
    """What a dataset is and which files make it up."""

    name: str
    kind: str
    description: str
    citation: str
    license: str
    files: Tuple[FileSpec, ...]
    stats: Dict[str, Any] = field(default_factory=dict)
    source: Dict[str, Any] = field(default_factory=dict)
    notes: str = ""

    def file(self, path: str) -> FileSpec:
        """The spec of the file whose canonical path is ``path`` (or ends with ``/path``)."""
        for f in self.files:
            if f.path == path or f.path.endswith("/" + path):
                return f
        raise KeyError(f"dataset card {self.name!r} lists no file {path!r}")


def cards_dir() -> Path:
    """The folder holding the card files (installed package, else the repository's ``data/cards``)."""
    try:
        ref = resources.files("graphssl.cards")
        path = Path(str(ref))
        if path.is_dir() and any(path.glob("*.yaml")):
            return path
    except (ModuleNotFoundError, TypeError):
        pass
    import graphssl
    return Path(graphssl.__file__).resolve().parents[1] / "data" / "cards"


def _read_card_text(name: str) -> Tuple[str, str]:
    fname = f"{name}.yaml"
    try:
        ref = resources.files("graphssl.cards").joinpath(fname)
        if ref.is_file():
            return ref.read_text(encoding="utf-8"), f"graphssl.cards/{fname}"
    except (ModuleNotFoundError, TypeError):
        pass
    path = cards_dir() / fname
    if not path.is_file():
        raise ValueError(f"no dataset card {fname} (looked in package graphssl.cards and {path.parent})")
    return path.read_text(encoding="utf-8"), str(path)


def _alt(d: Dict[str, Any], where: str) -> Alternative:
    if not isinstance(d, dict) or "path" not in d:
        raise ValueError(f"{where}: each alternative needs a 'path'")
    known = {"path", "member", "url", "sha256", "git_sha1", "size", "local_only", "note"}
    _no_unknown(d, known, where)
    return Alternative(path=str(d["path"]), member=d.get("member"), url=d.get("url"),
                       sha256=d.get("sha256"), git_sha1=d.get("git_sha1"), size=d.get("size"),
                       local_only=bool(d.get("local_only", False)), note=str(d.get("note", "")))


def _file(d: Dict[str, Any], where: str) -> FileSpec:
    if not isinstance(d, dict) or "path" not in d:
        raise ValueError(f"{where}: each file needs a 'path'")
    known = {"path", "url", "sha256", "git_sha1", "size", "checksum_note", "alternatives"}
    _no_unknown(d, known, where)
    alts = tuple(_alt(a, f"{where} ({d['path']})") for a in d.get("alternatives") or ())
    spec = FileSpec(path=str(d["path"]), url=d.get("url"), sha256=d.get("sha256"), git_sha1=d.get("git_sha1"),
                    size=d.get("size"), checksum_note=str(d.get("checksum_note", "")), alternatives=alts)
    if not spec.has_checksum and not spec.checksum_note:
        raise ValueError(f"{where}: file {spec.path} has no checksum; say why in 'checksum_note'")
    return spec


def _no_unknown(d: Dict[str, Any], known: set, where: str) -> None:
    extra = set(d) - known
    if extra:
        raise ValueError(f"{where}: unknown keys {sorted(extra)}")


@functools.lru_cache(maxsize=None)
def load_card(name: str) -> DatasetCard:
    """Read and validate the card of dataset ``name``.

    Raises:
        ValueError: no such card, invalid YAML, or missing/unknown fields.
    """
    text, where = _read_card_text(name)
    try:
        d = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ValueError(f"dataset card {where} is not valid YAML: {e}") from None
    if not isinstance(d, dict):
        raise ValueError(f"dataset card {where} must be a mapping")
    required = ("name", "kind", "description", "citation", "license", "files")
    missing = [k for k in required if k not in d]
    if missing:
        raise ValueError(f"dataset card {where} lacks {missing}")
    _no_unknown(d, set(required) | {"stats", "source", "notes"}, f"dataset card {where}")
    if d["kind"] not in KINDS:
        raise ValueError(f"dataset card {where}: kind must be one of {KINDS}, got {d['kind']!r}")
    if str(d["name"]) != name:
        raise ValueError(f"dataset card {where} is named {d['name']!r}, expected {name!r}")
    files = tuple(_file(f, f"dataset card {where}") for f in d["files"] or ())
    if not files:
        raise ValueError(f"dataset card {where} lists no files")
    return DatasetCard(name=str(d["name"]), kind=str(d["kind"]), description=str(d["description"]).strip(),
                       citation=str(d["citation"]).strip(), license=str(d["license"]).strip(), files=files,
                       stats=dict(d.get("stats") or {}), source=dict(d.get("source") or {}),
                       notes=str(d.get("notes", "")).strip())


def card_names() -> List[str]:
    """Names of all cards found."""
    return sorted(p.stem for p in cards_dir().glob("*.yaml"))
