"""Task weightings for multi-task training, registered by name: ``fixed``,
``uncertainty`` (Kendall et al.), ``mgda`` (min-norm / Pareto, as in ParetoGNN) and
``pcgrad`` (Yu et al.). See :class:`Weighting` for the two kinds."""
from .base import WEIGHTINGS, Weighting, build_weighting, register_weighting
from .fixed import FixedWeighting
from .mgda import MGDAWeighting
from .pcgrad import PCGradWeighting, pcgrad_coefficients
from .uncertainty import UncertaintyWeighting

__all__ = ["Weighting", "WEIGHTINGS", "register_weighting", "build_weighting", "FixedWeighting",
           "UncertaintyWeighting", "MGDAWeighting", "PCGradWeighting", "pcgrad_coefficients"]
