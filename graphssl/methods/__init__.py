"""SSL methods (encoder + augmenters + loss) behind one interface and a name registry."""
from .base import METHODS, GraphInput, SSLMethod, build_method, register_method
from .graphmae import GraphMAE, GraphMAE2
from .graphcl import GRAPHCL_AUGMENTATIONS, GraphCL, graphcl_loss
from .infograph import InfoGraph, InfoGraphEncoder
from .sgc import SGC

__all__ = ["SSLMethod", "GraphInput", "METHODS", "register_method", "build_method", "SGC", "GraphMAE",
           "GraphMAE2", "GraphCL", "GRAPHCL_AUGMENTATIONS", "graphcl_loss", "InfoGraph", "InfoGraphEncoder"]
