"""Shared fixtures of the method tests."""
import pytest
import torch

from graphssl.sparse import use_backend


@pytest.fixture
def torch_backend_one_thread():
    """The torch reference ops on one thread: such tests check a method, not the kernels,
    and small graphs on a shared machine run fastest single-threaded."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with use_backend("torch"):
            yield
    finally:
        torch.set_num_threads(threads)
