"""Molecular pretext tasks for the transfer protocol, each a :class:`PretextTask` (usable in
:class:`graphssl.multitask.MultiTask` with a shared :class:`MoleculeGIN`), an SSL method
(``mol_*`` in :data:`graphssl.methods.METHODS`) and a molecule pretrainer
(:func:`graphssl.molecules.pretrain`):

* attribute masking and context prediction (Hu et al., ICLR 2020);
* GROVER's contextual property prediction and motif prediction (Rong et al., NeurIPS 2020);
* D-SLA (Kim et al., NeurIPS 2022);
* GraphMAE (Hou et al., KDD 2022) and GraphCL (You et al., NeurIPS 2020) on molecules.
"""
from .attribute_masking import AttributeMasking, MaskedMolecules, mask_atoms
from .augment import MOLECULE_AUGMENTATIONS, attr_mask, edge_pert, node_drop, subgraph
from .context_prediction import ContextPair, ContextPrediction, context_pairs
from .dsla import DSLA, PerturbedMolecules, perturb_molecules
from .graphcl import MoleculeGraphCL
from .graphmae import AtomDecoder, MoleculeGraphMAE
from .grover import (ContextualProperty, ContextVocabulary, bond_context_keys, bond_context_label,
                     build_context_vocabulary, context_keys, context_label)
from .methods import (MoleculeAttrMasking, MoleculeContextPrediction, MoleculeContextProperty, MoleculeDSLA,
                      MoleculeGraphCLMethod, MoleculeGraphMAEMethod, MoleculeMotifPrediction, MoleculePretextMethod,
                      attach_motif_labels, grover_method, train_pretext)
from .motifs import MotifPrediction, motif_labels, motif_names
from .pretrainers import PRETRAINER_METHODS, run_pretrainer

__all__ = [
    "AttributeMasking", "MaskedMolecules", "mask_atoms", "ContextPrediction", "ContextPair", "context_pairs",
    "ContextualProperty", "ContextVocabulary", "build_context_vocabulary", "context_keys", "context_label",
    "bond_context_keys", "bond_context_label",
    "MotifPrediction", "motif_labels", "motif_names", "DSLA", "PerturbedMolecules", "perturb_molecules",
    "MoleculeGraphMAE", "AtomDecoder", "MoleculeGraphCL", "MOLECULE_AUGMENTATIONS", "node_drop", "subgraph",
    "edge_pert", "attr_mask", "MoleculePretextMethod", "MoleculeAttrMasking", "MoleculeContextPrediction",
    "MoleculeContextProperty", "MoleculeMotifPrediction", "MoleculeDSLA", "MoleculeGraphMAEMethod",
    "MoleculeGraphCLMethod", "grover_method", "train_pretext", "attach_motif_labels", "PRETRAINER_METHODS",
    "run_pretrainer",
]
