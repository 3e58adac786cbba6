"""Neighbour sampling throughput (sampled edges per second) of graphssl against its peers.

The work: seed batches of ``--batch-size`` nodes (consecutive slices of one seeded
permutation), each expanded through fan-outs ``--fanouts`` (DGL's order: the last one is
the hop from the seeds) without replacement, on a random graph of ``--nodes`` nodes and
``--edges`` directed edges (half uniform pairs, half their reverses). The metric is the
number of edges in all sampled Blocks divided by the wall time, after warm-up batches.

Implementations:
  graphssl        NeighborSampler, numba kernels (the default CPU path)
  graphssl-torch  NeighborSampler(backend="torch"), the vectorised fallback (fewer batches)
  pyg             torch_geometric.loader.NeighborLoader (needs pyg-lib or torch-sparse;
                  reported unavailable otherwise, with the reason)
  dgl             dgl.dataloading.NeighborSampler, run in a subprocess with the
                  interpreter of an environment holding DGL (``--dgl-python`` or env
                  GRAPHSSL_DGL_PYTHON; DGL needs an older torch, see DEPENDENCIES.md)

The machine may be shared: every row records the load average, and the numbers are only
comparable within one run; ``--rounds R`` runs every implementation R times, alternating,
and reports its median round. ``ratio_to_best_peer`` is graphssl's throughput over the best
peer library's that ran (PyG, DGL); ``ratio_to_torch_fallback`` over its own torch path.

Examples:
  python benchmarks/bench_sampling.py                 # 1M nodes, 20M edges, 2 threads
  python benchmarks/bench_sampling.py --quick --json  # small graph, JSON lines
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from typing import Dict, List, Optional

import numpy as np
import torch

# this folder is on sys.path when run as a script
from bench_common import add_rounds_argument, random_edges, run_dgl_worker, run_rounds

BENCH = "neighbor_sampling"
METRIC = "sampled_edges_per_s"
GOAL_EDGES_PER_S = 25e6
IMPLS = ("graphssl", "graphssl-torch", "pyg", "dgl")
PEERS = ("pyg", "dgl")  # other libraries (graphssl-torch is graphssl's own fallback)
# DGL's NeighborSampler on this benchmark, measured in DGL's own environment
# (DEPENDENCIES.md); reported for context when DGL cannot run in this session.
DGL_REFERENCE_EDGES_PER_S = 5.9e6


# ---------------------------------------------------------------------------- graph and timing
def seed_batches(nodes: int, batch_size: int, count: int, seed: int) -> List[np.ndarray]:
    """``count`` disjoint batches of unique seed nodes (slices of one permutation)."""
    perm = np.random.default_rng(seed + 1).permutation(nodes)
    count = min(count, nodes // batch_size) or 1
    return [perm[i * batch_size:(i + 1) * batch_size] for i in range(count)]


def throughput(sample_edges, batches: List[np.ndarray], warmup: int) -> Dict:
    """Run ``sample_edges(seeds) -> number of sampled edges`` over the batches (the first
    ``warmup`` untimed) and return edges per wall second, mean wall ms per batch, edges
    per batch, and the process's CPU time per batch (all threads: on a shared machine,
    ``edges_per_cpu_s`` says how much work the sampler needs, whatever share it got)."""
    for b in batches[:warmup]:
        sample_edges(b)
    timed = batches[warmup:] or batches
    total = 0
    t, c = time.perf_counter(), time.process_time()
    for b in timed:
        total += sample_edges(b)
    el, cpu = time.perf_counter() - t, time.process_time() - c
    return {"value": round(total / el, 1), "ms": round(1e3 * el / len(timed), 3),
            "edges_per_batch": round(total / len(timed), 1), "batches": len(timed),
            "cpu_ms": round(1e3 * cpu / len(timed), 3), "edges_per_cpu_s": round(total / max(cpu, 1e-9), 1)}


def _loadavg() -> Optional[float]:
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):  # not on every platform
        return None


# ---------------------------------------------------------------------------- in-process impls
def run_graphssl(graph, fanouts, batches, warmup, backend: str) -> Dict:
    from graphssl.sampling import NeighborSampler

    sampler = NeighborSampler(graph, fanouts, replace=False, seed=0, backend=backend)

    def sample_edges(seeds):
        return sum(b.num_edges for b in sampler.sample(torch.from_numpy(seeds)).blocks)
    row = throughput(sample_edges, batches, warmup)
    row.update(impl="graphssl" if backend == "numba" else "graphssl-torch",
               variant=f"NeighborSampler(backend={backend!r})")
    return row


def run_pyg(src, dst, nodes, fanouts, batches, warmup) -> Dict:
    try:
        import torch_geometric
        from torch_geometric.data import Data
        from torch_geometric.loader import NeighborLoader
    except ImportError as e:  # optional peer
        return {"impl": "pyg", "status": "unavailable", "reason": f"{e} (pip install graphssl[pyg])"}
    data = Data(edge_index=torch.from_numpy(np.stack([src, dst])), num_nodes=nodes)
    try:  # NeighborLoader fails only when it samples, without pyg-lib or torch-sparse
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            next(iter(NeighborLoader(data, num_neighbors=list(reversed(fanouts)), batch_size=len(batches[0]),
                                     input_nodes=torch.from_numpy(batches[0]))))
    except ImportError as e:
        return {"impl": "pyg", "status": "unavailable",
                "reason": f"{e} (torch_geometric {torch_geometric.__version__}; pyg-lib is not on PyPI and "
                          "torch-sparse builds from source only, see DEPENDENCIES.md)"}
    # One loader over the same seed batches in the same order, iterated batch by batch.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loader = NeighborLoader(data, num_neighbors=list(reversed(fanouts)), batch_size=len(batches[0]),
                                input_nodes=torch.from_numpy(np.concatenate(batches)), replace=False)
    it = iter(loader)

    def sample_edges(seeds):
        return int(next(it).edge_index.size(1))
    row = throughput(sample_edges, batches, warmup)
    row.update(impl="pyg", variant=f"NeighborLoader(num_neighbors={list(reversed(fanouts))}), "
                                   f"torch_geometric {torch_geometric.__version__}")
    return row


# ---------------------------------------------------------------------------- DGL (subprocess)
def run_dgl(src, dst, nodes, fanouts, batches, warmup, threads, python: Optional[str]) -> Dict:
    def unavailable(reason: str, status: str = "unavailable") -> Dict:
        return {"impl": "dgl", "status": status, "reason": reason}

    lines, reason, status = run_dgl_worker(
        python, __file__, {"src": src, "dst": dst, "batches": np.stack(batches)},
        ["--nodes", str(nodes), "--fanouts", ",".join(map(str, fanouts)), "--warmup", str(warmup),
         "--threads", str(threads)], threads)
    if lines is None:
        return unavailable(reason, status)
    return json.loads(lines[0]) if lines else unavailable("DGL worker printed no result", "failed")


def dgl_worker(path: str, nodes: int, fanouts: List[int], warmup: int, threads: int) -> None:
    """Runs inside the DGL interpreter: times DGL's NeighborSampler and prints one JSON line."""
    import dgl

    torch.set_num_threads(threads)
    e = np.load(path)
    g = dgl.graph((torch.from_numpy(e["src"]), torch.from_numpy(e["dst"])), num_nodes=nodes)
    g.create_formats_()  # build CSC once, outside the timing (as a DataLoader would)
    sampler = dgl.dataloading.NeighborSampler(fanouts)

    def sample_edges(seeds):
        _, _, blocks = sampler.sample_blocks(g, torch.from_numpy(seeds))
        return sum(int(b.num_edges()) for b in blocks)
    row = throughput(sample_edges, list(e["batches"]), warmup)
    row.update(impl="dgl", variant=f"dgl.dataloading.NeighborSampler({fanouts}), dgl {dgl.__version__}, "
                                   f"torch {torch.__version__}")
    print(json.dumps(row), flush=True)


