"""Every docstring example in the packages below runs and prints what it shows."""
import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ("graphssl.augment", "graphssl.sampling")
MODULES = [f"{pkg}.{m.name}" for pkg in PACKAGES
           for m in sorted(pkgutil.iter_modules(importlib.import_module(pkg).__path__), key=lambda m: m.name)]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
