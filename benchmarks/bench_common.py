"""Helpers shared by the speed benchmarks (imported from the scripts' own folder; numpy
only, so the peers' environments can import it too)."""
from __future__ import annotations

import os
import subprocess
import tempfile
from typing import Dict, List, Optional, Tuple

import numpy as np

__all__ = ["random_edges", "run_dgl_worker"]

DGL_HINT = ("no DGL interpreter: pass --dgl-python or set GRAPHSSL_DGL_PYTHON "
            "(DGL needs its own environment with an older torch; see DEPENDENCIES.md)")


def random_edges(nodes: int, edges: int, seed: int = 0):
    """``(src, dst)`` int64 arrays: ``edges // 2`` uniform random pairs and their reverses."""
    if nodes < 1 or edges < 0:
        raise ValueError(f"need nodes >= 1 and edges >= 0, got {nodes} and {edges}")
    rng = np.random.default_rng(seed)
    half = edges // 2
    s = rng.integers(0, nodes, half)
    d = rng.integers(0, nodes, half)
    extra = rng.integers(0, nodes, (2, edges - 2 * half))
    return np.concatenate([s, d, extra[0]]), np.concatenate([d, s, extra[1]])


def run_dgl_worker(python: Optional[str], script: str, arrays: Dict[str, np.ndarray], args: List[str],
                   threads: int) -> Tuple[Optional[List[str]], str, str]:
    """Run ``script --dgl-worker <npz of arrays> *args`` under DGL's own interpreter.

    Returns:
        ``(json_lines, "", "")`` on success (the lines of stdout that start with ``{``),
        else ``(None, reason, status)`` with status ``"unavailable"`` (no interpreter) or
        ``"failed"`` (the worker exited with an error).
    """
    if not python:
        return None, DGL_HINT, "unavailable"
    if not os.path.exists(python):
        return None, f"DGL interpreter {python!r} does not exist", "unavailable"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "arrays.npz")
        np.savez(path, **arrays)
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        cmd = [python, os.path.abspath(script), "--dgl-worker", path] + args
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        return None, f"DGL worker failed (exit {proc.returncode}): {proc.stderr.strip()[-500:]}", "failed"
    return [line for line in proc.stdout.splitlines() if line.startswith("{")], "", ""
