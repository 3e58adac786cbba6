"""Feature normalisation layers chosen by name."""
from __future__ import annotations

from typing import Optional

from torch import nn

__all__ = ["create_norm", "norm_names"]

_NORMS = {
    "batchnorm": nn.BatchNorm1d,
    "batch_norm": nn.BatchNorm1d,
    "layernorm": nn.LayerNorm,
    "layer_norm": nn.LayerNorm,
}


def norm_names() -> list:
    """The names :func:`create_norm` accepts (besides ``None``/``"none"``)."""
    return sorted(_NORMS)


def create_norm(name: Optional[str], dim: int) -> nn.Module:
    """A normalisation layer over ``dim`` features, applied to ``[N, dim]`` node features.

    Args:
        name: ``"batchnorm"``, ``"layernorm"``, or ``None`` / ``"none"`` / ``"identity"``
            (no normalisation).
        dim: feature width.

    Raises:
        ValueError: unknown name (the message lists the known ones).
    """
    if name is None or str(name).lower() in ("none", "identity"):
        return nn.Identity()
    key = str(name).lower()
    if key not in _NORMS:
        raise ValueError(f"unknown norm {name!r}; known: None, {', '.join(norm_names())}")
    return _NORMS[key](dim)
