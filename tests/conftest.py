"""Shared pytest fixtures."""
import os
from pathlib import Path

import pytest
import torch

# Triton's interpreter (the Triton kernels' CPU tests) works only when TRITON_INTERPRET is set
# before triton is first imported, and test modules collected before the Triton tests import
# it (torch-geometric does, on import). Set it here, before any test module is collected;
# graphssl never picks the Triton backend for CPU tensors by itself, so nothing else changes.
if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The folder with the real datasets (CI points GRAPHSSL_DATA at ../shared/data)."""
    root = os.environ.get("GRAPHSSL_DATA")
    if not root or not Path(root).is_dir():
        pytest.skip("GRAPHSSL_DATA not set; point it at a folder with the datasets (CI sets ../shared/data)")
    return Path(root)


@pytest.fixture
def one_torch_thread():
    """torch on one thread for the test (restored after): tiny tensors on a shared machine
    run fastest single-threaded, as waking a second OpenMP thread per op costs more than
    the op. Modules use it with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
