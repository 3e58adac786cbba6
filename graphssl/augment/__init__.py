"""Graph augmenters for self-supervised learning.

Each augmenter is an :class:`Augmenter` with ``augment(graph, x, generator=None) ->
(graph, x)`` (also ``aug(graph, x, generator)``), ``augment_batch(batch, generator)`` for
a :class:`~graphssl.sparse.GraphBatch` (``batch``/``ptr``/``edge_ptr``/``edge_attr``/node
labels kept consistent) and ``apply(GraphView, generator)`` for a view that also carries
edge attributes and reports which nodes and edges survived. Augmenters are registered by
name: ``build_augmenter({"name": "edge_drop", "p": 0.2})``.

Underneath are PyG-style pure functions with a ``training`` flag that return the new
tensors and the mask or permutation they used: :func:`drop_edges`, :func:`add_edges`,
:func:`drop_nodes`, :func:`shuffle_nodes`, :func:`mask_features`,
:func:`dropout_features`, :func:`add_feature_noise`, :func:`random_walk_subgraph`,
:func:`ppr_diffusion`, :func:`heat_diffusion`, :func:`approximate_ppr`.
"""
from .base import AUGMENTERS, Augmenter, build_augmenter, register_augmenter
from .centrality import (degree_centrality, edge_drop_probabilities, eigenvector_centrality,
                         feature_drop_probabilities, node_centrality, pagerank_centrality)
from .compose import Compose, Identity, RandomChoice
from .diffusion import (HeatDiffusion, PPRDiffusion, approximate_ppr, heat_diffusion, heat_matrix, ppr_diffusion,
                        ppr_matrix)
from .edge_add import EdgeAdd, add_edges
from .edge_attr_mask import EdgeAttrMask
from .edge_drop import EdgeDrop, drop_edges
from .feature_dropout import FeatureDropout, dropout_features
from .feature_mask import FeatureMask, mask_features
from .feature_noise import FeatureNoise, add_feature_noise
from .node_drop import NodeDrop, drop_nodes
from .node_shuffle import NodeShuffle, shuffle_nodes
from .random_walk import RandomWalkSubgraph, random_walk, random_walk_subgraph
from .view import GraphView

__all__ = [
    "Augmenter", "AUGMENTERS", "register_augmenter", "build_augmenter", "GraphView",
    "EdgeDrop", "EdgeAdd", "NodeDrop", "NodeShuffle", "FeatureMask", "FeatureDropout", "FeatureNoise",
    "RandomWalkSubgraph", "PPRDiffusion", "HeatDiffusion", "EdgeAttrMask", "Compose", "RandomChoice", "Identity",
    "drop_edges", "add_edges", "drop_nodes", "shuffle_nodes", "mask_features", "dropout_features",
    "add_feature_noise", "random_walk", "random_walk_subgraph", "ppr_diffusion", "heat_diffusion",
    "approximate_ppr", "ppr_matrix", "heat_matrix",
    "degree_centrality", "pagerank_centrality", "eigenvector_centrality", "node_centrality",
    "edge_drop_probabilities", "feature_drop_probabilities",
]
