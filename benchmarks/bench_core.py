"""Speed of graphssl's sparse core against its peers, on one random graph, in one run.

Benches (each forward, or forward + backward):
  spmm_fwd           sum aggregation ``out[t] = sum_{s->t} x[s]``
  spmm_fwd_bwd       the same plus the gradient w.r.t. x
  gcn_layer_fwd_bwd  linear + symmetric-normalised aggregation (with self-loops) + bias,
                     gradients w.r.t. the layer's parameters
  memcopy            a large tensor copy: the bandwidth yardstick for the rows above

Implementations: graphssl (automatic CPU backend), torch.sparse.mm on a CSR tensor,
PyG (a MessagePassing sum aggregation, GCNConv with and without caching; if
torch_geometric imports), and DGL in a subprocess run with another interpreter
(``--dgl-python`` or env ``GRAPHSSL_DGL_PYTHON``: DGL needs an older torch, see
DEPENDENCIES.md), else a line with ``"status": "unavailable"``.

The default graph has ogbn-arxiv's size (169,343 nodes, 2,332,486 directed edges: half
drawn uniformly at random, plus their reverses) with 128 float32 features; being random
it has no locality to exploit, which makes it the hard case for gathers. Each timing is
the median of ``--repeats`` runs after warm-up. ``ratio_to_best_peer`` is the best
peer's time divided by this row's time (above 1: faster than every peer).

Examples:
  python benchmarks/bench_core.py                 # full size, table
  python benchmarks/bench_core.py --json --quick  # small graph, JSON lines
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from typing import Callable, Dict, List, Optional

import numpy as np
import torch

DATASET = "random-arxiv-size"
BENCHES = ("spmm_fwd", "spmm_fwd_bwd", "gcn_layer_fwd_bwd")
PEERS = ("torch-csr", "pyg", "dgl")
GOAL_RATIO = 2.0  # graphssl at least 2x faster than the best peer
GOAL_BANDWIDTH = 0.3  # SpMM bandwidth at least 30% of a memory copy's


# ---------------------------------------------------------------------------- graph and timing
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


def time_ms(fn: Callable[[], object], repeats: int, warmup: int = 2) -> float:
    """Median wall time of ``fn`` in milliseconds after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1e3 * statistics.median(times)


def spmm_bytes(num_dst: int, num_edges: int, dim: int, itemsize: int = 4, weighted: bool = False) -> int:
    """Bytes an SpMM must move at least: gathered rows, indices, weights, output, rowptr."""
    return num_edges * (dim * itemsize + 8 + (itemsize if weighted else 0)) + num_dst * dim * itemsize \
        + (num_dst + 1) * 8


def memcopy_gbs(mib: int, repeats: int) -> Dict:
    """Bandwidth of copying a ``mib`` MiB float32 tensor (bytes read + written per second)."""
    a = torch.ones(mib * (1 << 18))
    b = torch.empty_like(a)
    ms = time_ms(lambda: b.copy_(a), repeats)
    return {"bench": "memcopy", "impl": "torch", "metric": "GB/s", "value": round(2 * a.numel() * 4 / ms / 1e6, 2),
            "ms": round(ms, 2), "bytes": 2 * a.numel() * 4}


def _loadavg() -> Optional[float]:
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):  # not on every platform
        return None


# ---------------------------------------------------------------------------- in-process impls
def _grad_like(shape, seed: int = 1) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def run_graphssl(src, dst, nodes: int, dim: int, repeats: int) -> List[Dict]:
    from graphssl.nn import GCNConv
    from graphssl.sparse import Graph, get_backend, spmm

    g = Graph.from_edge_index(torch.from_numpy(np.stack([src, dst])), num_nodes=nodes)
    x = torch.randn(nodes, dim, generator=torch.Generator().manual_seed(0))
    grad = _grad_like((nodes, dim))
    backend = get_backend(x).name
    rows = [{"bench": "spmm_fwd", "ms": time_ms(lambda: spmm(g, x), repeats)}]
    xr = x.clone().requires_grad_()

    def fwd_bwd():
        xr.grad = None
        spmm(g, xr).backward(grad)
    rows.append({"bench": "spmm_fwd_bwd", "ms": time_ms(fwd_bwd, repeats)})

    # The library's layer: it normalises once per graph (cached) and picks the cheaper of
    # A (X W) and (A X) W for what needs a gradient, as DGL's GraphConv picks by width.
    torch.manual_seed(0)
    conv = GCNConv(dim, dim)

    def gcn():
        conv.zero_grad(set_to_none=True)
        conv(g, x).backward(grad)
    rows.append({"bench": "gcn_layer_fwd_bwd", "ms": time_ms(gcn, repeats)})
    for r in rows:
        r.update(impl="graphssl", variant=f"backend={backend}")
    return rows


