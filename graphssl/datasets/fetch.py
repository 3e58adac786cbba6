"""Finding a dataset's files under the data root, checking them, and downloading the missing ones.

A file is looked for at its canonical path first, then at each accepted alternative (for
example the zip or tar.gz archive its source ships, read in place without extracting).
Local files are checked against the card's checksum (hashing is cached per process); missing
ones are downloaded from the card's URLs with a progress bar and checked before they are kept.
"""
from __future__ import annotations

import contextlib
import gzip
import os
import tarfile
import urllib.error
import urllib.request
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from .cards import Alternative, DatasetCard, FileSpec
from .checksums import Hasher, file_digest, remember_digest
from .errors import ChecksumError, DatasetFormatError, DatasetNotFoundError
from .paths import ENV_VAR, data_root

__all__ = ["LocatedFile", "FileSet", "fetch_files", "files_present", "download_file"]

_CHUNK = 1 << 16
_WARNED: set = set()
Checkable = Union[FileSpec, Alternative]


@dataclass(frozen=True)
class LocatedFile:
    """A dataset file found on disk: a plain file, or a member of a zip / tar archive.

    ``open()`` yields the file's content as a binary stream, decompressing ``.gz`` files, so
    loaders read archives in place without extracting them.
    """

    spec: FileSpec
    path: Path
    member: Optional[str] = None

    @property
    def display(self) -> str:
        """How messages name the file (``archive.zip!member`` for archive members)."""
        return f"{self.path}!{self.member}" if self.member else str(self.path)

    @property
    def name(self) -> str:
        """The logical file name (the member's name inside an archive)."""
        return (self.member or self.path.name).rsplit("/", 1)[-1]

    @contextlib.contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """Context manager yielding a readable binary stream of the content.

        Raises:
            DatasetFormatError: the archive cannot be read or lacks the member.
        """
        with contextlib.ExitStack() as stack:
            if self.member is None:
                f: IO[bytes] = stack.enter_context(open(self.path, "rb"))
            else:
                f = _open_member(stack, self.path, self.member)
            if self.name.endswith(".gz"):
                f = stack.enter_context(gzip.GzipFile(fileobj=f, mode="rb"))
            yield f

    def read_bytes(self) -> bytes:
        """The whole (decompressed) content.

        Raises:
            DatasetFormatError: the archive or gzip stream is corrupt or truncated.
        """
        try:
            with self.open() as f:
                return f.read()
        except (EOFError, OSError, zipfile.BadZipFile, tarfile.TarError) as e:
            if isinstance(e, FileNotFoundError):
                raise
            raise DatasetFormatError(f"cannot read {self.display}: {e} (corrupt or truncated file?)") from None


def _open_member(stack: contextlib.ExitStack, path: Path, member: str) -> IO[bytes]:
    name = path.name.lower()
    try:
        if name.endswith(".zip"):
            zf = stack.enter_context(zipfile.ZipFile(path))
            try:
                return stack.enter_context(zf.open(member))
            except KeyError:
                raise DatasetFormatError(
                    f"archive {path} has no member {member!r}; it holds {zf.namelist()[:20]}") from None
        tf = stack.enter_context(tarfile.open(path, "r:*"))
        try:
            info = tf.getmember(member)
        except KeyError:
            raise DatasetFormatError(
                f"archive {path} has no member {member!r}; it holds {tf.getnames()[:20]}") from None
        f = tf.extractfile(info)
        if f is None:
            raise DatasetFormatError(f"member {member!r} of {path} is not a regular file")
        return stack.enter_context(f)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise DatasetFormatError(f"cannot read archive {path}: {e} (corrupt or truncated file?)") from None


class FileSet(Mapping[str, LocatedFile]):
    """The located files of one dataset, by canonical path; ``files["ind.cora.x"]`` also
    finds a file by its name."""

    def __init__(self, dataset: str, files: Dict[str, LocatedFile]) -> None:
        self.dataset = dataset
        self._files = files

    def __getitem__(self, key: str) -> LocatedFile:
        if key in self._files:
            return self._files[key]
        hits = [v for k, v in self._files.items() if k.endswith("/" + key)]
        if len(hits) == 1:
            return hits[0]
        raise KeyError(f"dataset {self.dataset!r} has no file {key!r}; it has {sorted(self._files)}")

    def __iter__(self):
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


# ---------------------------------------------------------------------------- checking
def _warn_unverified(dataset: str, path: Path, why: str) -> None:
    key = str(path.resolve())
    if key in _WARNED:
        return
    _WARNED.add(key)
    note = f" ({why})" if why else ""
    warnings.warn(f"dataset {dataset!r}: no checksum is known for {path}{note}; its integrity is not verified",
                  UserWarning, stacklevel=4)


