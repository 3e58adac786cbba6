"""Ready pretext tasks, registered by name.

ParetoGNN's five: ``feature_reconstruction`` (GraphMAE-style), ``graph_mi`` (DGI-style),
``subgraph_mi`` (GRACE-style), ``decorrelation`` (CCA-SSG-style), ``link_prediction``.
SelfTask-GNN's: ``node_property``, ``edge_mask``, ``pairwise_distance``,
``distance_to_clusters``, ``pairwise_attr_sim``, ``attribute_mask``.
"""
from .attribute_mask import AttributeMask
from .decorrelation import Decorrelation
from .distance_to_clusters import DistanceToClusters, cluster_centers
from .edge_mask import EdgeMask
from .feature_reconstruction import FeatureReconstruction
from .graph_mi import GraphMutualInformation
from .link_prediction import LinkPrediction
from .node_property import NodeProperty
from .pairwise_attr_sim import PairwiseAttrSim
from .pairwise_distance import PairwiseDistance, distance_buckets
from .subgraph_mi import SubgraphMutualInformation

#: ParetoGNN's five pretext tasks, in the order of its published scripts' ``--tasks``.
PARETOGNN_TASKS = ("feature_reconstruction", "graph_mi", "decorrelation", "subgraph_mi", "link_prediction")
#: SelfTask-GNN's pretext tasks.
SELFTASK_TASKS = ("node_property", "edge_mask", "pairwise_distance", "distance_to_clusters", "pairwise_attr_sim",
                  "attribute_mask")

__all__ = ["FeatureReconstruction", "GraphMutualInformation", "SubgraphMutualInformation", "Decorrelation",
           "LinkPrediction", "NodeProperty", "EdgeMask", "PairwiseDistance", "DistanceToClusters",
           "PairwiseAttrSim", "AttributeMask", "PARETOGNN_TASKS", "SELFTASK_TASKS", "distance_buckets",
           "cluster_centers"]
