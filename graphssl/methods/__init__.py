"""SSL methods (encoder + augmenters + loss) behind one interface and a name registry."""
import importlib

from .base import METHODS, GraphInput, SSLMethod, build_method, check_level, register_method
from .graphmae import GraphMAE, GraphMAE2
from .graphcl import GRAPHCL_AUGMENTATIONS, GraphCL, graphcl_loss
from .infograph import InfoGraph, InfoGraphEncoder
from .sgc import SGC
from .dgi import DGI
from .grace import GCA, GRACE
from .bgrl import BGRL
from .mvgrl import MVGRL
from .cca_ssg import CCASSG

__all__ = ["SSLMethod", "GraphInput", "METHODS", "register_method", "build_method", "check_level", "SGC", "GraphMAE",
           "GraphMAE2", "GraphCL", "GRAPHCL_AUGMENTATIONS", "graphcl_loss", "InfoGraph", "InfoGraphEncoder",
           "DGI", "GRACE", "GCA", "BGRL", "MVGRL", "CCASSG"]

# The multi-task methods live in their own subpackage (which builds on this one); importing
# it registers "multitask" and "paretognn".
importlib.import_module("graphssl.multitask")