def _matches(path: Path, c: Checkable, size: int) -> bool:
    if c.size is not None and int(c.size) != size:
        return False
    if c.sha256 and file_digest(path, "sha256") != c.sha256.lower():
        return False
    if c.git_sha1 and file_digest(path, "git_sha1") != c.git_sha1.lower():
        return False
    return True


def _describe(c: Checkable) -> str:
    parts = []
    if c.sha256:
        parts.append(f"sha256 {c.sha256}")
    if c.git_sha1:
        parts.append(f"git blob sha1 {c.git_sha1}")
    if c.size is not None:
        parts.append(f"{int(c.size):,} bytes")
    note = f" [{c.note}]" if isinstance(c, Alternative) and c.note else ""
    return ", ".join(parts) + note


def _verify_local(dataset: str, path: Path, candidates: Sequence[Checkable], why_unknown: str,
                  url: Optional[str]) -> None:
    """Accept ``path`` if it matches any candidate checksum; warn once if none is known."""
    known = [c for c in candidates if c.has_checksum]
    if not known:
        _warn_unverified(dataset, path, why_unknown)
        return
    size = path.stat().st_size
    if any(_matches(path, c, size) for c in known):
        return
    got = file_digest(path, "sha256")
    expected = "; or ".join(_describe(c) for c in known)
    fix = f"re-download it from {url}" if url else "replace it with the original"
    raise ChecksumError(
        f"checksum mismatch for {path} (dataset {dataset!r}): it has {size:,} bytes and sha256 {got}, "
        f"expected {expected}. The file is corrupt, truncated or a different version: delete it and "
        f"{fix}, or pass verify=False to skip this check.")


def _find_local(dataset: str, spec: FileSpec, root: Path, verify: bool) -> Optional[LocatedFile]:
    canonical = root / spec.path
    if canonical.is_file():
        if verify:
            same_path = [a for a in spec.alternatives if a.path == spec.path and a.member is None]
            _verify_local(dataset, canonical, [spec, *same_path], spec.checksum_note, spec.url)
        return LocatedFile(spec, canonical)
    for alt in spec.alternatives:
        p = root / alt.path
        if alt.path == spec.path or not p.is_file():
            continue
        if verify:
            _verify_local(dataset, p, [alt], spec.checksum_note, alt.url)
        return LocatedFile(spec, p, alt.member)
    return None


def files_present(card: DatasetCard, root: Union[str, os.PathLike, None] = None) -> bool:
    """Whether every file of ``card`` exists under the root (canonically or as an
    alternative); nothing is read or checked."""
    root = data_root(root)
    return all((root / spec.path).is_file() or any((root / a.path).is_file() for a in spec.alternatives)
               for spec in card.files)


