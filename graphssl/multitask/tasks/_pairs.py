"""Pair features shared by the SelfTask pair-level tasks."""
from __future__ import annotations

from torch import Tensor

__all__ = ["abs_diff"]


def abs_diff(h: Tensor, pairs: Tensor) -> Tensor:
    """``[P, D]`` ``|h_u - h_v|`` of the node pairs ``pairs [2, P]`` (SelfTask-GNN's pair
    representation: symmetric in ``u`` and ``v``)."""
    return (h.index_select(0, pairs[0]) - h.index_select(0, pairs[1])).abs()
