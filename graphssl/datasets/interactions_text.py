"""Parsing the LightGCN/NGCF interaction text format: one line per user, ``user item item ...``."""
from __future__ import annotations

import re
import warnings
from typing import Tuple

import numpy as np

from .errors import DatasetFormatError

__all__ = ["parse_user_item_lines"]

_BAD = re.compile(rb"[^0-9 \t\r\n]")
_SEP = -(1 << 62)  # stands for a line break while parsing; real ids are >= 0


def parse_user_item_lines(data: bytes, dataset: str, file: str) -> Tuple[np.ndarray, np.ndarray, int]:
    """Parse ``user item item ...`` lines.

    Args:
        data: the file's bytes.
        dataset, file: named in errors.

    Returns:
        ``(users [nnz], items [nnz], max_user)`` int64; ``max_user`` counts users listed with
        no item too (-1 for an empty file).

    Raises:
        DatasetFormatError: a character other than digits and whitespace (the line is named).
    """
    bad = _BAD.search(data)
    if bad is not None:
        line = data.count(b"\n", 0, bad.start()) + 1
        raise DatasetFormatError(f"dataset {dataset!r}: {file} line {line}: unexpected character "
                                 f"{data[bad.start():bad.start() + 1]!r}; expected 'user item item ...' ids")
    text = data.decode("ascii").replace("\n", f" {_SEP} ")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            flat = np.fromstring(text, dtype=np.int64, sep=" ")
        except (ValueError, DeprecationWarning) as e:
            raise DatasetFormatError(f"dataset {dataset!r}: cannot parse {file}: {e}") from None
    is_sep = flat == _SEP
    # Position of each token within its line: 0 is the user id, the rest are items.
    line_id = np.cumsum(is_sep)
    starts = np.flatnonzero(np.concatenate([[True], is_sep[:-1]]))  # first token of each line
    pos = np.arange(flat.size) - np.repeat(starts, np.diff(np.concatenate([starts, [flat.size]])))
    tok = ~is_sep
    user_of_line = np.full(line_id[-1] + 1 if flat.size else 0, -1, dtype=np.int64)
    first = tok & (pos == 0)
    user_of_line[line_id[first]] = flat[first]
    item_tok = tok & (pos > 0)
    users = user_of_line[line_id[item_tok]]
    items = flat[item_tok]
    max_user = int(flat[first].max()) if first.any() else -1
    return users, items, max_user
