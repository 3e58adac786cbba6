"""MovieLens 100K and 1M (GroupLens), read from the zip GroupLens ships
(``<root>/ml-100k/ml-100k.zip``, ``<root>/ml-1m/ml-1m.zip``) or from its extracted files
(``<root>/ml-100k/u.data`` ...). GroupLens forbids redistribution, so no copy is shared.

Every rating counts as an interaction (implicit feedback; ``min_rating`` filters), split
per user at random (seeded) into train / test. Users and items are renumbered from 0 in
the order of their ids; the items are all movies of the item file, rated or not.

Side features, all integer-coded categoricals (code 0 = missing/padding, see
``feature_vocab``): users ``gender``, ``age`` (ML-1M's groups; ML-100K ages are put into the
same groups: under 18, 18-24, 25-34, 35-44, 45-49, 50-55, 56+), ``occupation`` and
``zip_prefix`` (first ``zip_prefix_len`` characters of the zip code); items ``genre``
(``[I, K]``, multi-valued, padded with 0) and ``year`` (release year).
"""
from __future__ import annotations

import os
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from .cards import load_card as get_card
from .errors import DatasetFormatError
from .fetch import FileSet, fetch_files
from .registry import register_dataset
from .types import InteractionDataset
from .validate import parsing

__all__ = ["load_movielens", "per_user_split"]

NAMES = ("ml-100k", "ml-1m")
PAD = "<pad>"
GENRES_100K = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
               "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
               "War", "Western")
OCCUPATIONS_1M = ("other", "academic/educator", "artist", "clerical/admin", "college/grad student",
                  "customer service", "doctor/health care", "executive/managerial", "farmer", "homemaker",
                  "K-12 student", "lawyer", "programmer", "retired", "sales/marketing", "scientist", "self-employed",
                  "technician/engineer", "tradesman/craftsman", "unemployed", "writer")
AGE_GROUPS = (1, 18, 25, 35, 45, 50, 56)  # ML-1M's codes: the lower bound of each group
_YEAR = re.compile(r"\((\d{4})\)\s*$")


def _lines(files: FileSet, fname: str, name: str, sep: str, min_fields: int) -> List[List[str]]:
    f = files[fname]
    with parsing(name, f.display):
        text = f.read_bytes().decode("latin-1")
    rows = []
    for i, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        parts = line.split(sep)
        if len(parts) < min_fields:
            raise DatasetFormatError(f"dataset {name!r}: {f.display} line {i + 1} has {len(parts)} fields, "
                                     f"expected {min_fields} separated by {sep!r} (truncated or corrupt file?)")
        rows.append(parts)
    return rows


def _int(v: str, name: str, file: str, what: str) -> int:
    try:
        return int(v.strip())
    except ValueError:
        raise DatasetFormatError(f"dataset {name!r}: {file}: {what} {v!r} is not an integer") from None


def _encode(values: Sequence[str], key=None) -> Tuple[np.ndarray, List[str]]:
    """Categorical codes (1-based, 0 for '' = missing) and the vocabulary (``vocab[0] = PAD``)."""
    vocab = sorted({v for v in values if v}, key=key)
    index = {v: i + 1 for i, v in enumerate(vocab)}
    return np.array([index.get(v, 0) for v in values], dtype=np.int64), [PAD, *vocab]


def _encode_multi(values: Sequence[Sequence[str]], order: Sequence[str]) -> Tuple[np.ndarray, List[str]]:
    index = {v: i + 1 for i, v in enumerate(order)}
    width = max((len(v) for v in values), default=0)
    out = np.zeros((len(values), max(width, 1)), dtype=np.int64)
    for r, vs in enumerate(values):
        for c, v in enumerate(vs):
            out[r, c] = index[v]
    return out, [PAD, *order]


def _age_group(age: int) -> str:
    return str(max([AGE_GROUPS[0]] + [g for g in AGE_GROUPS if g <= age]))


