"""Dataset loaders: Planetoid, Amazon/Coauthor, WikiCS, TU, LightGCN interactions, MovieLens,
MoleculeNet CSVs, OGB node/link datasets (OGB's raw format); the data root, dataset cards,
checksums and downloads.

Files live under a data root (``root=``, else ``$GRAPHSSL_DATA``, else ``~/.cache/graphssl``)
in the layout of the cards (``<root>/cora/ind.cora.x``, ``<root>/amazon-photo/amazon-photo.zip``
...). Archives are read in place; missing files are downloaded and every file is checked
against its card's checksum.

Example:
    >>> from graphssl.datasets import load_dataset
    >>> ds = load_dataset("cora")            # doctest: +SKIP
    >>> ds.num_nodes, ds.num_edges           # doctest: +SKIP
    (2708, 10556)
"""
# Importing the loader modules registers them.
from . import gnn_benchmark, lightgcn, moleculenet, movielens, ogb, ogb_molecules, planetoid, tu, tu_gin, wikics  # noqa: F401,E501
from .cards import DatasetCard, FileSpec, load_card
from .degree import degree_features
from .errors import ChecksumError, DatasetFormatError, DatasetNotFoundError
from .fetch import download_file, fetch_files
from .gnn_benchmark import load_gnn_benchmark
from .lightgcn import load_lightgcn
from .moleculenet import load_moleculenet
from .movielens import load_movielens
from .ogb import is_ogb_dataset, load_ogb_link, load_ogb_node
from .ogb_format import make_ogb_link_fixture, make_ogb_node_fixture, write_ogb_link_dataset, write_ogb_node_dataset
from .paths import data_root
from .planetoid import load_planetoid
from .registry import dataset_card, list_datasets, load_dataset, register_dataset
from .splits import random_split
from .summary import dataset_stats, summarize
from .tu import load_tu
from .tu_gin import load_tu_gin
from .types import GraphDataset, GraphSample, InteractionDataset, LinkDataset, MoleculeDataset, NodeDataset
from .wikics import load_wikics

__all__ = [
    "load_dataset", "list_datasets", "register_dataset", "dataset_card", "summarize", "dataset_stats",
    "data_root", "random_split", "degree_features",
    "NodeDataset", "LinkDataset", "GraphSample", "GraphDataset", "InteractionDataset", "MoleculeDataset",
    "DatasetCard", "FileSpec", "load_card", "fetch_files", "download_file",
    "DatasetNotFoundError", "ChecksumError", "DatasetFormatError",
    "load_planetoid", "load_gnn_benchmark", "load_wikics", "load_tu", "load_tu_gin", "load_lightgcn",
    "load_movielens", "load_moleculenet",
    "load_ogb_node", "load_ogb_link", "is_ogb_dataset", "write_ogb_node_dataset", "write_ogb_link_dataset",
    "make_ogb_node_fixture", "make_ogb_link_fixture",
]
