"""Fixtures for the augmenter tests."""
import pytest


@pytest.fixture(autouse=True)
def _one_torch_thread(one_torch_thread):
    """These tests use tiny tensors (e.g. repeat_interleave on a few edges): one thread."""
    yield
