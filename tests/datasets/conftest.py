"""Fixtures for the dataset tests."""
from pathlib import Path
from typing import Callable

import pytest

from graphssl.datasets import dataset_card
from graphssl.datasets.fetch import files_present


@pytest.fixture(scope="session")
def require(data_root: Path) -> Callable[[str], Path]:
    """``require(name)`` -> the shared data root, or skip naming the missing dataset files."""
    def need(name: str) -> Path:
        card = dataset_card(name)
        if not files_present(card, data_root):
            pytest.skip(f"{name} files not under {data_root} (expected e.g. {card.files[0].path})")
        return data_root
    return need