def per_user_split(users: np.ndarray, train_ratio: float, seed: int) -> np.ndarray:
    """Bool ``[nnz]`` train mask: each user's interactions are shuffled (seeded) and
    ``floor(count * (1 - train_ratio))`` of them go to test, at least one when the user has
    two or more and ``train_ratio < 1`` (RecBole's rule); a single interaction stays in train.

    Raises:
        ValueError: ``train_ratio`` outside ``(0, 1]``.
    """
    if not 0.0 < train_ratio <= 1.0:
        raise ValueError(f"train_ratio must lie in (0, 1], got {train_ratio}")
    gen = torch.Generator().manual_seed(int(seed))
    r = torch.rand(users.size, generator=gen, dtype=torch.float64).numpy()
    order = np.lexsort((r, users))
    su = users[order]
    starts = np.flatnonzero(np.concatenate([[True], su[1:] != su[:-1]])) if su.size else np.zeros(0, dtype=np.int64)
    counts = np.diff(np.concatenate([starts, [su.size]]))
    rank = np.arange(su.size) - np.repeat(starts, counts)
    n_test = np.floor(counts * (1.0 - train_ratio) + 1e-9).astype(np.int64)
    if train_ratio < 1.0:
        n_test = np.where((n_test == 0) & (counts >= 2), 1, n_test)
    keep = rank < np.repeat(counts - n_test, counts)
    mask = np.zeros(users.size, dtype=bool)
    mask[order] = keep
    return mask


def _read_100k(files: FileSet, name: str, zip_prefix_len: int):
    ratings = [(r[0], r[1], r[2]) for r in _lines(files, "u.data", name, "\t", 4)]
    users = _lines(files, "u.user", name, "|", 5)
    items = _lines(files, "u.item", name, "|", 5 + len(GENRES_100K))
    uf = files["u.user"].display
    user_ids = [_int(u[0], name, uf, "user id") for u in users]
    ages = [_age_group(_int(u[1], name, uf, "age")) for u in users]
    user_cols = {"gender": [u[2].strip() for u in users], "age": ages,
                 "occupation": [u[3].strip() for u in users],
                 "zip_prefix": [u[4].strip()[:zip_prefix_len].upper() for u in users]}
    itf = files["u.item"].display
    item_ids = [_int(it[0], name, itf, "item id") for it in items]
    genres, years = [], []
    for it in items:
        flags = it[-len(GENRES_100K):]
        if any(v.strip() not in ("0", "1") for v in flags):
            raise DatasetFormatError(f"dataset {name!r}: {itf}: genre flags of item {it[0]} must be 0/1")
        genres.append([g for g, v in zip(GENRES_100K, flags) if v.strip() == "1"])
        date = it[2].strip()
        m = _YEAR.search(it[1])
        years.append(date[-4:] if len(date) >= 4 and date[-4:].isdigit() else (m.group(1) if m else ""))
    return ratings, user_ids, user_cols, item_ids, genres, list(GENRES_100K), years


def _read_1m(files: FileSet, name: str, zip_prefix_len: int):
    ratings = [(r[0], r[1], r[2]) for r in _lines(files, "ratings.dat", name, "::", 4)]
    users = _lines(files, "users.dat", name, "::", 5)
    movies = _lines(files, "movies.dat", name, "::", 3)
    uf = files["users.dat"].display
    user_ids = [_int(u[0], name, uf, "user id") for u in users]
    occ = []
    for u in users:
        code = _int(u[3], name, uf, "occupation")
        if not 0 <= code < len(OCCUPATIONS_1M):
            raise DatasetFormatError(f"dataset {name!r}: {uf}: occupation code {code} outside 0..20")
        occ.append(OCCUPATIONS_1M[code])
    user_cols = {"gender": [u[1].strip() for u in users], "age": [u[2].strip() for u in users],
                 "occupation": occ, "zip_prefix": [u[4].strip()[:zip_prefix_len].upper() for u in users]}
    mf = files["movies.dat"].display
    item_ids = [_int(m[0], name, mf, "movie id") for m in movies]
    # The title may itself contain "::"-free text only; genres are the last field.
    genres = [[g for g in m[-1].strip().split("|") if g] for m in movies]
    order = sorted({g for gs in genres for g in gs})
    years = []
    for m in movies:
        hit = _YEAR.search("::".join(m[1:-1]))
        years.append(hit.group(1) if hit else "")
    return ratings, user_ids, user_cols, item_ids, genres, order, years


def _index(ids: List[int], name: str, what: str) -> Dict[int, int]:
    if len(set(ids)) != len(ids):
        raise DatasetFormatError(f"dataset {name!r}: duplicate {what} ids")
    return {v: i for i, v in enumerate(sorted(ids))}


