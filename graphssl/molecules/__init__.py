"""Molecular property prediction: SMILES -> graphs with OGB's atom/bond features, scaffold
splits, the MoleculeNet sets under their OGB names, the molecule GIN, the pretraining corpus
and registry, and the fine-tuning (transfer) protocol.

rdkit is an optional extra (``pip install graphssl[chem]``), imported only when SMILES are
converted; OGB's Evaluator is used when ``graphssl[ogb]`` is installed.

Example:
    >>> from graphssl.molecules import load_molecule_graphs, finetune        # doctest: +SKIP
    >>> ds = load_molecule_graphs("ogbg-molbbbp")                             # doctest: +SKIP
    >>> res = finetune(None, ds, seeds=[0, 1, 2], epochs=100)                 # doctest: +SKIP
"""
from .corpus import held_out_smiles, pretraining_corpus
from .dataset import MoleculeGraphDataset, default_cache_dir, load_molecule_graphs
from .evaluate import MoleculeEvaluator, NoScorableTaskError, molecule_metric
from .features import ATOM_FEATURE_DIMS, BOND_FEATURE_DIMS, MASK_ATOM, MASK_BOND
from .featurize import canonical_smiles, featurize_smiles, smiles_to_arrays, smiles_to_graph
from .gin import CategoricalEncoder, GINEConv, MoleculeGIN
from .pretrain import MOLECULE_PRETRAINERS, pretrain, pretrainer_names, register_pretrainer
from .scaffold import murcko_scaffold, scaffold_split, split_by_scaffold
from .transfer import FinetuneResult, MoleculeClassifier, finetune, masked_bce, summarize_results
from ..datasets.ogb_molecules import OGB_NAMES, ogb_name

__all__ = ["ATOM_FEATURE_DIMS", "BOND_FEATURE_DIMS", "MASK_ATOM", "MASK_BOND",
           "smiles_to_graph", "smiles_to_arrays", "featurize_smiles", "canonical_smiles",
           "murcko_scaffold", "scaffold_split", "split_by_scaffold",
           "MoleculeGraphDataset", "load_molecule_graphs", "default_cache_dir", "OGB_NAMES", "ogb_name",
           "pretraining_corpus", "held_out_smiles",
           "MoleculeEvaluator", "molecule_metric", "NoScorableTaskError",
           "CategoricalEncoder", "GINEConv", "MoleculeGIN",
           "MOLECULE_PRETRAINERS", "register_pretrainer", "pretrainer_names", "pretrain",
           "FinetuneResult", "MoleculeClassifier", "finetune", "masked_bce", "summarize_results"]
