"""Errors raised by the dataset loaders: each names the dataset and the file concerned."""
from __future__ import annotations

__all__ = ["DatasetNotFoundError", "ChecksumError", "DatasetFormatError"]


class DatasetNotFoundError(FileNotFoundError):
    """The files of a dataset are missing and could not be downloaded.

    The message lists the files expected, the folder to put them in and where to get them.
    """


class ChecksumError(ValueError):
    """A file's content does not match the checksum listed in its dataset card."""


class DatasetFormatError(ValueError):
    """A dataset file could not be parsed (truncated, corrupt or not in the expected format)."""
