"""Samplers for mini-batch training on large graphs (core level: no SSL, no datasets).

- :class:`NeighborSampler`: per-layer neighbour fan-outs -> :class:`Block` s, outermost
  first (parallel numba kernels, or vectorised torch), deterministic under a seed.
- :class:`LinkSampler`: seed edges, uniform or degree-based negatives (optionally never an
  existing edge), and Blocks for their endpoints (:func:`negative_targets`).
- :class:`RandomWalkSampler` (GraphSAINT), :class:`LocalClusterSampler` (ego graphs of
  approximate-PPR local clusters, as GraphMAE2), :class:`ClusterSampler` (Cluster-GCN on a
  :func:`partition_graph` partition: METIS with pymetis, else a seeded spectral or BFS split).
- :class:`SampleLoader`: batches of any sampler through ``torch.utils.data.DataLoader``
  (worker processes, prefetching), the same batches for any ``num_workers``.

Every sampler is found by name in :data:`SAMPLERS` (``build_sampler("neighbor", graph,
fanouts=[15, 10, 5])``).
"""
from .base import SAMPLERS, Sampler, build_sampler, register_sampler
from .block import Block, MiniBatch, Subgraph
from .cluster_sampler import ClusterSampler
from .link_sampler import LinkBatch, LinkSampler, degree_cdf, negative_targets
from .loader import SampleLoader
from .local_cluster_sampler import LocalClusterSampler, ppr_clusters
from .neighbor_sampler import NeighborSampler
from .partition import PARTITION_METHODS, edge_cut, partition_graph
from .random_walk_sampler import RandomWalkSampler, random_walks

__all__ = ["Sampler", "SAMPLERS", "register_sampler", "build_sampler", "Block", "MiniBatch", "Subgraph",
           "NeighborSampler", "LinkSampler", "LinkBatch", "negative_targets", "degree_cdf", "RandomWalkSampler",
           "random_walks", "LocalClusterSampler", "ppr_clusters", "ClusterSampler", "partition_graph",
           "PARTITION_METHODS", "edge_cut", "SampleLoader"]
