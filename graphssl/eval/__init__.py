"""Evaluation protocols on frozen embeddings."""
from .linear_probe import ProbeResult, linear_probe
from .summary import mean_std

__all__ = ["linear_probe", "ProbeResult", "mean_std"]