def run_torch_csr(src, dst, nodes: int, dim: int, repeats: int) -> List[Dict]:
    from graphssl.sparse import Graph

    g = Graph.from_edge_index(torch.from_numpy(np.stack([src, dst])), num_nodes=nodes)
    a = torch.sparse_csr_tensor(g.rowptr, g.col, torch.ones(g.num_edges), (nodes, nodes))
    x = torch.randn(nodes, dim, generator=torch.Generator().manual_seed(0))
    grad = _grad_like((nodes, dim))
    rows = [{"bench": "spmm_fwd", "ms": time_ms(lambda: torch.sparse.mm(a, x), repeats)}]
    xr = x.clone().requires_grad_()

    def fwd_bwd():
        xr.grad = None
        torch.sparse.mm(a, xr).backward(grad)
    rows.append({"bench": "spmm_fwd_bwd", "ms": time_ms(fwd_bwd, repeats)})
    gn = g.gcn_norm()
    an = torch.sparse_csr_tensor(gn.rowptr, gn.col, gn.value, (nodes, nodes))
    torch.manual_seed(0)
    lin = torch.nn.Linear(dim, dim, bias=False)
    bias = torch.nn.Parameter(torch.zeros(dim))

    def gcn():  # aggregate first: x needs no gradient, so one sparse product (as DGL's order)
        lin.weight.grad = bias.grad = None
        (lin(torch.sparse.mm(an, x)) + bias).backward(grad)
    rows.append({"bench": "gcn_layer_fwd_bwd", "ms": time_ms(gcn, repeats)})
    for r in rows:
        r.update(impl="torch-csr", variant="torch.sparse.mm(CSR)")
    return rows


def run_pyg(src, dst, nodes: int, dim: int, repeats: int) -> List[Dict]:
    try:
        import torch_geometric
        from torch_geometric.nn import GCNConv, MessagePassing
    except ImportError as e:  # optional peer
        return [{"bench": b, "impl": "pyg", "status": "unavailable", "reason": f"{e} (pip install graphssl[pyg])"}
                for b in BENCHES]
    try:
        import torch_scatter  # noqa: F401
        scatter = "torch-scatter"
    except ImportError:
        scatter = "torch.scatter_reduce (no torch-scatter)"

    class SumAggregation(MessagePassing):
        def __init__(self):
            super().__init__(aggr="add")

        def forward(self, x, edge_index):
            return self.propagate(edge_index, x=x)

    ei = torch.from_numpy(np.stack([src, dst]))
    x = torch.randn(nodes, dim, generator=torch.Generator().manual_seed(0))
    grad = _grad_like((nodes, dim))
    conv = SumAggregation()
    mp = f"MessagePassing(aggr=add) via {scatter}, torch_geometric {torch_geometric.__version__}"
    rows = [{"bench": "spmm_fwd", "variant": mp, "ms": time_ms(lambda: conv(x, ei), repeats)}]
    xr = x.clone().requires_grad_()

    def fwd_bwd():
        xr.grad = None
        conv(xr, ei).backward(grad)
    rows.append({"bench": "spmm_fwd_bwd", "variant": mp, "ms": time_ms(fwd_bwd, repeats)})
    for cached in (False, True):
        torch.manual_seed(0)
        gcn = GCNConv(dim, dim, cached=cached)

        def step():
            gcn.zero_grad(set_to_none=True)
            gcn(x, ei).backward(grad)
        rows.append({"bench": "gcn_layer_fwd_bwd", "variant": f"GCNConv(cached={cached})",
                     "ms": time_ms(step, repeats, warmup=1)})
    for r in rows:
        r["impl"] = "pyg"
    return rows


