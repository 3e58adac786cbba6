"""Evaluation protocols on frozen embeddings."""
from .linear_probe import ProbeResult, linear_probe
from .rankme import rankme
from .summary import mean_std
from .svm import svm_cross_validation

__all__ = ["linear_probe", "ProbeResult", "mean_std", "rankme", "svm_cross_validation"]
