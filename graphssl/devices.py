"""Device names checked before any work starts: ``"cuda"`` on a machine without a usable
GPU is a clear error naming the problem, not an assertion from deep inside torch."""
from __future__ import annotations

import argparse
from typing import Union

import torch

__all__ = ["default_device", "resolve_device", "device_argument"]


def default_device() -> str:
    """``"cuda"`` when a CUDA GPU is usable, else ``"cpu"``."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_device(device: Union[str, torch.device, None]) -> torch.device:
    """The :class:`torch.device` for ``device`` after checking this machine can use it.

    Args:
        device: ``"cpu"``, ``"cuda"``, ``"cuda:N"``, another torch device name, a
            ``torch.device``, or ``None`` (:func:`default_device`).

    Raises:
        ValueError: a name torch does not know, a CUDA device without a usable GPU (a
            CPU-only torch build, or no GPU visible), a GPU index beyond the visible ones,
            or another device type this torch cannot allocate on.
    """
    if device is None:
        return torch.device(default_device())
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"unknown device {device!r}; use cpu, cuda or cuda:N") from None
    if dev.type == "cpu":
        return dev
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            why = ("this torch build has no CUDA support" if torch.version.cuda is None
                   else "no CUDA GPU is visible (check CUDA_VISIBLE_DEVICES and the driver)")
            raise ValueError(f"device {str(device)!r} asked for, but {why} (torch {torch.__version__}); use 'cpu'")
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            raise ValueError(f"device {str(device)!r} asked for, but only {count} CUDA GPU(s) are visible")
        return dev
    try:
        torch.empty(0, device=dev)
    except (RuntimeError, AssertionError) as e:
        raise ValueError(f"device {str(device)!r} is not usable here: {str(e).splitlines()[0]}") from None
    return dev


def device_argument(value: str) -> str:
    """``argparse`` type for ``--device``: the normalised name (``"cuda:0"``, ``"cpu"``), or
    the usage error of :func:`resolve_device`."""
    try:
        return str(resolve_device(value))
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
