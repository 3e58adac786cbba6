"""Shared fixtures of the method tests."""
import pytest

from graphssl.sparse import use_backend


@pytest.fixture
def torch_backend_one_thread(one_torch_thread):
    """The torch reference ops on one thread: such tests check a method, not the kernels,
    and small graphs on a shared machine run fastest single-threaded."""
    with use_backend("torch"):
        yield
