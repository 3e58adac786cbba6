"""Recommendation: interaction data, backbones (MF, LightGCN), BPR / softmax losses, uniform
negative sampling, full-ranking metrics, a trainer that adds plug-in SSL heads
(:mod:`graphssl.rec.heads`) to the main loss, and the `graphssl recommend` pipeline."""
from .backbones import BACKBONES, MF, LightGCN, RecBackbone, build_backbone, register_backbone
from .data import InteractionData, load_interactions
from .epoch_timing import EpochTiming, time_epochs
from .interaction_graph import interaction_graph, lightgcn_propagate
from .propagation import adj_spmm, mean_at_rows, perturbation_offset, propagate
from .losses import bpr_loss, l2_reg_loss, sampled_softmax_loss
from .metrics import METRICS, full_ranking_metrics, topk_items
from .pipeline import (RecResult, add_recommend_arguments, build_model_head, build_trainer, model_names, recommend,
                       run_recommend)
from .presets import preset
from .sampler import BPRSampler, NegativeSampler
from .trainer import EvalCallback, RecHistory, RecTrainer, load_embeddings, save_embeddings
from .user_items import UserItems

__all__ = [
    "interaction_graph", "lightgcn_propagate", "adj_spmm", "propagate", "mean_at_rows", "perturbation_offset", "UserItems", "InteractionData", "load_interactions",
    "NegativeSampler", "BPRSampler", "RecBackbone", "MF", "LightGCN", "BACKBONES", "register_backbone",
    "build_backbone", "bpr_loss", "l2_reg_loss", "sampled_softmax_loss", "full_ranking_metrics", "topk_items",
    "METRICS", "RecTrainer", "RecHistory", "EvalCallback", "save_embeddings", "load_embeddings", "preset", "RecResult",
    "recommend", "build_model_head", "build_trainer", "model_names", "add_recommend_arguments", "run_recommend",
    "EpochTiming", "time_epochs",
]
