"""Fixtures of the molecule tests: small real subsets converted once per session into a
temporary cache (conversion of the big sets never happens here)."""
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def mol_cache(tmp_path_factory) -> Path:
    """A session-wide cache folder for converted molecule datasets."""
    return tmp_path_factory.mktemp("molcache")


@pytest.fixture(scope="session")
def small_molecules(data_root, mol_cache):
    """``small_molecules(name, n)``: ``n`` evenly spaced molecules of a real set, as graphs."""
    pytest.importorskip("rdkit")
    from graphssl.molecules import load_molecule_graphs
    memo = {}

    def load(name: str, n: int):
        if (name, n) not in memo:
            memo[name, n] = load_molecule_graphs(name, data_root, cache_dir=mol_cache, max_molecules=n,
                                                 progress=False)
        return memo[name, n]
    return load
