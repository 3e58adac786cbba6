"""Install graphssl: `pip install .` (core) or `pip install .[test]` (with the test extras)."""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
README = (HERE / "README.md").read_text(encoding="utf-8") if (HERE / "README.md").exists() else ""

PYG = ["torch-geometric>=2.5"]
OGB = ["ogb>=1.3.6"]
NX = ["networkx>=3.0"]
TRITON = ["triton>=3.0"]
CHEM = ["rdkit"]
SKLEARN = ["scikit-learn>=1.3"]
METIS = ["pymetis"]
PLOT = ["matplotlib"]
# Triton's kernels are tested on CPU through its interpreter (~30 s); wheels exist for Linux only.
# rdkit: the molecule tests (SMILES conversion, scaffold split, transfer, pretext tasks) skip without
# it; pymetis: the METIS partition tests (the pure-python fallback is tested either way).
TEST = (["pytest>=7", "hypothesis>=6"] + PYG + NX + SKLEARN + OGB + CHEM + METIS
        + ["triton>=3.0; platform_system == 'Linux'"])

setup(
    name="graphssl",
    version="0.1.0",
    description="Self-supervised learning on graphs and SSL-enhanced recommendation, on one sparse core",
    long_description=README,
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["graphssl", "graphssl.*"]) + ["graphssl.cards"],
    package_dir={"graphssl.cards": "data/cards"},
    package_data={"graphssl.cards": ["*.yaml"], "graphssl.configs": ["*/*.yaml", "*.yaml"]},
    install_requires=["torch>=2.1", "numpy>=1.24", "scipy>=1.10", "numba>=0.59", "tqdm>=4.60", "pyyaml>=6.0"],
    extras_require={
        "pyg": PYG,
        "dgl": ["dgl"],
        "ogb": OGB,
        "nx": NX,
        "triton": TRITON,
        "chem": CHEM,
        "sklearn": SKLEARN,
        "metis": METIS,
        "plot": PLOT,
        "test": TEST,
        "all": PYG + OGB + NX + TRITON + CHEM + SKLEARN + METIS + PLOT,
    },
    entry_points={"console_scripts": ["graphssl=graphssl.cli:main"]},
)
