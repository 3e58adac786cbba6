"""Fixtures for the recommendation-core tests: the real Gowalla split and its 2,000-user slice,
and small synthetic interaction sets."""
import pytest

from graphssl.rec import InteractionData
from rec_core_data import random_interactions


@pytest.fixture(scope="session")
def gowalla(data_root) -> InteractionData:
    from graphssl.datasets import DatasetNotFoundError
    from graphssl.rec import load_interactions
    try:
        return load_interactions("gowalla", root=data_root, download=False, progress=False)
    except DatasetNotFoundError as e:
        pytest.skip(f"gowalla is not under {data_root}: {e}")


@pytest.fixture(scope="session")
def gowalla_2000(gowalla) -> InteractionData:
    return gowalla.slice_users(2000)


@pytest.fixture
def small() -> InteractionData:
    return random_interactions()