def load_movielens(name: str, root: Union[str, os.PathLike, None] = None, train_ratio: float = 0.8, seed: int = 0,
                   min_rating: Optional[float] = None, zip_prefix_len: int = 1, download: bool = True,
                   verify: bool = True, progress: bool = True) -> InteractionDataset:
    """Load MovieLens 100K or 1M with user/item side features and a per-user random split.

    Args:
        name: ``"ml-100k"`` or ``"ml-1m"``.
        root: data root (files under ``<root>/<name>/``).
        train_ratio: share of each user's interactions in train (the rest in test).
        seed: seeds the split.
        min_rating: keep only ratings ``>= min_rating`` (default: all ratings).
        zip_prefix_len: characters of the zip code kept as the ``zip_prefix`` feature.
        download, verify, progress: see :func:`graphssl.datasets.fetch_files`. No checksum is
            known for the GroupLens zips: a warning says so once per process.

    Returns:
        An :class:`InteractionDataset` with ``user_features`` (``gender, age, occupation,
        zip_prefix``: ``[U]`` each), ``item_features`` (``genre`` ``[I, K]``, ``year`` ``[I]``)
        and ``feature_vocab``.

    Raises:
        ValueError: bad ``train_ratio`` / ``zip_prefix_len`` / name. DatasetNotFoundError,
        DatasetFormatError (rows with missing fields, unknown ids): see ``load_dataset``.
    """
    if name not in NAMES:
        raise ValueError(f"unknown MovieLens dataset {name!r}; known: {', '.join(NAMES)}")
    if zip_prefix_len < 1:
        raise ValueError(f"zip_prefix_len must be >= 1, got {zip_prefix_len}")
    if not 0.0 < train_ratio <= 1.0:
        raise ValueError(f"train_ratio must lie in (0, 1], got {train_ratio}")
    files = fetch_files(get_card(name), root, download=download, verify=verify, progress=progress)
    reader = _read_100k if name == "ml-100k" else _read_1m
    ratings, user_ids, user_cols, item_ids, genres, genre_order, years = reader(files, name, zip_prefix_len)
    uidx, iidx = _index(user_ids, name, "user"), _index(item_ids, name, "item")
    rfile = files["u.data" if name == "ml-100k" else "ratings.dat"].display
    with parsing(name, rfile):
        raw = np.array(ratings, dtype=np.float64).reshape(-1, 3)
    if min_rating is not None:
        raw = raw[raw[:, 2] >= min_rating]
    try:
        u = np.fromiter((uidx[int(v)] for v in raw[:, 0]), dtype=np.int64, count=raw.shape[0])
        i = np.fromiter((iidx[int(v)] for v in raw[:, 1]), dtype=np.int64, count=raw.shape[0])
    except KeyError as e:
        raise DatasetFormatError(f"dataset {name!r}: {rfile} rates unknown user/item id {e.args[0]}") from None
    # Features are given in file order; reorder them to the sorted-id numbering.
    uperm = np.argsort(np.array(user_ids), kind="stable")
    iperm = np.argsort(np.array(item_ids), kind="stable")
    vocab: Dict[str, List[str]] = {}
    user_features = {}
    for col, values in user_cols.items():
        key = (lambda s: int(s)) if col == "age" else None
        codes, vocab[col] = _encode(values, key=key)
        user_features[col] = torch.from_numpy(codes[uperm])
    g_codes, vocab["genre"] = _encode_multi(genres, genre_order)
    y_codes, vocab["year"] = _encode(years, key=int)
    item_features = {"genre": torch.from_numpy(g_codes[iperm]), "year": torch.from_numpy(y_codes[iperm])}
    train_mask = per_user_split(u, train_ratio, seed)
    pairs = np.stack([u, i], axis=1)

    def sorted_pairs(p: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(p[np.lexsort((p[:, 1], p[:, 0]))].copy())
    return InteractionDataset(num_users=len(user_ids), num_items=len(item_ids), train=sorted_pairs(pairs[train_mask]),
                              test=sorted_pairs(pairs[~train_mask]), user_features=user_features,
                              item_features=item_features, feature_vocab=vocab, name=name)


def _register(name: str) -> None:
    def loader(root: Union[str, os.PathLike, None] = None, **kw: Any) -> InteractionDataset:
        return load_movielens(name, root, **kw)
    loader.__name__ = f"load_{name.replace('-', '_')}"
    loader.__doc__ = f"Load MovieLens {name[3:].upper()}; see :func:`load_movielens`."
    register_dataset(name)(loader)


for _n in NAMES:
    _register(_n)
