"""Plug-in SSL heads for recommenders: each returns an auxiliary loss from the embeddings
(and, for graph heads, the interaction graph) a pipeline already has.

Example (a hand-written LightGCN loop)::

    ctx = GraphContext(adj, ego=emb.weight, num_layers=2, num_users=U, num_items=I)
    head = build_head("simgcl", seed=0)
    for users, pos, neg in loader:
        user_emb, item_emb = model(...)              # the host's propagation
        loss = bpr(...) + head(users, pos, user_emb, item_emb, backbone=ctx)
"""
from .base import (HEADS, GraphContext, RecSSLHead, build_head, check_backbone, ego_embeddings, interaction_pairs,
                   propagate_layers, register_head)
from .contrast import info_nce, score_logsumexp
from .directau import DirectAUHead, alignment, uniformity
from .feature_masking import (correlated_feature_groups, correlated_feature_mask, multi_value_dropout,
                              random_feature_mask)
from .item_tower import ItemFeatureTower
from .kmeans import kmeans
from .lightgcl import LightGCLHead, svd_factors
from .mutual_information import feature_mutual_information
from .ncl import NCLHead
from .sgl import SGLHead, drop_edges, drop_nodes
from .noise import add_uniform_noise, noise_offset
from .simgcl import SimGCLHead, uniform_noise
from .two_tower_ssl import FeatureMaskingSSLHead
from .xsimgcl import XSimGCLHead

__all__ = ["RecSSLHead", "HEADS", "register_head", "build_head", "GraphContext", "check_backbone",
           "ego_embeddings", "interaction_pairs", "propagate_layers", "info_nce", "score_logsumexp",
           "add_uniform_noise", "noise_offset",
           "SGLHead", "drop_edges", "drop_nodes", "SimGCLHead", "uniform_noise", "XSimGCLHead", "NCLHead", "kmeans",
           "LightGCLHead", "svd_factors", "DirectAUHead", "alignment", "uniformity",
           "FeatureMaskingSSLHead", "ItemFeatureTower", "feature_mutual_information", "correlated_feature_groups",
           "random_feature_mask", "correlated_feature_mask", "multi_value_dropout"]
