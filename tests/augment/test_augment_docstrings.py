"""Every docstring example in graphssl.augment runs and prints what it shows."""
import doctest
import importlib
import pkgutil

import pytest

import graphssl.augment as augment

MODULES = sorted(m.name for m in pkgutil.iter_modules(augment.__path__))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"graphssl.augment.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_public_functions_have_examples():
    for name in ["drop_edges", "add_edges", "drop_nodes", "shuffle_nodes", "mask_features", "dropout_features",
                 "add_feature_noise", "random_walk_subgraph", "ppr_diffusion", "heat_diffusion",
                 "approximate_ppr"]:
        doc = getattr(augment, name).__doc__
        assert ">>>" in doc, name
        if name not in ("ppr_diffusion", "heat_diffusion", "approximate_ppr"):  # deterministic: no flag
            assert "training" in doc, name
