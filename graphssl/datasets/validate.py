"""Checks shared by the loaders: parse errors that name the file, and finite features."""
from __future__ import annotations

import contextlib
import json
import pickle
import tarfile
import zipfile
from typing import Iterator, Union

import numpy as np
import torch

from .errors import ChecksumError, DatasetFormatError, DatasetNotFoundError

__all__ = ["parsing", "check_finite"]

_PARSE_ERRORS = (ValueError, KeyError, IndexError, TypeError, EOFError, OSError, AttributeError,
                 zipfile.BadZipFile, tarfile.TarError, pickle.UnpicklingError, json.JSONDecodeError,
                 UnicodeDecodeError)


@contextlib.contextmanager
def parsing(dataset: str, file: str) -> Iterator[None]:
    """Turn any parse failure inside the block into a :class:`DatasetFormatError` naming
    ``dataset`` and ``file`` (errors that already name them pass through unchanged).

    Raises:
        DatasetFormatError: the block raised a parse-type error.
    """
    try:
        yield
    except (DatasetFormatError, ChecksumError, DatasetNotFoundError):
        raise
    except _PARSE_ERRORS as e:
        raise DatasetFormatError(
            f"dataset {dataset!r}: cannot parse {file}: {type(e).__name__}: {e} "
            f"(the file is truncated, corrupt or not in the expected format)") from e


def check_finite(values: Union[np.ndarray, torch.Tensor], dataset: str, file: str, what: str = "features") -> None:
    """Raise if ``values`` holds NaN or inf.

    Raises:
        ValueError: naming the dataset, the file and how many entries are bad.
    """
    bad = (~torch.isfinite(values)) if isinstance(values, torch.Tensor) else ~np.isfinite(values)
    n = int(bad.sum())
    if n:
        raise ValueError(f"dataset {dataset!r}: {what} read from {file} contain {n} NaN/inf value(s)")
