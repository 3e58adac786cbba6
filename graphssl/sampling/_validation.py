"""Input checks and small shared helpers of the samplers (errors name the problem)."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import torch
from torch import Tensor

from ..sparse.graph import Graph

__all__ = ["check_graph", "check_ids", "check_fanouts", "make_generator",
           "draw_seed", "num_threads", "index_view"]

# Below this much expected work a kernel runs on one thread: waking the pool costs more.
_SERIAL_BELOW = 1 << 13


def check_graph(graph: Graph, who: str, square: bool = True) -> Graph:
    """``graph`` must be a :class:`Graph` (square unless ``square=False``)."""
    if not isinstance(graph, Graph):
        raise ValueError(f"{who} needs a graphssl.sparse.Graph, got {type(graph).__name__}")
    if square and graph.num_src_nodes != graph.num_dst_nodes:
        raise ValueError(f"{who} needs a square graph, got {graph.num_src_nodes} source and "
                         f"{graph.num_dst_nodes} target nodes")
    return graph


def check_ids(ids, n: int, what: str, device: Optional[torch.device] = None) -> Tensor:
    """``ids`` as a 1-d int64 tensor of values in ``[0, n)``.

    Raises:
        ValueError: not 1-d integers, or a value out of range.
    """
    if not isinstance(ids, Tensor):
        try:
            ids = torch.as_tensor(ids)
        except (TypeError, ValueError, RuntimeError) as e:
            raise ValueError(f"{what} must be a 1-d integer tensor: {e}") from None
    if ids.dtype == torch.bool or ids.is_floating_point() or ids.is_complex():
        raise ValueError(f"{what} must have an integer dtype, got {ids.dtype}")
    if ids.dim() == 0:
        ids = ids.view(1)
    if ids.dim() != 1:
        raise ValueError(f"{what} must be 1-d, got shape {tuple(ids.shape)}")
    ids = ids.long()
    if device is not None:
        ids = ids.to(device)
    if ids.numel():
        lo, hi = int(ids.min()), int(ids.max())
        if lo < 0 or hi >= n:
            bad = lo if lo < 0 else hi
            raise ValueError(f"{what} contains {bad}, out of range [0, {n})")
    return ids


def check_fanouts(fanouts: Sequence[int]) -> list:
    """A non-empty list of ints, each ``>= 0`` or exactly ``-1`` (take every neighbour)."""
    if isinstance(fanouts, (int, np.integer)) or not hasattr(fanouts, "__len__"):
        raise ValueError(f"fanouts must be a list of ints (one per layer), got {fanouts!r}")
    out = []
    for f in fanouts:
        if isinstance(f, bool) or not isinstance(f, (int, np.integer)):
            raise ValueError(f"fanouts must be ints, got {f!r} in {list(fanouts)!r}")
        if f < -1:
            raise ValueError(f"fanouts must be >= 0 (or -1 for all neighbours), got {int(f)} in {list(fanouts)!r}")
        out.append(int(f))
    if not out:
        raise ValueError("fanouts is empty: give one fan-out per layer, e.g. [15, 10, 5]")
    return out


def make_generator(seed: Optional[int]) -> Optional[torch.Generator]:
    """A CPU generator seeded with ``seed``; None for None (torch's global RNG)."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an int or None, got {seed!r}")
    return torch.Generator().manual_seed(int(seed))


def draw_seed(generator: Optional[torch.Generator]) -> int:
    """One non-negative 62-bit integer from ``generator`` (or torch's global RNG)."""
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    dev = generator.device if generator is not None else "cpu"
    return int(torch.randint(0, 1 << 62, (1,), generator=generator, device=dev))


def num_threads(work: int) -> int:
    """Threads for a kernel doing about ``work`` steps: torch's thread count (so
    ``torch.set_num_threads`` governs sampling too; torch sets 1 inside ``DataLoader``
    workers), and 1 for small work."""
    if work < _SERIAL_BELOW:
        return 1
    return max(1, torch.get_num_threads())


def index_view(t: Tensor) -> np.ndarray:
    """Zero-copy numpy view of a CPU int64 tensor (converted when needed)."""
    return t.detach().to("cpu", torch.int64).contiguous().numpy()
