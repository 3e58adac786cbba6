"""Kernel backends (torch reference, numba CPU, Triton CUDA); see `graphssl.sparse.backend`."""
