"""Every docstring example in graphssl.sampling runs and prints what it shows."""
import doctest
import importlib
import pkgutil

import pytest

import graphssl.sampling as sampling

MODULES = sorted(m.name for m in pkgutil.iter_modules(sampling.__path__))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"graphssl.sampling.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
