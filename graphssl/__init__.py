"""graphssl: self-supervised learning on graphs and SSL-enhanced recommendation."""
from .sparse import Graph

__version__ = "0.1.0"
__all__ = ["Graph", "__version__"]
