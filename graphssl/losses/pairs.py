"""Positive pairs between the rows of two embedding matrices, kept sparse.

A contrastive loss compares every row of ``anchor`` ``[N_a, D]`` with every row of
``sample`` ``[N_s, D]``. Which pairs are positives is given in one of three ways:

* ``None``: index-aligned, row ``i`` of ``anchor`` matches row ``i`` of ``sample``
  (needs ``N_a == N_s``);
* an integer tensor ``[2, P]``: column ``k`` is the pair ``(anchor[pos[0, k]], sample[pos[1, k]])``;
* a :class:`~graphssl.sparse.Graph` with ``num_src_nodes == N_a`` and
  ``num_dst_nodes == N_s``: the edge ``s -> t`` is the pair ``(anchor[s], sample[t])``, the
  same reading as its ``to_edge_index()`` (edge weights are ignored).

Everything else is a negative. Nothing here ever builds a dense ``N_a x N_s`` mask.
"""
from __future__ import annotations

from typing import Optional, Union

import torch
from torch import Tensor

from ..sparse import Graph

__all__ = ["PairIndex", "PositiveSpec", "positive_pairs"]

#: What a loss accepts as its ``pos`` argument.
PositiveSpec = Union[None, Tensor, Graph]


class PairIndex:
    """A set of ``(anchor, sample)`` index pairs, unique and sorted by anchor then sample.

    The constructor trusts its indices; :func:`positive_pairs` validates user input.

    Attributes:
        anchor: ``[P]`` int64 anchor row of each pair.
        sample: ``[P]`` int64 sample row of each pair.
        rowptr: ``[num_anchors + 1]`` int64, pairs of anchor ``i`` are ``rowptr[i]:rowptr[i+1]``.
        num_anchors, num_samples: the sizes the indices refer to.

    Example:
        >>> PairIndex(torch.tensor([1, 0, 1]), torch.tensor([2, 0, 2]), 2, 3).sample
        tensor([0, 2])
    """

    def __init__(self, anchor: Tensor, sample: Tensor, num_anchors: int, num_samples: int) -> None:
        # Sort and deduplicate with one key so repeated pairs never count twice.
        key = torch.unique(anchor * max(num_samples, 1) + sample)
        self.anchor = torch.div(key, max(num_samples, 1), rounding_mode="floor")
        self.sample = key - self.anchor * max(num_samples, 1)
        self.num_anchors = int(num_anchors)
        self.num_samples = int(num_samples)
        counts = torch.bincount(self.anchor, minlength=self.num_anchors)
        self.rowptr = torch.zeros(self.num_anchors + 1, dtype=torch.long, device=key.device)
        torch.cumsum(counts, 0, out=self.rowptr[1:])

    @property
    def num_pairs(self) -> int:
        return self.anchor.numel()

    def counts(self) -> Tensor:
        """``[num_anchors]`` number of positives of each anchor."""
        return self.rowptr[1:] - self.rowptr[:-1]

    def transpose(self) -> "PairIndex":
        """The same pairs seen from the sample side (sample becomes anchor)."""
        return PairIndex(self.sample, self.anchor, self.num_samples, self.num_anchors)

    def __repr__(self) -> str:
        return f"PairIndex(num_pairs={self.num_pairs}, num_anchors={self.num_anchors}, num_samples={self.num_samples})"


def positive_pairs(pos: PositiveSpec, num_anchors: int, num_samples: int,
                   device: Optional[torch.device] = None, allow_empty: bool = False) -> PairIndex:
    """Turn any accepted ``pos`` argument into a :class:`PairIndex`.

    Args:
        pos: ``None`` (index-aligned), an integer ``[2, P]`` tensor of ``(anchor, sample)``
            pairs, or a ``Graph`` whose edge ``s -> t`` is the pair ``(s, t)``.
        num_anchors, num_samples: ``N_a`` and ``N_s``.
        device: where the indices should live (defaults to ``pos``'s device or CPU).
        allow_empty: accept an empty set of pairs.

    Raises:
        ValueError: index-aligned with ``N_a != N_s``; a tensor that is not integer
            ``[2, P]``; an index out of range; a graph of the wrong size; no pair at all.
    """
    if pos is None:
        if num_anchors != num_samples:
            raise ValueError(
                f"index-aligned positives need as many anchors as samples, got {num_anchors} and {num_samples}; "
                "pass pos=[2, P] pairs or a Graph instead")
        idx = torch.arange(num_anchors, device=device)
        pairs = PairIndex(idx, idx, num_anchors, num_samples)
    elif isinstance(pos, Graph):
        if pos.num_src_nodes != num_anchors or pos.num_dst_nodes != num_samples:
            raise ValueError(
                f"positive graph has {pos.num_src_nodes} source and {pos.num_dst_nodes} target nodes, "
                f"expected {num_anchors} (anchors) and {num_samples} (samples)")
        ei, _ = pos.to_edge_index()
        ei = ei.to(device) if device is not None else ei
        pairs = PairIndex(ei[0], ei[1], num_anchors, num_samples)
    elif isinstance(pos, Tensor):
        if pos.is_floating_point() or pos.is_complex() or pos.dtype == torch.bool:
            raise ValueError(f"positive pairs must be an integer [2, P] tensor, got dtype {pos.dtype}")
        if pos.dim() != 2 or pos.size(0) != 2:
            raise ValueError(f"positive pairs must have shape [2, P], got {tuple(pos.shape)}")
        pos = pos.long().to(device) if device is not None else pos.long()
        if pos.numel():
            if int(pos.min()) < 0:
                raise ValueError(f"positive pairs contain a negative index ({int(pos.min())})")
            if int(pos[0].max()) >= num_anchors:
                raise ValueError(f"anchor index {int(pos[0].max())} is out of range for {num_anchors} anchors")
            if int(pos[1].max()) >= num_samples:
                raise ValueError(f"sample index {int(pos[1].max())} is out of range for {num_samples} samples")
        pairs = PairIndex(pos[0], pos[1], num_anchors, num_samples)
    else:
        raise ValueError(f"pos must be None, a [2, P] index tensor or a Graph, got {type(pos).__name__}")
    if pairs.num_pairs == 0 and not allow_empty:
        raise ValueError("there are no positive pairs")
    return pairs
