"""Activation functions chosen by name (configs refer to them as strings)."""
from __future__ import annotations

from typing import Callable, Dict, Union

from torch import nn

__all__ = ["create_activation", "activation_names"]

_ACTIVATIONS: Dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "prelu": nn.PReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "leakyrelu": lambda: nn.LeakyReLU(0.2),
    "selu": nn.SELU,
    "silu": nn.SiLU,
    "swish": nn.SiLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "softplus": nn.Softplus,
    "identity": nn.Identity,
    "linear": nn.Identity,
    "none": nn.Identity,
}


def activation_names() -> list:
    """The names :func:`create_activation` accepts."""
    return sorted(_ACTIVATIONS)


def create_activation(name: Union[str, nn.Module, None]) -> nn.Module:
    """A fresh activation module for ``name`` (case-insensitive).

    Args:
        name: ``"relu"``, ``"prelu"``, ``"elu"``, ``"gelu"``, ``"leaky_relu"`` (slope 0.2),
            ``"selu"``, ``"silu"``, ``"tanh"``, ``"sigmoid"``, ``"softplus"``, ``"identity"``;
            ``None`` gives identity; a module is returned as is.

    Returns:
        A new module (learnable ones such as PReLU get their own parameters per call).

    Raises:
        ValueError: unknown name (the message lists the known ones).
    """
    if name is None:
        return nn.Identity()
    if isinstance(name, nn.Module):
        return name
    key = str(name).lower()
    if key not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; known: {', '.join(activation_names())}")
    return _ACTIVATIONS[key]()
