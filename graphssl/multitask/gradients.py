"""Per-task gradients on shared parameters, kept as one flat ``[T, P]`` matrix on the
parameters' device, and the way back from a flat vector to the parameters' ``.grad``."""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

__all__ = ["task_gradients", "accumulate_flat_grad", "accumulate_grads"]


def task_gradients(loss: Tensor, shared: Sequence[nn.Parameter], own: Sequence[nn.Parameter], out: Tensor
                   ) -> Tuple[List[bool], List[Optional[Tensor]]]:
    """One backward pass of ``loss``: its gradient on ``shared`` written flat into ``out``
    (a ``[P]`` row, zeros where a parameter is unused) and its gradients on ``own``.

    Returns:
        ``(used, own_grads)``: per shared parameter, whether ``loss`` depends on it; per own
        parameter, its gradient (None where unused).
    """
    grads = torch.autograd.grad(loss, list(shared) + list(own), allow_unused=True)
    used, offset = [], 0
    for p, g in zip(shared, grads[: len(shared)]):
        k = p.numel()
        if g is None:
            out[offset:offset + k].zero_()
        else:
            out[offset:offset + k].copy_(g.reshape(-1))
        used.append(g is not None)
        offset += k
    return used, list(grads[len(shared):])


def accumulate_flat_grad(params: Sequence[nn.Parameter], flat: Tensor, used: Sequence[bool]) -> None:
    """Add the slices of ``flat [P]`` to the ``.grad`` of the parameters marked ``used``
    (the others keep their ``.grad``, so an optimiser skips them as with ``backward``)."""
    offset = 0
    for p, u in zip(params, used):
        k = p.numel()
        if u:
            g = flat[offset:offset + k].view_as(p).to(p.dtype)
            p.grad = g.clone() if p.grad is None else p.grad.add_(g)
        offset += k


def accumulate_grads(params: Sequence[nn.Parameter], grads: Sequence[Optional[Tensor]], scale: float = 1.0) -> None:
    """``p.grad += scale * g`` for every given gradient (None entries skipped)."""
    for p, g in zip(params, grads):
        if g is None:
            continue
        g = g if scale == 1.0 else g * scale
        p.grad = g.detach().clone() if p.grad is None else p.grad.add_(g)
