"""SSL losses. Each takes plain tensors, so any method (or user code) can use it.

Contrastive losses take ``(anchor, sample, pos=None)``: positives index-aligned by default,
or sparse (``[2, P]`` pairs or a ``Graph``); negatives are all other pairs, scored in
chunks so that no ``N x N`` matrix is ever stored. ``LOSSES`` / ``build_loss`` find them
by name.
"""
from .registry import LOSSES, build_loss, register_loss
from .pairs import PairIndex, PositiveSpec, positive_pairs
from .chunked import REDUCTIONS, chunked_similarity, default_chunk_size
from .infonce import infonce_loss, nt_xent_loss
from .jsd import jsd_loss, jsd_loss_from_scores, jsd_mutual_information
from .triplet import triplet_loss
from .bootstrap import bootstrap_loss
from .barlow_twins import barlow_twins_loss, batch_standardize
from .vicreg import vicreg_loss
from .cca_ssg import cca_ssg_loss
from .sce import sce_loss
from .ranking import bpr_loss, margin_ranking_loss

__all__ = [
    "LOSSES", "build_loss", "register_loss",
    "PairIndex", "PositiveSpec", "positive_pairs",
    "chunked_similarity", "default_chunk_size", "REDUCTIONS",
    "infonce_loss", "nt_xent_loss",
    "jsd_loss", "jsd_loss_from_scores", "jsd_mutual_information",
    "triplet_loss", "bootstrap_loss", "barlow_twins_loss", "batch_standardize",
    "vicreg_loss", "cca_ssg_loss", "sce_loss", "bpr_loss", "margin_ranking_loss",
]
