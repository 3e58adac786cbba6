"""graphssl: self-supervised learning on graphs and SSL-enhanced recommendation."""
from .openmp_env import set_spin_default

set_spin_default()  # before torch or numba load an OpenMP runtime (see graphssl.openmp_env)

from .sparse import Graph  # noqa: E402

__version__ = "0.1.0"
__all__ = ["Graph", "__version__"]
