"""Lazy import of the optional libraries the converters talk to, with install hints."""
from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require"]

_HINTS = {
    "torch_geometric": "pip install graphssl[pyg]",
    "dgl": "install a DGL build matching your torch version (see https://www.dgl.ai/pages/start.html)",
    "networkx": "pip install graphssl[nx]",
    "scipy": "pip install scipy",
}


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise an ``ImportError`` saying what needs it and how to install it.

    Any import-time failure counts (DGL, for one, can fail with other exceptions when its
    native libraries do not match the installed torch).
    """
    try:
        return importlib.import_module(module)
    except Exception as e:  # noqa: BLE001 - any failure means "unusable here"
        hint = _HINTS.get(module.split(".")[0], f"pip install {module}")
        raise ImportError(f"{purpose} needs {module!r}, which could not be imported "
                          f"({type(e).__name__}: {e}); {hint}") from e
