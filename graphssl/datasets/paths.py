"""Where datasets live: the ``root=`` argument, else ``$GRAPHSSL_DATA``, else ``~/.cache/graphssl``."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Union

__all__ = ["data_root", "ENV_VAR", "DEFAULT_ROOT"]

ENV_VAR = "GRAPHSSL_DATA"
DEFAULT_ROOT = Path("~/.cache/graphssl")


def data_root(root: Union[str, os.PathLike, None] = None) -> Path:
    """The data root folder (not created here).

    Args:
        root: an explicit folder; wins over the environment.

    Returns:
        ``Path(root)``, else ``Path($GRAPHSSL_DATA)``, else ``~/.cache/graphssl`` (user-expanded).
    """
    if root is None or str(root) == "":
        root = os.environ.get(ENV_VAR) or DEFAULT_ROOT
    return Path(root).expanduser()
