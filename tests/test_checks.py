"""graphssl.checks: the library's one set of checks for user-given numbers and names."""
import math
import re

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from graphssl.checks import check_choice, check_fraction, check_int, check_number, check_positive


def test_check_number_accepts_python_numpy_and_scalar_tensors():
    assert check_number("x", 2) == 2.0 and isinstance(check_number("x", 2), float)
    assert check_number("x", np.float32(0.5)) == 0.5
    assert check_number("x", torch.tensor(0.25)) == 0.25


@pytest.mark.parametrize("bad", [True, "0.5", None, [0.5], torch.ones(2)])
def test_check_number_rejects_non_numbers(bad):
    with pytest.raises(ValueError, match=r"rate must be a number"):
        check_number("rate", bad)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, torch.tensor(float("nan"))])
def test_check_number_rejects_nan_and_infinity(bad):
    with pytest.raises(ValueError, match="rate must be finite"):
        check_number("rate", bad)


def test_check_positive_bounds():
    assert check_positive("tau", 0.5) == 0.5
    assert check_positive("lam", 0, allow_zero=True) == 0.0
    with pytest.raises(ValueError, match=r"tau must be > 0 \(positive\), got 0"):
        check_positive("tau", 0)
    with pytest.raises(ValueError, match=r"lam must be >= 0 \(non-negative\), got -1"):
        check_positive("lam", -1, allow_zero=True)
    with pytest.raises(ValueError, match="tau must be finite"):
        check_positive("tau", math.nan)


@pytest.mark.parametrize("low_open,high_closed,interval", [(False, False, "[0, 1)"), (True, False, "(0, 1)"),
                                                           (False, True, "[0, 1]"), (True, True, "(0, 1]")])
def test_check_fraction_names_the_interval(low_open, high_closed, interval):
    with pytest.raises(ValueError, match=re.escape(f"p must lie in {interval}")):
        check_fraction("p", 1.5, low_open=low_open, high_closed=high_closed)


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-2, max_value=2), st.booleans(), st.booleans())
def test_check_fraction_agrees_with_the_interval(v, low_open, high_closed):
    inside = (v > 0 if low_open else v >= 0) and (v <= 1 if high_closed else v < 1)
    if inside:
        assert check_fraction("p", v, low_open=low_open, high_closed=high_closed) == v
    else:
        with pytest.raises(ValueError, match="p must lie in"):
            check_fraction("p", v, low_open=low_open, high_closed=high_closed)


@given(st.integers(min_value=-5, max_value=5), st.integers(min_value=-2, max_value=2))
def test_check_int_agrees_with_the_bound(v, low):
    if v >= low:
        assert check_int("k", v, low=low) == v
        assert check_int("k", np.int64(v), low=low) == v
    else:
        with pytest.raises(ValueError, match=f"k must be >= {low}, got {v}"):
            check_int("k", v, low=low)


@pytest.mark.parametrize("bad", [True, 2.0, "3", None])
def test_check_int_rejects_non_integers(bad):
    with pytest.raises(ValueError, match="epochs must be an integer"):
        check_int("epochs", bad)


def test_check_choice_is_case_insensitive_and_lists_choices():
    assert check_choice("mode", "Uniform", ["uniform", "degree", None]) == "uniform"
    assert check_choice("mode", None, ["uniform", None]) is None
    with pytest.raises(ValueError, match=r"unknown mode 'pagerank'; choose one of \['uniform', 'degree'\]"):
        check_choice("mode", "pagerank", ["uniform", "degree"])


def test_library_checks_report_through_the_shared_module():
    """Augmenters, methods, losses, samplers and recommender heads give the same messages."""
    from graphssl.augment import EdgeDrop
    from graphssl.losses import infonce_loss
    from graphssl.rec.heads import build_head
    from graphssl.sampling import NeighborSampler, SampleLoader
    from graphssl.sparse import Graph
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\), got 1.0"):
        EdgeDrop(p=1.0)
    x = torch.randn(4, 3)
    with pytest.raises(ValueError, match=r"tau must be > 0 \(positive\)"):
        infonce_loss(x, x, tau=-1.0)
    graph = Graph.from_edge_index(torch.tensor([[0, 1, 2], [1, 2, 3]]), 4)
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        SampleLoader(NeighborSampler(graph, [2]), batch_size=0)
    with pytest.raises(ValueError, match=r"eps must be > 0 \(positive\)"):
        build_head("simgcl", eps=0.0)
