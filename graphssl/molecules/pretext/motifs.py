"""GROVER's graph-level motif prediction (Rong et al., NeurIPS 2020): predict which
functional groups a molecule contains, a multi-label target computed with rdkit.

The motifs are rdkit's 85 functional-group counters ``rdkit.Chem.Fragments.fr_*`` (the
semantic motifs GROVER uses); a label is 1 when the count is positive. Labels are computed
from the SMILES once per molecule and cached.
"""
from __future__ import annotations

from functools import lru_cache
from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...methods.base import GraphInput
from ...multitask.task import PretextTask, register_task
from ...nn.pool import global_pool
from .common import check_molecules, encode

__all__ = ["motif_names", "motif_labels", "batch_motif_labels", "MotifPrediction"]


@lru_cache(maxsize=1)
def _fragment_functions() -> tuple:
    try:
        from rdkit.Chem import Fragments
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("motif labels need rdkit: pip install graphssl[chem] (or pip install rdkit)") from e
    names = sorted(n for n in dir(Fragments) if n.startswith("fr_"))
    return tuple((n, getattr(Fragments, n)) for n in names)


def motif_names() -> List[str]:
    """The motif names in label order (``fr_Al_COO``, ``fr_Al_OH``, ...; 85 with current rdkit)."""
    return [n for n, _ in _fragment_functions()]


@lru_cache(maxsize=200_000)
def _labels_of(smiles: str) -> tuple:
    from rdkit import Chem, rdBase
    block = rdBase.BlockLogs()
    mol = Chem.MolFromSmiles(smiles)
    del block
    if mol is None:
        raise ValueError(f"rdkit cannot parse the SMILES {smiles!r}")
    return tuple(1.0 if fn(mol) > 0 else 0.0 for _, fn in _fragment_functions())


def motif_labels(smiles: Sequence[str]) -> Tensor:
    """``[n, M]`` float 0/1: does molecule ``i`` contain motif ``j`` (:func:`motif_names`).

    Raises:
        ValueError: a SMILES rdkit cannot parse (named), or a non-string.
        ImportError: rdkit is not installed.
    """
    if isinstance(smiles, str):
        raise ValueError("motif_labels takes a list of SMILES, got one string")
    rows = []
    for s in smiles:
        if not isinstance(s, str):
            raise ValueError(f"motif_labels needs SMILES strings, got {type(s).__name__}")
        rows.append(_labels_of(s))
    return torch.tensor(rows, dtype=torch.float32).view(len(rows), len(_fragment_functions()))


def batch_motif_labels(data: GraphInput) -> Tensor:
    """The motif labels of a batch: its ``motif_labels [B, M]`` attribute, else computed from
    its ``smiles`` attribute (a list of ``B`` SMILES).

    Raises:
        ValueError: the batch has neither.
    """
    y = getattr(data, "motif_labels", None)
    if y is not None:
        return y
    smiles = getattr(data, "smiles", None)
    if smiles is None:
        raise ValueError("motif prediction needs the batch's SMILES: set batch.smiles (a list) or "
                         "batch.motif_labels ([B, M], from motif_labels(smiles))")
    return motif_labels(list(smiles)).to(data.x.device)


@register_task("mol_motif_prediction")
class MotifPrediction(PretextTask):
    """Predict each molecule's functional groups from its pooled embedding (multi-label
    binary cross-entropy with a linear head), on the unmasked molecule as GROVER does.

    Args:
        in_dim: atom feature columns (unused; registry signature).
        emb_dim: encoder output width.
        num_motifs: label width (default: the number of rdkit ``fr_*`` counters).
        pooling: ``"mean"`` (default), ``"sum"`` or ``"max"``.
    """

    def __init__(self, in_dim: int = 9, emb_dim: int = 300, num_motifs: Optional[int] = None,
                 pooling: str = "mean") -> None:
        super().__init__()
        num_motifs = len(_fragment_functions()) if num_motifs is None else int(num_motifs)
        self.pooling = pooling
        self.head = nn.Linear(emb_dim, num_motifs)

    def loss(self, encoder: nn.Module, data: GraphInput, generator: Optional[torch.Generator] = None) -> Tensor:
        batch = check_molecules(data, "motif prediction")
        y = batch_motif_labels(batch)
        if y.shape != (batch.num_graphs, self.head.out_features):
            raise ValueError(f"motif labels have shape {tuple(y.shape)}, expected "
                             f"({batch.num_graphs}, {self.head.out_features})")
        g = global_pool(encode(encoder, batch), batch, self.pooling)
        return F.binary_cross_entropy_with_logits(self.head(g), y.to(g.dtype))