# ---------------------------------------------------------------------------- DGL (subprocess)
def run_dgl(src, dst, nodes: int, dim: int, repeats: int, threads: int, python: Optional[str]) -> List[Dict]:
    def unavailable(reason: str, status: str = "unavailable") -> List[Dict]:
        return [{"bench": b, "impl": "dgl", "status": status, "reason": reason} for b in BENCHES]

    if not python:
        return unavailable("no DGL interpreter: pass --dgl-python or set GRAPHSSL_DGL_PYTHON "
                           "(DGL needs its own environment with an older torch; see DEPENDENCIES.md)")
    if not os.path.exists(python):
        return unavailable(f"DGL interpreter {python!r} does not exist")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "edges.npz")
        np.savez(path, src=src, dst=dst)
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        cmd = [python, os.path.abspath(__file__), "--dgl-worker", path, "--nodes", str(nodes), "--dim", str(dim),
               "--repeats", str(repeats), "--threads", str(threads)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        return unavailable(f"DGL worker failed (exit {proc.returncode}): {proc.stderr.strip()[-500:]}", "failed")
    rows = []
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            rows.append(json.loads(line))
    return rows or unavailable("DGL worker printed no results", "failed")


def dgl_worker(path: str, nodes: int, dim: int, repeats: int, threads: int) -> None:
    """Runs inside the DGL interpreter: times DGL on the edges in ``path`` and prints JSON lines."""
    import dgl
    import dgl.function as fn
    from dgl.nn import GraphConv

    torch.set_num_threads(threads)
    e = np.load(path)
    g = dgl.graph((torch.from_numpy(e["src"]), torch.from_numpy(e["dst"])), num_nodes=nodes)
    x = torch.randn(nodes, dim, generator=torch.Generator().manual_seed(0))
    grad = _grad_like((nodes, dim))

    def agg(h):
        with g.local_scope():
            g.srcdata["h"] = h
            g.update_all(fn.copy_u("h", "m"), fn.sum("m", "o"))
            return g.dstdata["o"]
    out = [{"bench": "spmm_fwd", "ms": time_ms(lambda: agg(x), repeats)}]
    xr = x.clone().requires_grad_()

    def fwd_bwd():
        xr.grad = None
        agg(xr).backward(grad)
    out.append({"bench": "spmm_fwd_bwd", "ms": time_ms(fwd_bwd, repeats)})
    gs = dgl.add_self_loop(dgl.remove_self_loop(g))
    torch.manual_seed(0)
    conv = GraphConv(dim, dim, norm="both", bias=True)

    def step():
        conv.zero_grad(set_to_none=True)
        conv(gs, x).backward(grad)
    out.append({"bench": "gcn_layer_fwd_bwd", "ms": time_ms(step, repeats)})
    variant = f"dgl {dgl.__version__}, torch {torch.__version__}"
    for r in out:
        r.update(impl="dgl", variant=variant)
        print(json.dumps(r), flush=True)


# ---------------------------------------------------------------------------- report
def finish(rows: List[Dict], copy: Dict, nodes: int, edges: int, dim: int) -> List[Dict]:
    """Add dataset, ratio to the best peer, bandwidth and goal fields to every row."""
    best = {}
    for r in rows:
        if r.get("impl") in PEERS and "ms" in r:
            best[r["bench"]] = min(best.get(r["bench"], float("inf")), r["ms"])
    nbytes = {"spmm_fwd": spmm_bytes(nodes, edges, dim), "spmm_fwd_bwd": 2 * spmm_bytes(nodes, edges, dim)}
    for r in rows:
        r.update(dataset=DATASET, nodes=nodes, edges=edges, dim=dim, threads=torch.get_num_threads())
        if "ms" not in r:
            continue
        ms = r["ms"]
        r["ms"] = round(ms, 3)
        r.update(metric="median_ms", value=r["ms"])
        if r["bench"] in best:
            r["best_peer_ms"] = round(best[r["bench"]], 3)
            r["ratio_to_best_peer"] = round(best[r["bench"]] / ms, 3)
            if r["impl"] == "graphssl":
                r.update(goal_ratio=GOAL_RATIO, meets_goal=r["ratio_to_best_peer"] >= GOAL_RATIO)
        if r["bench"] in nbytes:
            gbs = nbytes[r["bench"]] / ms / 1e6
            r.update(bytes=nbytes[r["bench"]], bandwidth_gbs=round(gbs, 2),
                     bandwidth_fraction_of_copy=round(gbs / copy["value"], 3))
            if r["impl"] == "graphssl":
                r.update(goal_bandwidth_fraction=GOAL_BANDWIDTH,
                         meets_bandwidth_goal=r["bandwidth_fraction_of_copy"] >= GOAL_BANDWIDTH)
    copy.update(dataset=DATASET, threads=torch.get_num_threads())
    return rows + [copy]


def print_table(rows: List[Dict]) -> None:
    head = f"{'bench':<18} {'impl':<10} {'ms':>9} {'x best peer':>11} {'GB/s':>7} {'% copy':>7}  variant / status"
    print(head)
    print("-" * len(head))
    for r in rows:
        if r["bench"] == "memcopy":
            print(f"{'memcopy':<18} {r['impl']:<10} {r['ms']:>9.2f} {'':>11} {r['value']:>7.1f} {'100%':>7}")
            continue
        if "ms" not in r:
            print(f"{r['bench']:<18} {r['impl']:<10} {'-':>9} {'':>11} {'':>7} {'':>7}  {r['status']}: {r['reason']}")
            continue
        ratio = f"{r['ratio_to_best_peer']:.2f}x" if "ratio_to_best_peer" in r else ""
        bw = f"{r['bandwidth_gbs']:.1f}" if "bandwidth_gbs" in r else ""
        frac = f"{100 * r['bandwidth_fraction_of_copy']:.0f}%" if "bandwidth_fraction_of_copy" in r else ""
        print(f"{r['bench']:<18} {r['impl']:<10} {r['ms']:>9.2f} {ratio:>11} {bw:>7} {frac:>7}  {r.get('variant', '')}")


def main(argv: Optional[List[str]] = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nodes", type=int, default=None, help="default 169343 (20000 with --quick)")
    p.add_argument("--edges", type=int, default=None, help="directed edges; default 2332486 (200000 with --quick)")
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--repeats", type=int, default=None, help="timed runs per bench; default 7 (3 with --quick)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--quick", action="store_true", help="small graph, few repeats")
    p.add_argument("--copy-mib", type=int, default=None, help="memcopy size; default 1024 (64 with --quick)")
    p.add_argument("--dgl-python", default=os.environ.get("GRAPHSSL_DGL_PYTHON"),
                   help="interpreter of an environment with DGL (default: env GRAPHSSL_DGL_PYTHON)")
    p.add_argument("--only", default=None, help="comma-separated impls to run (default: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dgl-worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    nodes = args.nodes or (20_000 if args.quick else 169_343)
    edges = args.edges if args.edges is not None else (200_000 if args.quick else 2_332_486)
    repeats = args.repeats or (3 if args.quick else 7)
    if args.threads < 1 or repeats < 1 or args.dim < 1:
        p.error("--threads, --repeats and --dim must be >= 1")
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", message=".*[Ss]parse.*")  # torch's beta notes on CSR tensors
    if args.dgl_worker:
        dgl_worker(args.dgl_worker, nodes, args.dim, repeats, args.threads)
        return

    # Run from a checkout without installing: make the repository's graphssl importable.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    src, dst = random_edges(nodes, edges, args.seed)
    only = set(args.only.split(",")) if args.only else {"graphssl", *PEERS}
    unknown = only - {"graphssl", *PEERS}
    if unknown:
        p.error(f"unknown impl(s) in --only: {sorted(unknown)}; choose from graphssl, {', '.join(PEERS)}")
    copy_mib = args.copy_mib or (64 if args.quick else 1024)
    load_start = _loadavg()
    copy = memcopy_gbs(copy_mib, repeats)
    rows: List[Dict] = []
    if "graphssl" in only:
        rows += run_graphssl(src, dst, nodes, args.dim, repeats)
    if "torch-csr" in only:
        rows += run_torch_csr(src, dst, nodes, args.dim, repeats)
    if "pyg" in only:
        rows += run_pyg(src, dst, nodes, args.dim, repeats)
    if "dgl" in only:
        rows += run_dgl(src, dst, nodes, args.dim, repeats, args.threads, args.dgl_python)
    # The machine may be shared: copy again at the end and keep the faster copy (the
    # stricter yardstick); the load averages say how busy the machine was.
    again = memcopy_gbs(copy_mib, repeats)
    if again["value"] > copy["value"]:
        copy = again
    copy.update(loadavg_start=load_start, loadavg_end=_loadavg())
    rows = finish(rows, copy, nodes, edges, args.dim)
    if args.json:
        for r in rows:
            print(json.dumps(r), flush=True)
    else:
        print(f"{DATASET}: {nodes} nodes, {edges} edges, dim {args.dim}, {args.threads} threads, "
              f"median of {repeats}; load average {copy['loadavg_start']} -> {copy['loadavg_end']}")
        print_table(rows)


if __name__ == "__main__":
    main()
