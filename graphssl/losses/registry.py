"""The loss registry: methods and configs name a loss (``"infonce"``, ``"vicreg"``, ...)
instead of importing it."""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from ..registry import Registry

__all__ = ["LOSSES", "register_loss", "build_loss"]

#: Every loss function of :mod:`graphssl.losses`, by name.
LOSSES: Registry[Callable[..., Any]] = Registry("loss")
register_loss = LOSSES.register


def build_loss(name: str, **hyperparameters: Any) -> Callable[..., Any]:
    """The loss registered under ``name`` with ``hyperparameters`` bound as keywords.

    Example:
        >>> loss_fn = build_loss("infonce", tau=0.2, symmetric=True)
        >>> loss = loss_fn(z1, z2)  # doctest: +SKIP

    Raises:
        ValueError: unknown loss name, or a hyperparameter the loss does not take (the
            message lists those it does).
    """
    fn = LOSSES.get(name)
    params = inspect.signature(fn).parameters
    accepted = [p for p, v in params.items()
                if v.kind in (v.KEYWORD_ONLY, v.POSITIONAL_OR_KEYWORD) and v.default is not v.empty]
    unknown = sorted(set(hyperparameters) - set(accepted))
    if unknown:
        raise ValueError(f"loss {name!r} does not take {', '.join(unknown)}; it takes: {', '.join(accepted)}")
    return functools.partial(fn, **hyperparameters) if hyperparameters else fn
