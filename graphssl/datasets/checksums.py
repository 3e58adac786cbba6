"""File checksums (sha256 and git blob sha1), cached per process by file identity so that
a file is hashed at most once however many datasets or loads read it."""
from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Dict, Optional, Tuple

__all__ = ["file_digest", "git_blob_sha1", "Hasher", "clear_checksum_cache", "remember_digest"]

_CHUNK = 1 << 20
_lock = threading.Lock()
# (resolved path, size, mtime_ns, algorithm) -> hex digest. A changed file has another key.
_CACHE: Dict[Tuple[str, int, int, str], str] = {}


class Hasher:
    """Incremental sha256 or git-blob sha1 (``sha1(b"blob <size>\\0" + content)``).

    Args:
        algorithm: ``"sha256"`` or ``"git_sha1"``.
        size: total content size; required for ``git_sha1`` (it is part of the header).
    """

    def __init__(self, algorithm: str, size: Optional[int] = None) -> None:
        if algorithm == "sha256":
            self._h = hashlib.sha256()
        elif algorithm == "git_sha1":
            if size is None:
                raise ValueError("git_sha1 needs the content size")
            self._h = hashlib.sha1()
            self._h.update(b"blob %d\0" % size)
        else:
            raise ValueError(f"unknown checksum algorithm {algorithm!r}; use 'sha256' or 'git_sha1'")

    def update(self, data: bytes) -> None:
        """Feed more content."""
        self._h.update(data)

    def hexdigest(self) -> str:
        """The digest of the content fed so far."""
        return self._h.hexdigest()


def _key(path: Path, algorithm: str) -> Tuple[str, int, int, str]:
    st = os.stat(path)
    return (str(path.resolve()), st.st_size, st.st_mtime_ns, algorithm)


def file_digest(path: os.PathLike, algorithm: str = "sha256") -> str:
    """Hex digest of a file's content, computed once per process per (file, size, mtime).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: unknown algorithm.
    """
    path = Path(path)
    key = _key(path, algorithm)
    with _lock:
        hit = _CACHE.get(key)
    if hit is not None:
        return hit
    h = Hasher(algorithm, key[1])
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    digest = h.hexdigest()
    with _lock:
        _CACHE[key] = digest
    return digest


def git_blob_sha1(data: bytes) -> str:
    """The git blob id of ``data`` (what ``git hash-object`` prints)."""
    h = Hasher("git_sha1", len(data))
    h.update(data)
    return h.hexdigest()


def clear_checksum_cache() -> None:
    """Forget all cached digests (tests; files changed in place with the same mtime)."""
    with _lock:
        _CACHE.clear()


def remember_digest(path: os.PathLike, algorithm: str, digest: str) -> None:
    """Record a digest computed elsewhere (e.g. while downloading) for ``path`` as it is now."""
    key = _key(Path(path), algorithm)
    with _lock:
        _CACHE[key] = digest
