"""Name registries: one way to register and find things by name (methods, augmenters,
datasets, recommender heads), shared by the Python API, the CLI and the benchmarks."""
from __future__ import annotations

from typing import Callable, Dict, Generic, List, TypeVar

T = TypeVar("T")

__all__ = ["Registry"]


class Registry(Generic[T]):
    """A mapping from lower-case names to objects (usually classes or factories).

    Example:
        >>> METHODS = Registry("method")
        >>> @METHODS.register("mine")
        ... class Mine: ...
        >>> METHODS.get("mine") is Mine
        True
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: Dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator registering its target under ``name`` (case-insensitive).

        Raises:
            ValueError: the name is already taken by another object.
        """
        key = name.lower()

        def deco(obj: T) -> T:
            if key in self._items and self._items[key] is not obj:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._items[key] = obj
            return obj
        return deco

    def get(self, name: str) -> T:
        """The object registered under ``name``.

        Raises:
            ValueError: unknown name (the message lists the known ones).
        """
        key = str(name).lower()
        if key not in self._items:
            raise ValueError(f"unknown {self.kind} {name!r}; known: {', '.join(sorted(self._items)) or 'none'}")
        return self._items[key]

    def names(self) -> List[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items
