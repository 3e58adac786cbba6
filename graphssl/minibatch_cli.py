"""The mini-batch and multi-process options of ``graphssl pretrain``.

``--batch-size B`` (with ``--fanouts`` for neighbour sampling, or ``--sampler``) switches
to mini-batch training; under ``torchrun --nproc_per_node N -m graphssl pretrain ...``
the command trains with DistributedDataParallel and rank 0 alone writes and prints.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Dict, List, Optional

__all__ = ["add_minibatch_arguments", "minibatch_overrides", "checkpoint_for_seed"]

_SAMPLERS = ("neighbor", "local_cluster", "random_walk", "cluster")

MINIBATCH_HELP = """\
mini-batch training (for graphs too large for a full-graph step):
  --batch-size B switches to mini-batches of B seed nodes (roots, parts for --sampler cluster).
  --fanouts 15,10 samples neighbours per layer (DGL's order: the last number is the hop next
  to the seeds) and trains on Blocks: GraphMAE/GraphMAE2 only, with one fan-out per encoder
  layer plus one per GNN decoder layer (e.g. 2-layer GAT encoder + GAT decoder: 3 fan-outs).
  --sampler local_cluster|random_walk|cluster trains on sampled subgraphs, which every
  node-level method takes (GRACE, BGRL, GraphMAE2's local-cluster ego graphs, multitask);
  it is the default when --batch-size comes without --fanouts.
  Embeddings are then computed layer-wise in batches of --embed-batch-size nodes.
  A config file's `minibatch:` section sets the same keys (and sampler arguments).

multi-process training:
  torchrun --nproc_per_node N -m graphssl pretrain --batch-size B ... trains with
  DistributedDataParallel (gloo on CPU, nccl on GPU: one GPU per process), each process
  sampling its own share of the seed nodes; rank 0 alone writes --checkpoint and prints.
"""


def _fanouts(spec: str) -> List[int]:
    try:
        out = [int(v) for v in str(spec).split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad --fanouts {spec!r}: use e.g. 15,10 (-1: all neighbours)") from None
    if not out or any(v < -1 for v in out):
        raise argparse.ArgumentTypeError(f"bad --fanouts {spec!r}: use e.g. 15,10 (-1: all neighbours)")
    return out


def add_minibatch_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the mini-batch and checkpoint options to the ``pretrain`` parser."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (parser.epilog + "\n\n" if parser.epilog else "") + MINIBATCH_HELP
    g = parser.add_argument_group("mini-batch training (see below)")
    g.add_argument("--batch-size", type=int, help="train on mini-batches of this many seed nodes")
    g.add_argument("--fanouts", type=_fanouts, help="neighbour fan-outs per layer, e.g. 15,10,5 (neighbour sampler)")
    g.add_argument("--sampler", choices=_SAMPLERS, help="sampler (default: neighbor with --fanouts, else local_cluster)")
    g.add_argument("--cluster-size", type=int, help="nodes per local-cluster ego graph (local_cluster sampler)")
    g.add_argument("--walk-length", type=int, help="steps per random walk (random_walk sampler)")
    g.add_argument("--num-parts", type=int, help="graph parts (cluster sampler)")
    g.add_argument("--num-workers", type=int, help="sampling worker processes (default 0)")
    g.add_argument("--embed-batch-size", type=int, help="nodes per batch of the layer-wise embedding")
    parser.add_argument("--checkpoint", help="checkpoint file (written by rank 0; resumed from when present; "
                                             "one file per seed when several seeds run)")


def minibatch_overrides(args: argparse.Namespace) -> Dict[str, Any]:
    """The config overrides (``{"minibatch": {...}}``) the command-line options ask for;
    empty when none was given.

    Raises:
        ValueError: a non-positive size or ``--fanouts`` with a subgraph sampler.
    """
    opts = {"batch_size": args.batch_size, "fanouts": args.fanouts, "sampler": args.sampler,
            "cluster_size": args.cluster_size, "walk_length": args.walk_length, "num_parts": args.num_parts,
            "num_workers": args.num_workers, "embed_batch_size": args.embed_batch_size}
    opts = {k: v for k, v in opts.items() if v is not None}
    for k in ("batch_size", "cluster_size", "walk_length", "num_parts", "embed_batch_size"):
        if k in opts and opts[k] <= 0:
            raise ValueError(f"--{k.replace('_', '-')} must be positive, got {opts[k]}")
    if opts.get("num_workers", 0) < 0:
        raise ValueError(f"--num-workers must be >= 0, got {opts['num_workers']}")
    if "fanouts" in opts and opts.get("sampler", "neighbor") != "neighbor":
        raise ValueError(f"--fanouts is for the neighbour sampler, not --sampler {opts['sampler']}")
    return {"minibatch": opts} if opts else {}


def checkpoint_for_seed(path: Optional[str], seed: int, num_seeds: int) -> Optional[str]:
    """``path`` itself for a single seed, ``<stem>-seed<seed><suffix>`` for several."""
    if path is None or num_seeds == 1:
        return path
    p = Path(path)
    return str(p.with_name(f"{p.stem}-seed{seed}{p.suffix}"))
