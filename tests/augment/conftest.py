"""Fixtures for the augmenter tests."""
import pytest
import torch


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """These tests use tiny tensors; on a loaded machine waking a second OpenMP thread for
    each op (e.g. repeat_interleave) costs far more than the op itself."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
