"""Shared pytest fixtures."""
import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The folder with the real datasets (CI points GRAPHSSL_DATA at ../shared/data)."""
    root = os.environ.get("GRAPHSSL_DATA")
    if not root or not Path(root).is_dir():
        pytest.skip("GRAPHSSL_DATA not set; point it at a folder with the datasets (CI sets ../shared/data)")
    return Path(root)