# ---------------------------------------------------------------------------- main
def main(argv: Optional[List[str]] = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nodes", type=int, default=None, help="default 1,000,000 (20,000 with --quick)")
    p.add_argument("--edges", type=int, default=None, help="directed edges; default 20,000,000 (400,000 with --quick)")
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--fanouts", default="15,10,5", help="comma-separated, outermost layer first (DGL's order)")
    p.add_argument("--batches", type=int, default=None, help="timed batches; default 20 (4 with --quick)")
    p.add_argument("--torch-batches", type=int, default=None,
                   help="timed batches of the slower torch fallback; default 3 (2 with --quick)")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    add_rounds_argument(p)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--quick", action="store_true", help="small graph, few batches (a smoke test)")
    p.add_argument("--dgl-python", default=os.environ.get("GRAPHSSL_DGL_PYTHON"),
                   help="interpreter of an environment with DGL (default: env GRAPHSSL_DGL_PYTHON)")
    p.add_argument("--only", default=None, help="comma-separated impls to run (default: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dgl-worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    try:
        fanouts = [int(f) for f in args.fanouts.split(",")]
    except ValueError:
        p.error(f"--fanouts must be comma-separated ints, got {args.fanouts!r}")
    nodes = args.nodes or (20_000 if args.quick else 1_000_000)
    edges = args.edges if args.edges is not None else (400_000 if args.quick else 20_000_000)
    nbatch = args.batches or (4 if args.quick else 20)
    ntorch = args.torch_batches or (2 if args.quick else 3)
    if min(args.threads, args.batch_size, nbatch, ntorch, args.rounds) < 1 or args.warmup < 0:
        p.error("--threads, --batch-size, --batches, --torch-batches, --rounds must be >= 1 and --warmup >= 0")
    torch.set_num_threads(args.threads)
    if args.dgl_worker:
        dgl_worker(args.dgl_worker, nodes, fanouts, args.warmup, args.threads)
        return

    # Run from a checkout without installing: make the repository's graphssl importable.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from graphssl.sparse import Graph

    only = set(args.only.split(",")) if args.only else set(IMPLS)
    if only - set(IMPLS):
        p.error(f"unknown impl(s) in --only: {sorted(only - set(IMPLS))}; choose from {', '.join(IMPLS)}")
    load_start = _loadavg()
    t = time.perf_counter()
    src, dst = random_edges(nodes, edges, args.seed)
    graph = Graph.from_edge_index(torch.from_numpy(np.stack([src, dst])), num_nodes=nodes)
    build_s = time.perf_counter() - t
    batches = seed_batches(nodes, args.batch_size, args.warmup + nbatch, args.seed)
    runners = {  # each gives one row
        "graphssl": lambda: [run_graphssl(graph, fanouts, batches, args.warmup, "numba")],
        "graphssl-torch": lambda: [run_graphssl(graph, fanouts, batches[:args.warmup + ntorch], min(args.warmup, 1),
                                                "torch")],
        "pyg": lambda: [run_pyg(src, dst, nodes, fanouts, batches, args.warmup)],
        "dgl": lambda: [run_dgl(src, dst, nodes, fanouts, batches, args.warmup, args.threads, args.dgl_python)]}
    rows = run_rounds({k: f for k, f in runners.items() if k in only}, args.rounds)
    load_end = _loadavg()
    dataset = f"random-{nodes}n-{edges}e"
    best_peer = max((r["value"] for r in rows if r.get("impl") in PEERS and "value" in r), default=None)
    for r in rows:
        r.update(bench=BENCH, dataset=dataset, metric=METRIC, nodes=nodes, edges=edges, batch_size=args.batch_size,
                 fanouts=fanouts, replace=False, threads=args.threads, loadavg_start=load_start, loadavg_end=load_end)
        if "value" not in r:
            r.update(value=None, ms=None)
        if r["impl"] == "graphssl" and r["value"] is not None:
            r.update(goal=GOAL_EDGES_PER_S, meets_goal=r["value"] >= GOAL_EDGES_PER_S, graph_build_s=round(build_s, 2))
            if best_peer:
                r["ratio_to_best_peer"] = round(r["value"] / best_peer, 2)
            fallback = [x["value"] for x in rows if x["impl"] == "graphssl-torch" and x.get("value")]
            if fallback:
                r["ratio_to_torch_fallback"] = round(r["value"] / fallback[0], 2)
            if not any(x["impl"] == "dgl" and x.get("value") for x in rows) and nodes == 1_000_000 \
                    and edges == 20_000_000 and fanouts == [15, 10, 5]:
                r.update(dgl_reference_edges_per_s=DGL_REFERENCE_EDGES_PER_S,
                         ratio_to_dgl_reference=round(r["value"] / DGL_REFERENCE_EDGES_PER_S, 2))
    if args.json:
        for r in rows:
            print(json.dumps(r), flush=True)
        return
    print(f"{dataset}: batch {args.batch_size}, fanouts {fanouts} without replacement, {args.threads} threads; "
          f"load average {load_start} -> {load_end}")
    head = (f"{'impl':<15} {'M edges/s':>10} {'ms/batch':>9} {'cpu ms':>8} {'M/cpu-s':>8} {'edges/batch':>12}  "
            "variant / status")
    print(head)
    print("-" * len(head))
    for r in rows:
        if r["value"] is None:
            print(f"{r['impl']:<15} {'-':>10} {'-':>9} {'-':>8} {'-':>8} {'-':>12}  {r['status']}: {r['reason']}")
        else:
            print(f"{r['impl']:<15} {r['value'] / 1e6:>10.2f} {r['ms']:>9.1f} {r['cpu_ms']:>8.1f} "
                  f"{r['edges_per_cpu_s'] / 1e6:>8.2f} {r['edges_per_batch']:>12.0f}  {r.get('variant', '')}")


if __name__ == "__main__":
    main()
