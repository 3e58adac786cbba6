"""Multi-process training with ``torch.distributed``: set-up from the environment that
``torchrun`` provides, the rank queries the trainer and the CLI use, and the wrapper
that lets :class:`torch.nn.parallel.DistributedDataParallel` drive a method's ``loss``.

``torchrun --nproc_per_node N -m graphssl pretrain ...`` starts N processes; each calls
:func:`init_from_env`, which joins the process group (``gloo`` on CPU, ``nccl`` on CUDA,
one GPU per local rank). :class:`graphssl.train.Trainer` then wraps the method in DDP,
gives every rank its own share of the seed nodes, and writes checkpoints from rank 0.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Union

import torch
import torch.distributed as dist
from torch import Tensor, nn

from .devices import resolve_device

__all__ = ["DistInfo", "init_from_env", "is_distributed", "get_rank", "get_world_size", "is_main_process",
           "barrier", "all_reduce_mean", "average_gradients", "sync_buffers", "LossModule", "cleanup"]


@dataclass
class DistInfo:
    """This process's place: ``rank`` of ``world_size``, its ``local_rank`` on the machine,
    and the ``device`` it computes on."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device


def init_from_env(device: Union[str, torch.device] = "cpu") -> DistInfo:
    """Join the process group described by torchrun's environment (``WORLD_SIZE``,
    ``RANK``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``), if there is one.

    Without those variables (a plain ``python`` run) nothing happens: rank 0 of 1 on
    ``device``. With CUDA each process takes GPU ``LOCAL_RANK`` and the ``nccl``
    backend; on CPU the ``gloo`` backend.

    Raises:
        ValueError: a CUDA device asked for without CUDA, or fewer GPUs than local ranks.
    """
    device = resolve_device(device)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo(0, 1, 0, device)
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":  # resolve_device has checked that CUDA is usable
        if local_rank >= torch.cuda.device_count():
            raise ValueError(f"local rank {local_rank} needs a GPU but only {torch.cuda.device_count()} are visible")
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return DistInfo(dist.get_rank(), dist.get_world_size(), local_rank, device)


def is_distributed() -> bool:
    """True inside an initialised process group of more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def get_rank() -> int:
    """This process's rank (0 when not distributed)."""
    return dist.get_rank() if is_distributed() else 0


def get_world_size() -> int:
    """Number of processes (1 when not distributed)."""
    return dist.get_world_size() if is_distributed() else 1


def is_main_process() -> bool:
    """True on rank 0 (and when not distributed): the process that writes and prints."""
    return get_rank() == 0


def barrier() -> None:
    """Wait for every rank (no-op when not distributed)."""
    if is_distributed():
        dist.barrier()


def _reduce_device() -> torch.device:
    return torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else torch.device("cpu")


def all_reduce_mean(value: float) -> float:
    """The mean of ``value`` over all ranks (the value itself when not distributed)."""
    if not is_distributed():
        return float(value)
    t = torch.tensor([float(value)], dtype=torch.float64, device=_reduce_device())
    dist.all_reduce(t)
    return float(t.item()) / dist.get_world_size()


def average_gradients(module: nn.Module) -> None:
    """Average every ``.grad`` over the ranks (what DDP does during ``backward``), for
    methods that fill gradients themselves (``manual_backward``, e.g. multi-task Pareto
    steps with ``torch.autograd.grad``, which DDP's hooks do not see). A parameter without
    a gradient on this rank counts as zero."""
    if not is_distributed():
        return
    world = dist.get_world_size()
    for p in module.parameters():
        if not p.requires_grad:
            continue
        if p.grad is None:
            p.grad = torch.zeros_like(p)
        dist.all_reduce(p.grad)
        p.grad.div_(world)


def sync_buffers(module: nn.Module) -> None:
    """Make every rank's buffers equal: floating-point ones (batch-norm running
    statistics, which each rank updates on its own batches) become their mean over the
    ranks, the others (counters) rank 0's. No-op when not distributed."""
    if not is_distributed():
        return
    world = dist.get_world_size()
    for b in module.buffers():
        if b.is_floating_point():
            dist.all_reduce(b.data)
            b.data.div_(world)
        else:
            dist.broadcast(b.data, src=0)


class LossModule(nn.Module):
    """``forward(data) = method.loss(data)``: the module DDP wraps, so its gradient hooks
    and unused-parameter search see the loss an SSL method computes."""

    def __init__(self, method: nn.Module) -> None:
        super().__init__()
        self.method = method

    def forward(self, data: Any) -> Tensor:
        return self.method.loss(data)


def cleanup() -> None:
    """Leave the process group (no-op when there is none)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
