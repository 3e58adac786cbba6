"""GROVER's contextual property prediction (Rong et al., NeurIPS 2020): predict the
composition of an atom's neighbourhood, a class from a dictionary built over the corpus.

An atom's *context label* (GROVER's ``atom_to_vocab`` for ``k = 1``) is its element followed by
the sorted counts of ``neighbour element - bond type`` pairs, e.g. the carbonyl carbon of
acetic acid ``CC(=O)O`` is ``C_C-SINGLE1_O-DOUBLE1_O-SINGLE1``. For ``k >= 2`` the label adds,
for each hop ``d = 2..k``, the counts of the elements at exactly ``d`` hops
(``...|2:C1_O1``). The readable string (:func:`context_label`) names dictionary entries;
training uses an equivalent 64-bit multiset hash computed for a whole batch at once
(:func:`context_keys`), so the labels of a batch cost a few tensor operations.

A bond's label (GROVER's ``bond_to_vocab``) is its type followed by the sorted counts of
``end atom - other bond type`` over the other bonds of its two end atoms, e.g. the C=O bond
of acetic acid is ``DOUBLE_C-SINGLE2`` (:func:`bond_context_label`, :func:`bond_context_keys`).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, List, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...checks import check_fraction
from ...methods.base import GraphInput
from ...multitask.task import PretextTask, register_task
from ...sparse import Graph
from ...sparse.batch import GraphBatch
from ..features import ATOM_FEATURE_DIMS, BOND_FEATURES
from .attribute_masking import mask_atoms
from .common import check_molecules, encode

__all__ = ["context_label", "context_keys", "bond_context_label", "bond_context_keys", "hop_pairs",
           "ContextVocabulary", "build_context_vocabulary", "ContextualProperty"]

_SYMBOLS: Optional[List[str]] = None
_MAX_K = 4
_HASH_BITS = 48  # sums of <= 2**15 such values never overflow int64


def _symbol(code: int) -> str:
    global _SYMBOLS
    if _SYMBOLS is None:
        try:
            from rdkit import Chem
            pt = Chem.GetPeriodicTable()
            _SYMBOLS = [pt.GetElementSymbol(z) for z in range(1, 119)] + ["*"]
        except ImportError:  # names are cosmetic: atomic numbers will do
            _SYMBOLS = [f"Z{z}" for z in range(1, 119)] + ["*"]
    return _SYMBOLS[code] if 0 <= code < len(_SYMBOLS) else "?"


def _bond(code: int) -> str:
    names = BOND_FEATURES["bond_type"]
    return str(names[code]) if 0 <= code < len(names) else "?"


def context_label(x: Tensor, edge_attr: Tensor, graph: Graph, atom: int, k: int = 1) -> str:
    """The readable context label of ``atom`` (reference implementation, one atom).

    Args:
        x, edge_attr, graph: a molecule (or a batch) with OGB codes.
        atom: the atom's row.
        k: context radius (1: GROVER's label).
    """
    dst, src = graph.row().tolist(), graph.col.tolist()
    adj: dict = {}
    for e, (t, s) in enumerate(zip(dst, src)):
        adj.setdefault(t, []).append((s, e))
    elem = x[:, 0].tolist()
    bond = edge_attr[:, 0].tolist()
    first = Counter(f"{_symbol(elem[s])}-{_bond(bond[e])}" for s, e in adj.get(atom, []))
    label = _symbol(elem[atom]) + "".join(f"_{key}{first[key]}" for key in sorted(first))
    seen, frontier = {atom}, {atom}
    for d in range(1, k + 1):
        nxt = {s for a in frontier for s, _ in adj.get(a, [])} - seen
        seen |= nxt
        frontier = nxt
        if d >= 2:
            c = Counter(_symbol(elem[a]) for a in nxt)
            label += f"|{d}:" + "_".join(f"{key}{c[key]}" for key in sorted(c))
    return label


_TABLES: dict = {}


def _tables(device: torch.device) -> Tensor:
    """Fixed random hash values: row 0 the atom's own element, row 1 (element, bond type)
    tokens of the first hop, rows 2..K the elements at hop d, row K+1 the (end atom, other
    bond) tokens of a bond, row K+2 the bond's own type (cached per device)."""
    key = str(device)
    if key not in _TABLES:
        gen = torch.Generator().manual_seed(20201106)
        width = (ATOM_FEATURE_DIMS[0] + 1) * 8  # + the mask index, should a masked batch come in
        _TABLES[key] = torch.randint(1, 2 ** _HASH_BITS, (_MAX_K + 3, width), generator=gen).to(device)
    return _TABLES[key]


def hop_pairs(graph: Graph, k: int) -> List[Tensor]:
    """For ``d = 1..k``: ``[2, P_d]`` the ``(atom, other)`` pairs at exactly ``d`` hops."""
    n = graph.num_nodes
    dst, src = graph.row(), graph.col
    rowptr = graph.rowptr
    deg = rowptr[1:] - rowptr[:-1]
    seen = torch.cat([torch.arange(n, device=dst.device) * (n + 1), dst * n + src]).unique()
    out = [torch.stack([dst, src])]
    cur = out[0]
    for _ in range(2, k + 1):
        mid = cur[1]
        reps = deg[mid]
        origin = torch.repeat_interleave(cur[0], reps)
        starts = torch.repeat_interleave(rowptr[mid], reps)
        first = torch.repeat_interleave(torch.cumsum(reps, 0) - reps, reps)
        offs = torch.arange(first.numel(), device=dst.device) - first
        other = graph.col[starts + offs]
        key = (origin * n + other).unique()
        key = key[~torch.isin(key, seen)]
        seen = torch.cat([seen, key]).unique()
        cur = torch.stack([key // n, key % n])
        out.append(cur)
    return out


def context_keys(x: Tensor, edge_attr: Tensor, graph: Graph, k: int = 1) -> Tensor:
    """``[N]`` int64 hash of every atom's context label (equal labels <=> equal keys, up to
    a ~2^-48 collision chance per pair of distinct labels).

    Raises:
        ValueError: ``k`` outside ``1..4``.
    """
    if not 1 <= k <= _MAX_K:
        raise ValueError(f"context radius k must lie in 1..{_MAX_K}, got {k}")
    t = _tables(x.device)
    elem = x[:, 0]
    key = t[0][elem].clone()
    dst, src = graph.row(), graph.col
    tok = elem[src] * 8 + edge_attr[:, 0]
    key.index_add_(0, dst, t[1][tok])
    if k >= 2:
        for d, pairs in enumerate(hop_pairs(graph, k)[1:], start=2):
            key.index_add_(0, pairs[0], t[d][elem[pairs[1]]])
    return key


def bond_context_label(x: Tensor, edge_attr: Tensor, graph: Graph, edge: int) -> str:
    """The readable context label of the bond of CSR edge ``edge`` (reference, one bond)."""
    dst, src = graph.row().tolist(), graph.col.tolist()
    elem, bond = x[:, 0].tolist(), edge_attr[:, 0].tolist()
    u, v = src[edge], dst[edge]
    c: Counter = Counter()
    for e, (t, s_) in enumerate(zip(dst, src)):
        if t in (u, v) and s_ not in (u, v):
            c[f"{_symbol(elem[t])}-{_bond(bond[e])}"] += 1
    return _bond(bond[edge]) + "".join(f"_{key}{c[key]}" for key in sorted(c))


def bond_context_keys(x: Tensor, edge_attr: Tensor, graph: Graph) -> Tensor:
    """``[E]`` int64 hash of every edge's bond context label (both directions of a bond get
    the same key)."""
    t = _tables(x.device)
    elem, btype = x[:, 0], edge_attr[:, 0]
    dst, src = graph.row(), graph.col
    row = t[_MAX_K + 1]
    tok_at_dst = row[elem[dst] * 8 + btype]  # edge s -> t seen from its end atom t
    tok_at_src = row[elem[src] * 8 + btype]
    around = torch.zeros(x.size(0), dtype=torch.long, device=x.device).index_add_(0, dst, tok_at_dst)
    # the other bonds of both end atoms: everything around them minus this bond (seen from each end)
    return t[_MAX_K + 2][btype] + around[src] + around[dst] - tok_at_dst - tok_at_src


@dataclass
class ContextVocabulary:
    """The dictionary of context labels: class ``0`` = rare / unseen, ``1..V`` the keys.

    Attributes:
        keys: ``[V]`` sorted label hashes.
        counts: ``[V]`` occurrences in the corpus.
        names: ``V`` readable labels (aligned with ``keys``).
        k: the context radius the keys were computed with (atoms).
        kind: ``"atom"`` (one label per atom) or ``"bond"`` (one per edge).
    """

    keys: Tensor
    counts: Tensor
    names: List[str]
    k: int = 1
    kind: str = "atom"

    def __len__(self) -> int:
        """Number of classes (dictionary entries + the rare class)."""
        return int(self.keys.numel()) + 1

    def lookup(self, keys: Tensor) -> Tensor:
        """``[N]`` class of every key (0 for keys not in the dictionary)."""
        table = self.keys.to(keys.device)
        if table.numel() == 0:
            return torch.zeros_like(keys)
        pos = torch.searchsorted(table, keys).clamp_max(table.numel() - 1)
        return torch.where(table[pos] == keys, pos + 1, torch.zeros_like(pos))

    def labels(self, batch: GraphBatch) -> Tensor:
        """``[N]`` class of every atom (``[E]`` of every edge for a bond vocabulary) of a batch."""
        return self.lookup(_keys(batch, self.kind, self.k))


def _keys(batch: GraphBatch, kind: str, k: int) -> Tensor:
    if kind == "bond":
        return bond_context_keys(batch.x, batch.edge_attr, batch.graph)
    return context_keys(batch.x, batch.edge_attr, batch.graph, k)


def _name(batch: GraphBatch, i: int, kind: str, k: int) -> str:
    """The readable label of atom / edge ``i``, computed on its molecule alone."""
    g = batch.graph
    node = int(g.row()[i]) if kind == "bond" else i
    m = int(batch.batch[node])
    n0, n1 = int(batch.ptr[m]), int(batch.ptr[m + 1])
    e0, e1 = int(g.rowptr[n0]), int(g.rowptr[n1])
    mol = Graph(g.rowptr[n0:n1 + 1] - e0, g.col[e0:e1] - n0, validate=False)
    x, ea = batch.x[n0:n1], batch.edge_attr[e0:e1]
    if kind == "bond":
        return bond_context_label(x, ea, mol, i - e0)
    return context_label(x, ea, mol, i - n0, k)


def build_context_vocabulary(batches: Iterable[GraphBatch], k: int = 1, min_count: int = 1,
                             max_size: Optional[int] = None, kind: str = "atom") -> ContextVocabulary:
    """Count the context labels of a corpus (given as molecule batches) and keep those seen
    at least ``min_count`` times (the ``max_size`` most frequent, if given).

    Args:
        kind: ``"atom"`` labels (radius ``k``) or ``"bond"`` labels (counted once per bond).

    Raises:
        ValueError: ``min_count < 1``, an unknown kind, no atoms, or a bad batch.
    """
    if min_count < 1:
        raise ValueError(f"min_count must be >= 1, got {min_count}")
    if kind not in ("atom", "bond"):
        raise ValueError(f"kind must be 'atom' or 'bond', got {kind!r}")
    keys, examples = [], []
    for b in batches:
        check_molecules(b, "build_context_vocabulary")
        kk = _keys(b, kind, k)
        if kind == "bond":  # one count per bond, not per direction
            kk = kk[b.graph.col < b.graph.row()]
            ids = (b.graph.col < b.graph.row()).nonzero().view(-1)
        else:
            ids = torch.arange(kk.numel())
        uniq, inv = kk.unique(return_inverse=True)
        first = torch.full((uniq.numel(),), kk.numel(), dtype=torch.long).scatter_reduce(
            0, inv, torch.arange(kk.numel()), "amin")
        keys.append(kk)
        examples.extend((int(key), b, int(ids[i])) for key, i in zip(uniq.tolist(), first.tolist()))
    if not keys:
        raise ValueError("build_context_vocabulary got no atoms")
    uniq, counts = torch.cat(keys).unique(return_counts=True)
    keep = counts >= min_count
    uniq, counts = uniq[keep], counts[keep]
    if max_size is not None and uniq.numel() > max_size:
        top = torch.argsort(counts, descending=True, stable=True)[:max_size].sort().values
        uniq, counts = uniq[top], counts[top]
    wanted = set(uniq.tolist())
    name_of = {}
    for key, b, i in examples:
        if key in wanted and key not in name_of:
            name_of[key] = _name(b, i, kind, k)
    return ContextVocabulary(uniq, counts, [name_of[key] for key in uniq.tolist()], k, kind)


@register_task("mol_context_property")
class ContextualProperty(PretextTask):
    """GROVER's contextual property prediction on masked atoms (and their bonds).

    ``mask_rate`` of every molecule's atoms (at least one) are masked together with their
    bonds (mask tokens). A linear head classifies each masked atom's context label into the
    atom dictionary; with ``bond_vocab``, another classifies each masked bond's context
    label (GROVER's bond vocabulary) from the sum of its end atoms' embeddings. Losses are
    cross-entropies (rare labels are class 0), summed. GROVER itself predicts the labels of
    atoms whose input is not hidden; masking keeps the task from being a lookup.

    Args:
        in_dim: atom feature columns (unused; registry signature).
        emb_dim: encoder output width.
        vocab: the atom dictionary (:func:`build_context_vocabulary` on the pretraining
            corpus), which also fixes the radius ``k``.
        bond_vocab: the bond dictionary (``kind="bond"``), or None for atom labels only.
        mask_rate: share of atoms masked and predicted (GROVER: 0.15).

    Raises:
        ValueError: no atom vocabulary, vocabularies of the wrong kind, or ``mask_rate``
            outside (0, 1).
    """

    def __init__(self, in_dim: int = 9, emb_dim: int = 300, vocab: Optional[ContextVocabulary] = None,
                 bond_vocab: Optional[ContextVocabulary] = None, mask_rate: float = 0.15) -> None:
        super().__init__()
        if not isinstance(vocab, ContextVocabulary) or vocab.kind != "atom":
            raise ValueError("ContextualProperty needs vocab= an atom ContextVocabulary (build_context_vocabulary "
                             "on the pretraining corpus)")
        if bond_vocab is not None and (not isinstance(bond_vocab, ContextVocabulary) or bond_vocab.kind != "bond"):
            raise ValueError("bond_vocab must be a ContextVocabulary built with kind='bond'")
        check_fraction("mask_rate", mask_rate, low_open=True)
        self.vocab, self.bond_vocab, self.mask_rate = vocab, bond_vocab, float(mask_rate)
        self.head = nn.Linear(emb_dim, len(vocab))
        self.bond_head = nn.Linear(emb_dim, len(bond_vocab)) if bond_vocab is not None else None
        self.last_accuracy: float = float("nan")

    def loss(self, encoder: nn.Module, data: GraphInput, generator: Optional[torch.Generator] = None) -> Tensor:
        batch = check_molecules(data, "contextual property prediction")
        target = self.vocab.labels(batch)
        m = mask_atoms(batch, self.mask_rate, generator, mask_bonds=True, plus_one=False)
        h = encode(encoder, batch, m.x, m.edge_attr)
        logits = self.head(h[m.atoms])
        y = target[m.atoms]
        self.last_accuracy = float((logits.argmax(1) == y).float().mean())
        loss = F.cross_entropy(logits, y)
        if self.bond_head is not None:
            g = batch.graph
            one_way = m.edges[g.col[m.edges] < g.row()[m.edges]]
            if one_way.numel():
                rep = h[g.col[one_way]] + h[g.row()[one_way]]
                loss = loss + F.cross_entropy(self.bond_head(rep), self.bond_vocab.labels(batch)[one_way])
        return loss
