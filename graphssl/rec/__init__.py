"""Recommendation: interaction graphs, backbones, plug-in SSL heads, full-ranking metrics."""
from .interaction_graph import interaction_graph, lightgcn_propagate

__all__ = ["interaction_graph", "lightgcn_propagate"]
