"""Writing a file so that a crash never leaves half of it: ``torch.save`` to a temporary file
beside the target, then an atomic rename."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Union

import torch

__all__ = ["atomic_torch_save"]


def atomic_torch_save(obj: Any, path: Union[str, os.PathLike]) -> None:
    """``torch.save(obj, path)``, atomically: readers see the old file or the whole new one.
    The parent folder is created; the temporary file has a unique name, so processes writing
    beside each other never share one, and it is removed if saving fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