# ---------------------------------------------------------------------------- downloading
class _DownloadFailed(Exception):
    def __init__(self, message: str, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable  # the network itself failed, not just this URL


def download_file(url: str, dest: Union[str, os.PathLike], sha256: Optional[str] = None,
                  git_sha1: Optional[str] = None, size: Optional[int] = None, progress: bool = True,
                  timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` with a progress bar, checking its checksum before keeping it.

    The content goes to ``dest + ".part"`` first and is renamed only once it matches, so an
    interrupted or wrong download never leaves a file that looks valid.

    Args:
        url: any URL urllib handles (https, http, file).
        dest: where to save it; parent folders are created.
        sha256, git_sha1, size: expected checksum(s) / size; none given = not checked.
        progress: show a tqdm progress bar (on stderr).
        timeout: socket timeout in seconds.

    Returns:
        ``Path(dest)``.

    Raises:
        ChecksumError: the downloaded content does not match (nothing is saved).
        OSError / urllib.error.URLError: the download failed (no network, HTTP error...).
    """
    from tqdm.auto import tqdm

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f"{dest.name}.{os.getpid()}.part")
    sha = Hasher("sha256")
    n = 0
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, open(part, "wb") as out:
            length = resp.headers.get("Content-Length") if hasattr(resp, "headers") else None
            total = int(length) if length and str(length).isdigit() else size
            with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=dest.name,
                      disable=not progress, leave=False) as bar:
                for chunk in iter(lambda: resp.read(_CHUNK), b""):
                    out.write(chunk)
                    sha.update(chunk)
                    n += len(chunk)
                    bar.update(len(chunk))
        got = sha.hexdigest()
        problems = []
        if size is not None and n != int(size):
            problems.append(f"{n:,} bytes instead of {int(size):,}")
        if sha256 and got != sha256.lower():
            problems.append(f"sha256 {got} instead of {sha256}")
        g = None
        if git_sha1 and not problems:
            g = file_digest(part, "git_sha1")
            if g != git_sha1.lower():
                problems.append(f"git blob sha1 {g} instead of {git_sha1}")
        if problems:
            raise ChecksumError(f"checksum mismatch for {dest.name} downloaded from {url}: "
                                f"{'; '.join(problems)}. It was not saved to {dest}; the source may have "
                                f"changed or the transfer was corrupted.")
        os.replace(part, dest)
    finally:
        if part.exists():
            part.unlink()
    remember_digest(dest, "sha256", got)
    if g is not None:
        remember_digest(dest, "git_sha1", g)
    return dest


def _download(dataset: str, spec: FileSpec, root: Path, progress: bool) -> LocatedFile:
    targets: List[Tuple[str, Checkable, Optional[str]]] = []
    if spec.url:
        targets.append((spec.url, spec, None))
    targets += [(a.url, a, a.member) for a in spec.alternatives if a.url and not a.local_only]
    if not targets:
        raise _DownloadFailed("no download URL is known")
    errors, unreachable = [], True
    for url, c, member in targets:
        dest = root / c.path
        try:
            download_file(url, dest, sha256=c.sha256, git_sha1=c.git_sha1, size=c.size, progress=progress)
        except (urllib.error.URLError, OSError, ValueError) as e:
            if isinstance(e, ChecksumError):
                raise
            # An HTTP error means the server answered: the network works, this URL does not.
            unreachable &= not isinstance(e, urllib.error.HTTPError)
            errors.append(f"{url}: {getattr(e, 'reason', None) or e}")
            continue
        if not c.has_checksum:
            _warn_unverified(dataset, dest, spec.checksum_note)
        return LocatedFile(spec, dest, member)
    raise _DownloadFailed("; ".join(errors), unreachable)


def _missing_message(dataset: str, missing: Sequence[FileSpec], root: Path, failures: Dict[str, str],
                     download: bool) -> str:
    lines = [f"dataset {dataset!r}: {len(missing)} file(s) not found under {root}:"]
    for spec in missing:
        alts = [a.path + (f" (containing {a.member})" if a.member else "")
                for a in spec.alternatives if a.path != spec.path]
        lines.append(f"  {spec.path}" + (f"  (or {', or '.join(alts)})" if alts else ""))
    folders = sorted({str((root / s.path).parent) for s in missing})
    lines.append(f"Put them in {' and '.join(folders)}, or point root= / ${ENV_VAR} at a folder that has them.")
    urls = list(dict.fromkeys(u for s in missing for u in [s.url, *(a.url for a in s.alternatives
                                                                  if not a.local_only)] if u))
    if urls:
        by_dir: Dict[str, List[str]] = {}
        for u in urls:
            head, _, tail = u.rpartition("/")
            by_dir.setdefault(head, []).append(tail)
        lines.append("They can be downloaded from: " + "; ".join(
            f"{head}/{names[0]}" if len(names) == 1 else f"{head}/ ({', '.join(names)})"
            for head, names in by_dir.items()))
    if not download:
        lines.append("Downloading was not attempted (download=False).")
    for path, why in failures.items():
        lines.append(f"Downloading {path} failed: {why}")
    skipped = len(missing) - len(failures)
    if download and failures and skipped:
        lines.append(f"The other {skipped} file(s) were not tried: the source could not be reached.")
    return "\n".join(lines)


def fetch_files(card: DatasetCard, root: Union[str, os.PathLike, None] = None, download: bool = True,
                verify: bool = True, progress: bool = True,
                only: Optional[Sequence[str]] = None) -> FileSet:
    """Locate (and if needed download) the files of a dataset.

    Args:
        card: the dataset's card.
        root: the data root (default: ``$GRAPHSSL_DATA`` or ``~/.cache/graphssl``).
        download: fetch missing files from the card's URLs.
        verify: check local files against the card's checksums (downloads are always checked).
        progress: progress bars while downloading.
        only: canonical paths (or file names) of the files wanted; default all.

    Returns:
        A :class:`FileSet` of the located files.

    Raises:
        DatasetNotFoundError: files are missing and could not be downloaded; the message names
            the files, the folder to put them in and their URLs.
        ChecksumError: a local or downloaded file does not match its checksum.
    """
    root = data_root(root)
    specs = list(card.files)
    if only is not None:
        specs = [s for s in specs if s.path in only or s.name in only]
    found: Dict[str, LocatedFile] = {}
    missing: List[FileSpec] = []
    for spec in specs:
        loc = _find_local(card.name, spec, root, verify)
        if loc is None:
            missing.append(spec)
        else:
            found[spec.path] = loc
    failures: Dict[str, str] = {}
    if missing and download:
        offline = False
        for spec in missing:
            # An archive downloaded for an earlier file may hold this one too.
            loc = _find_local(card.name, spec, root, verify)
            if loc is None:
                if offline:  # don't wait for one timeout per file
                    continue
                try:
                    loc = _download(card.name, spec, root, progress)
                except _DownloadFailed as e:
                    failures[spec.path] = str(e)
                    offline = e.unreachable
                    continue
            found[spec.path] = loc
        missing = [s for s in missing if s.path not in found]
    if missing:
        raise DatasetNotFoundError(_missing_message(card.name, missing, root, failures, download))
    return FileSet(card.name, found)
