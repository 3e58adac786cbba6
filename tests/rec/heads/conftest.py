"""Fixtures for the recommender-head tests (data helpers live in rec_head_data.py)."""
import pytest
import torch

from rec_head_data import Slice, gowalla_slice, make_context


@pytest.fixture(scope="session")
def gowalla(data_root) -> Slice:
    return gowalla_slice(data_root)


@pytest.fixture
def gowalla_ctx(gowalla):
    return make_context(gowalla)


@pytest.fixture(scope="session")
def tiny() -> Slice:
    g = torch.Generator().manual_seed(1)
    u = torch.randint(0, 60, (500,), generator=g)
    i = torch.randint(0, 40, (500,), generator=g)
    return Slice(60, 40, u, i)


@pytest.fixture
def tiny_ctx(tiny):
    return make_context(tiny, dim=16)
