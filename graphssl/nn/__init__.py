"""Graph neural network layers and encoders built only on :mod:`graphssl.sparse`.

Every layer takes ``(graph, x)`` and works on a full graph, on a :class:`GraphBatch`'s
union graph, and on a sampled Block (a bipartite graph whose first ``num_dst_nodes``
sources are its destinations; the output has ``num_dst_nodes`` rows). GCN layers on Blocks
normalise by the full graph's degrees once :func:`attach_global_degrees` has run;
:func:`layerwise_inference` runs an encoder over a large graph layer by layer.
"""
from .activation import activation_names, create_activation
from .encoder import CONVS, GNNEncoder, build_encoder, conv_names, register_conv
from .gat_conv import GATConv
from .gcn_conv import GCNConv
from .gin_conv import GINConv
from .graph_views import attach_global_degrees, gcn_normalized, unweighted, with_self_loops
from .layerwise import layerwise_inference
from .mlp import MLP, GraphLinear
from .norm import create_norm, norm_names
from .pool import GlobalPool, global_pool, max_pool, mean_pool, sum_pool
from .sage_conv import SAGEConv

__all__ = ["GCNConv", "GATConv", "GINConv", "SAGEConv", "MLP", "GraphLinear", "GNNEncoder", "build_encoder",
           "register_conv", "conv_names", "CONVS", "global_pool", "sum_pool", "mean_pool", "max_pool",
           "GlobalPool", "create_activation", "activation_names", "create_norm", "norm_names",
           "gcn_normalized", "with_self_loops", "unweighted", "attach_global_degrees", "layerwise_inference"]
