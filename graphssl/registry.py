"""Name registries: one way to register and find things by name (methods, augmenters,
datasets, recommender heads), shared by the Python API, the CLI and the benchmarks."""
from __future__ import annotations

from typing import Any, Callable, Dict, Generic, List, Mapping, TypeVar, Union

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

    def build(self, spec: Union[str, Mapping[str, Any]], *args: Any, **kwargs: Any) -> Any:
        """Call the object registered under a name: ``get(name)(*args, **options)``.

        Args:
            spec: a registered name, or a config mapping with a ``"name"`` key and the
                keyword options (``{"name": "edge_drop", "p": 0.2}``).
            *args: positional arguments passed first (e.g. an input width).
            **kwargs: keyword options, added to (and overriding) the mapping's.

        Raises:
            ValueError: unknown name, a mapping without ``"name"``, a spec of another
                type, or options the object does not take (named, instead of a bare
                ``TypeError``).
        """
        if isinstance(spec, Mapping):
            cfg: Dict[str, Any] = dict(spec)
            if "name" not in cfg:
                raise ValueError(f"a {self.kind} config needs a 'name' key, got keys {sorted(cfg)}")
            name = cfg.pop("name")
            cfg.update(kwargs)
        elif isinstance(spec, str):
            name, cfg = spec, dict(kwargs)
        else:
            raise ValueError(f"a {self.kind} is given by name or as a config mapping, got {type(spec).__name__}")
        obj = self.get(name)
        try:
            return obj(*args, **cfg)
        except TypeError as e:  # an unexpected keyword
            raise ValueError(f"bad arguments for {self.kind} {name!r}: {e}") from None

    def names(self) -> List[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items
