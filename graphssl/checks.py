"""Checks of user-given numbers and names, shared by every part of the library.

Each check returns the value converted (``float`` / ``int`` / the matched choice) or raises
``ValueError`` with a message that names the argument and what is wrong with it, so that a
bad option fails where it is given rather than deep inside a kernel.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Optional, Sequence

from torch import Tensor

__all__ = ["check_number", "check_positive", "check_fraction", "check_int", "check_choice"]


def check_number(name: str, value: Any) -> float:
    """``value`` as a finite float (a one-element tensor or a numpy scalar is accepted).

    Raises:
        ValueError: a bool, a non-number, NaN or infinity.
    """
    if isinstance(value, Tensor) and value.numel() == 1 and not value.dtype.is_complex:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return v


def check_positive(name: str, value: Any, allow_zero: bool = False) -> float:
    """``value`` as a finite float ``> 0`` (``>= 0`` with ``allow_zero``).

    Raises:
        ValueError: not a finite number, or out of range.
    """
    v = check_number(name, value)
    if v < 0 or (v == 0 and not allow_zero):
        bound = ">= 0 (non-negative)" if allow_zero else "> 0 (positive)"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return v


def check_fraction(name: str, value: Any, low_open: bool = False, high_closed: bool = False) -> float:
    """``value`` as a float in ``[0, 1)``; ``low_open`` excludes 0, ``high_closed`` admits 1.

    Raises:
        ValueError: not a finite number, or outside the interval (the message shows it).
    """
    v = check_number(name, value)
    above_low = v > 0 if low_open else v >= 0
    below_high = v <= 1 if high_closed else v < 1
    if not (above_low and below_high):
        interval = f"{'(' if low_open else '['}0, 1{']' if high_closed else ')'}"
        raise ValueError(f"{name} must lie in {interval}, got {value!r}")
    return v


def check_int(name: str, value: Any, low: int = 1) -> int:
    """``value`` as an int ``>= low`` (numpy integers are accepted; bools and floats are not).

    Raises:
        ValueError: not an integer, or below ``low``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {int(value)}")
    return int(value)


def check_choice(name: str, value: Optional[str], choices: Sequence[Optional[str]]) -> Optional[str]:
    """``value`` if it is one of ``choices`` (strings compared case-insensitively, lowered).

    Raises:
        ValueError: unknown value (the message lists the choices).
    """
    key = value.lower() if isinstance(value, str) else value
    if key not in choices:
        raise ValueError(f"unknown {name} {value!r}; choose one of {list(choices)}")
    return key
