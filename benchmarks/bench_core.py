"""Speed of graphssl's sparse core against its peers, on one random graph, in one run.

Benches (each forward, or forward + backward):
  spmm_fwd           sum aggregation ``out[t] = sum_{s->t} x[s]``
  spmm_fwd_bwd       the same plus the gradient w.r.t. x
  gcn_layer_fwd_bwd  linear + symmetric-normalised aggregation (with self-loops) + bias,
                     gradients w.r.t. the layer's parameters
  gat_layer_fwd_bwd  a 4-head GAT layer (width dim, self-loops), gradients w.r.t. its parameters
  graphmae_step      one GraphMAE training step (mask, 2 GAT layers encoding, 1 decoding,
                     SCE loss, backward, Adam) with the published Cora setting at width dim
  memcopy            a large tensor copy: the bandwidth yardstick for the rows above

Implementations: graphssl (automatic backend: numba on CPU, Triton on CUDA), torch.sparse.mm
on a CSR tensor (the SpMM and GCN rows), PyG (a MessagePassing sum aggregation, GCNConv
with and without caching, GATConv, GraphMAE built from GATConv; if torch_geometric
imports), and DGL in a subprocess run with another interpreter (``--dgl-python`` or env
``GRAPHSSL_DGL_PYTHON``: DGL needs an older torch, see DEPENDENCIES.md), else a line with
``"status": "unavailable"``.

The default graph has ogbn-arxiv's size (169,343 nodes, 2,332,486 directed edges: half
drawn uniformly at random, plus their reverses) with 128 float32 features; being random
it has no locality to exploit, which makes it the hard case for gathers. Each timing is
the median of ``--repeats`` runs after warm-up; with ``--rounds R`` every implementation
runs R times, alternating, and its median round is reported (the machine may be shared:
a slow spell then hits every implementation alike). ``ratio_to_best_peer`` is the best
peer's time divided by this row's time (above 1: faster than every peer).

``--dims 64,128,256`` runs the whole set at each width in turn; ``--nodes 2000000 --edges
60000000`` is the large graph (dataset ``random-<nodes>n-<edges>e``). An implementation that
needs more memory than there is gets ``"status": "out_of_memory"`` rows (what it failed to
allocate) and the run goes on: on Linux the process caps its data memory at what is
available when it starts (``--memory-limit-gb``), so an allocation fails in Python instead
of the kernel killing the run.

``--device cuda`` runs every implementation on the GPU (DGL too, if its environment has a
CUDA build) and measures the yardstick as a device-to-device copy: the achievable peak
of the GPU's memory bandwidth.

Examples:
  python benchmarks/bench_core.py                 # full size, table
  python benchmarks/bench_core.py --json --quick  # small graph, JSON lines
  python benchmarks/bench_core.py --device cuda   # on the GPU
  python benchmarks/bench_core.py --json --nodes 2000000 --edges 60000000 --dims 64,128,256 --repeats 1
"""
from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import statistics
import sys
import time
import warnings
from typing import Callable, Dict, List, Optional

import numpy as np
import torch

# this folder is on sys.path when run as a script
from bench_common import GRAPHMAE_STEP, add_rounds_argument, pyg_graphmae, random_edges, run_dgl_worker, run_rounds

DATASET = "random-arxiv-size"
BENCHES = ("spmm_fwd", "spmm_fwd_bwd", "gcn_layer_fwd_bwd", "gat_layer_fwd_bwd", "graphmae_step")
PEERS = ("torch-csr", "pyg", "dgl")
GOAL_RATIO = 2.0  # graphssl at least 2x faster than the best peer
GOAL_BANDWIDTH = 0.3  # SpMM bandwidth at least 30% of a memory copy's
# On a GPU (issue 8): beat the best peer, and reach 60% of a device-to-device copy.
GOALS = {"cpu": (GOAL_RATIO, GOAL_BANDWIDTH), "cuda": (1.0, 0.6)}


# ---------------------------------------------------------------------------- graph and timing
def time_ms(fn: Callable[[], object], repeats: int, warmup: int = 2, device: str = "cpu") -> float:
    """Median wall time of ``fn`` in milliseconds after ``warmup`` untimed calls; on CUDA
    each call is bracketed by a synchronisation, so the time covers the kernels."""
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        sync()
        t = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t)
    return 1e3 * statistics.median(times)


_OOM_MARKERS = ("can't allocate memory", "out of memory", "not enough memory", "bad_alloc", "cannot allocate")


def is_out_of_memory(e: BaseException) -> bool:
    """Whether ``e`` is an allocation failure (host memory under ``--memory-limit-gb``, or
    the GPU's)."""
    return isinstance(e, MemoryError) or any(m in str(e).lower() for m in _OOM_MARKERS)


ATTENTION_BENCHES = ("gat_layer_fwd_bwd", "graphmae_step")


def oom_guarded(benches, build: Callable[[], List[Dict]], **extra) -> List[Dict]:
    """``build()``, or one ``out_of_memory`` row (``extra`` fields, and what failed to
    allocate as ``reason``) per bench of ``benches`` when it fails to allocate; other errors
    propagate. The rows are made after leaving the ``except`` block, so that the failed
    call's tensors, held by the traceback, are freed before the next bench."""
    try:
        return build()
    except (RuntimeError, MemoryError) as e:
        if not is_out_of_memory(e):
            raise
        reason = (str(e).strip().splitlines() or [type(e).__name__])[0][:300]
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return [{"bench": b, **extra, "status": "out_of_memory", "reason": reason} for b in benches]


def timed(bench: str, fn: Callable[[], object], repeats: int, warmup: int = 2, device: str = "cpu",
          **extra) -> Dict:
    """``{"bench", "ms", **extra}`` from :func:`time_ms`, or an ``out_of_memory`` row when an
    allocation fails (see :func:`oom_guarded`)."""
    return oom_guarded((bench,), lambda: [{"bench": bench, **extra, "ms": time_ms(fn, repeats, warmup, device)}],
                       **extra)[0]


def attention_rows(gat: torch.nn.Module, gat_forward: Callable[[], torch.Tensor], grad: torch.Tensor,
                   mae: torch.nn.Module, mae_loss: Callable[[], torch.Tensor], repeats: int,
                   device: str = "cpu") -> List[Dict]:
    """The ``gat_layer_fwd_bwd`` and ``graphmae_step`` rows of one framework: ``gat_forward()``
    is the layer's ``[N, dim]`` output (backpropagated with ``grad``), ``mae_loss()`` the
    GraphMAE model's loss (one Adam step on ``mae``'s parameters per call)."""
    def gat_step():
        gat.zero_grad(set_to_none=True)
        gat_forward().backward(grad)
    opt = torch.optim.Adam(mae.parameters(), lr=1e-3)

    def mae_step():
        opt.zero_grad(set_to_none=True)
        mae_loss().backward()
        opt.step()
    return [timed("gat_layer_fwd_bwd", gat_step, repeats, device=device),
            timed("graphmae_step", mae_step, repeats, warmup=1, device=device)]


def spmm_bytes(num_dst: int, num_edges: int, dim: int, itemsize: int = 4, weighted: bool = False) -> int:
    """Bytes an SpMM must move at least: gathered rows, indices, weights, output, rowptr."""
    return num_edges * (dim * itemsize + 8 + (itemsize if weighted else 0)) + num_dst * dim * itemsize \
        + (num_dst + 1) * 8


def memcopy_gbs(mib: int, repeats: int, device: str = "cpu") -> Dict:
    """Bandwidth of copying a ``mib`` MiB float32 tensor (bytes read + written per second)
    on ``device`` (on CUDA a device-to-device copy: the GPU's achievable peak)."""
    a = torch.ones(mib * (1 << 18), device=device)
    b = torch.empty_like(a)
    ms = time_ms(lambda: b.copy_(a), repeats, device=device)
    return {"bench": "memcopy", "impl": "torch", "metric": "GB/s", "value": round(2 * a.numel() * 4 / ms / 1e6, 2),
            "ms": round(ms, 2), "bytes": 2 * a.numel() * 4}


def _meminfo_kib(path: str, key: str) -> Optional[int]:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def limit_host_memory(gb: Optional[float]) -> Optional[float]:
    """Cap this process's (and its children's) data memory with ``RLIMIT_DATA`` so that an
    implementation which needs more than the machine has fails to allocate (reported as
    ``out_of_memory``) instead of being killed by the kernel with every result lost.

    ``gb``: the cap in GB above what the process holds now; None: the memory available now
    (``MemAvailable``); 0: no cap. Returns the cap set in GB, or None (no cap, or not Linux)."""
    if gb == 0:
        return None
    try:
        import resource
    except ImportError:  # not on every platform
        return None
    if gb is None:
        available = _meminfo_kib("/proc/meminfo", "MemAvailable")
        if available is None:
            return None
        gb = available * 1024 / 1e9
    held = (_meminfo_kib("/proc/self/status", "VmData") or 0) * 1024
    cap = int(held + gb * 1e9)
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (cap, hard))
    return round(gb, 1)


def dataset_name(nodes: int, edges: int) -> str:
    """``random-arxiv-size`` for the default graph, else ``random-<nodes>n-<edges>e``."""
    return DATASET if (nodes, edges) == (169_343, 2_332_486) else f"random-{nodes}n-{edges}e"


def _loadavg() -> Optional[float]:
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):  # not on every platform
        return None


# ---------------------------------------------------------------------------- in-process impls
def _grad_like(shape, seed: int = 1, device: str = "cpu") -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed)).to(device)


def _features(nodes: int, dim: int, device: str) -> torch.Tensor:
    return torch.randn(nodes, dim, generator=torch.Generator().manual_seed(0)).to(device)


def run_graphssl(src, dst, nodes: int, dim: int, repeats: int, device: str = "cpu") -> List[Dict]:
    from graphssl.nn import GCNConv
    from graphssl.sparse import Graph, get_backend, spmm

    g = Graph.from_edge_index(torch.from_numpy(np.stack([src, dst])), num_nodes=nodes).to(device)
    x = _features(nodes, dim, device)
    grad = _grad_like((nodes, dim), device=device)
    backend = get_backend(x).name
    rows = [timed("spmm_fwd", lambda: spmm(g, x), repeats, device=device)]
    xr = x.clone().requires_grad_()

    def fwd_bwd():
        xr.grad = None
        spmm(g, xr).backward(grad)
    rows.append(timed("spmm_fwd_bwd", fwd_bwd, repeats, device=device))

    # The library's layer: it normalises once per graph (cached) and picks the cheaper of
    # A (X W) and (A X) W for what needs a gradient, as DGL's GraphConv picks by width.
    torch.manual_seed(0)
    conv = GCNConv(dim, dim).to(device)

    def gcn():
        conv.zero_grad(set_to_none=True)
        conv(g, x).backward(grad)
    rows.append(timed("gcn_layer_fwd_bwd", gcn, repeats, device=device))
    rows += oom_guarded(ATTENTION_BENCHES, lambda: _graphssl_attention(g, x, grad, dim, repeats, device))
    for r in rows:
        r.update(impl="graphssl", variant=f"backend={backend}")
    return rows


def _graphssl_attention(g, x, grad, dim: int, repeats: int, device: str) -> List[Dict]:
    """The GAT layer and GraphMAE step rows of graphssl (on ``g`` with self-loops)."""
    from graphssl.config import load_config
    from graphssl.methods import build_method
    from graphssl.nn import GATConv
    from graphssl.pipeline import NodeInput

    gs = g.remove_self_loops().add_self_loops()
    torch.manual_seed(0)
    conv = GATConv(dim, dim // GRAPHMAE_STEP["heads"], heads=GRAPHMAE_STEP["heads"], add_self_loops=False).to(device)
    cfg = dict(load_config("graphmae")["method"], hidden_dim=dim, **GRAPHMAE_STEP)
    model = build_method("graphmae", in_dim=dim, **cfg).to(device)
    data = NodeInput(gs, x)
    return attention_rows(conv, lambda: conv(gs, x), grad, model, lambda: model.loss(data), repeats, device)


def run_torch_csr(src, dst, nodes: int, dim: int, repeats: int, device: str = "cpu") -> List[Dict]:
    from graphssl.sparse import Graph

    g = Graph.from_edge_index(torch.from_numpy(np.stack([src, dst])), num_nodes=nodes).to(device)
    a = torch.sparse_csr_tensor(g.rowptr, g.col, torch.ones(g.num_edges, device=device), (nodes, nodes))
    x = _features(nodes, dim, device)
    grad = _grad_like((nodes, dim), device=device)
    rows = [timed("spmm_fwd", lambda: torch.sparse.mm(a, x), repeats, device=device)]
    xr = x.clone().requires_grad_()

    def fwd_bwd():
        xr.grad = None
        torch.sparse.mm(a, xr).backward(grad)
    rows.append(timed("spmm_fwd_bwd", fwd_bwd, repeats, device=device))
    gn = g.gcn_norm()
    an = torch.sparse_csr_tensor(gn.rowptr, gn.col, gn.value, (nodes, nodes))
    torch.manual_seed(0)
    lin = torch.nn.Linear(dim, dim, bias=False).to(device)
    bias = torch.nn.Parameter(torch.zeros(dim, device=device))

    def gcn():  # aggregate first: x needs no gradient, so one sparse product (as DGL's order)
        lin.weight.grad = bias.grad = None
        (lin(torch.sparse.mm(an, x)) + bias).backward(grad)
    rows.append(timed("gcn_layer_fwd_bwd", gcn, repeats, device=device))
    for r in rows:
        r.update(impl="torch-csr", variant="torch.sparse.mm(CSR)")
    return rows


def run_pyg(src, dst, nodes: int, dim: int, repeats: int, device: str = "cpu") -> List[Dict]:
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

    ei = torch.from_numpy(np.stack([src, dst])).to(device)
    x = _features(nodes, dim, device)
    grad = _grad_like((nodes, dim), device=device)
    conv = SumAggregation()
    mp = f"MessagePassing(aggr=add) via {scatter}, torch_geometric {torch_geometric.__version__}"
    rows = [timed("spmm_fwd", lambda: conv(x, ei), repeats, device=device, variant=mp)]
    xr = x.clone().requires_grad_()

    def fwd_bwd():
        xr.grad = None
        conv(xr, ei).backward(grad)
    rows.append(timed("spmm_fwd_bwd", fwd_bwd, repeats, device=device, variant=mp))
    for cached in (False, True):
        torch.manual_seed(0)
        gcn = GCNConv(dim, dim, cached=cached).to(device)

        def step():
            gcn.zero_grad(set_to_none=True)
            gcn(x, ei).backward(grad)
        rows.append(timed("gcn_layer_fwd_bwd", step, repeats, warmup=1, device=device,
                          variant=f"GCNConv(cached={cached})"))
    from torch_geometric.nn import GATConv
    from torch_geometric.utils import add_self_loops, remove_self_loops

    def attention() -> List[Dict]:
        eis = add_self_loops(remove_self_loops(ei)[0], num_nodes=nodes)[0]
        heads = GRAPHMAE_STEP["heads"]
        torch.manual_seed(0)
        gat = GATConv(dim, dim // heads, heads, add_self_loops=False).to(device)
        model = pyg_graphmae(dim, dict(GRAPHMAE_STEP, hidden_dim=dim)).to(device)
        return attention_rows(gat, lambda: gat(x, eis), grad, model, lambda: model(x, eis), repeats, device)
    att = oom_guarded(ATTENTION_BENCHES, attention)
    rows += [dict(r, variant=v) for r, v in zip(att, ("GATConv", "GraphMAE from GATConv"))]
    for r in rows:
        r["impl"] = "pyg"
    return rows


# ---------------------------------------------------------------------------- DGL (subprocess)
def run_dgl(src, dst, nodes: int, dim: int, repeats: int, threads: int, python: Optional[str],
            device: str = "cpu") -> List[Dict]:
    def unavailable(reason: str, status: str = "unavailable") -> List[Dict]:
        return [{"bench": b, "impl": "dgl", "status": status, "reason": reason} for b in BENCHES]

    lines, reason, status = run_dgl_worker(
        python, __file__, {"src": src, "dst": dst},
        ["--nodes", str(nodes), "--dim", str(dim), "--repeats", str(repeats), "--threads", str(threads),
         "--device", device], threads)
    if lines is None:
        return unavailable(reason, status)
    return [json.loads(line) for line in lines] or unavailable("DGL worker printed no results", "failed")


def _dgl_graphmae(in_dim: int, m: Dict):
    """The model of :func:`bench_common.pyg_graphmae` built from DGL's GATConv (runs in
    the DGL interpreter, which has no graphssl: the SCE loss is written out)."""
    import torch.nn.functional as F
    from dgl.nn import GATConv

    hid, heads = m["hidden_dim"], m["heads"]

    class DGLGraphMAE(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc = torch.nn.ModuleList([GATConv(in_dim, hid // heads, heads, attn_drop=m["attn_drop"]),
                                            GATConv(hid, hid // heads, heads, attn_drop=m["attn_drop"])])
            self.acts = torch.nn.ModuleList([torch.nn.PReLU(), torch.nn.PReLU()])
            self.e2d = torch.nn.Linear(hid, hid, bias=False)
            self.dec = GATConv(hid, in_dim, m["out_heads"], attn_drop=m["attn_drop"])
            self.token = torch.nn.Parameter(torch.zeros(1, in_dim))

        def forward(self, g, x):
            n = x.size(0)
            mask = torch.randperm(n)[: int(m["mask_rate"] * n)]
            h = x.clone()
            h[mask] = 0.0
            h[mask] += self.token
            for conv, act in zip(self.enc, self.acts):
                h = act(conv(g, F.dropout(h, m["feat_drop"], self.training)).flatten(1))
            rep = self.e2d(h)
            rep[mask] = 0.0
            rec = self.dec(g, F.dropout(rep, m["feat_drop"], self.training)).mean(1)
            cos = (F.normalize(rec[mask], dim=-1) * F.normalize(x[mask], dim=-1)).sum(-1)
            return (1 - cos).pow(m["alpha"]).mean()

    return DGLGraphMAE()


def dgl_worker(path: str, nodes: int, dim: int, repeats: int, threads: int, device: str = "cpu") -> None:
    """Runs inside the DGL interpreter: times DGL on the edges in ``path`` and prints JSON lines."""
    import dgl
    import dgl.function as fn
    from dgl.nn import GATConv, GraphConv

    torch.set_num_threads(threads)
    e = np.load(path)
    g = dgl.graph((torch.from_numpy(e["src"]), torch.from_numpy(e["dst"])), num_nodes=nodes).to(device)
    x = _features(nodes, dim, device)
    grad = _grad_like((nodes, dim), device=device)

    def agg(h):
        with g.local_scope():
            g.srcdata["h"] = h
            g.update_all(fn.copy_u("h", "m"), fn.sum("m", "o"))
            return g.dstdata["o"]
    out = [timed("spmm_fwd", lambda: agg(x), repeats, device=device)]
    xr = x.clone().requires_grad_()

    def fwd_bwd():
        xr.grad = None
        agg(xr).backward(grad)
    out.append(timed("spmm_fwd_bwd", fwd_bwd, repeats, device=device))
    gs = dgl.add_self_loop(dgl.remove_self_loop(g))
    torch.manual_seed(0)
    conv = GraphConv(dim, dim, norm="both", bias=True).to(device)

    def step():
        conv.zero_grad(set_to_none=True)
        conv(gs, x).backward(grad)
    out.append(timed("gcn_layer_fwd_bwd", step, repeats, device=device))
    heads = GRAPHMAE_STEP["heads"]
    torch.manual_seed(0)
    gat = GATConv(dim, dim // heads, heads).to(device)
    model = _dgl_graphmae(dim, dict(GRAPHMAE_STEP, hidden_dim=dim)).to(device)
    out += attention_rows(gat, lambda: gat(gs, x).reshape(nodes, dim), grad, model, lambda: model(gs, x),
                          repeats, device)
    variant = f"dgl {dgl.__version__}, torch {torch.__version__}"
    for r in out:
        r.update(impl="dgl", variant=variant)
        print(json.dumps(r), flush=True)


# ---------------------------------------------------------------------------- report
def finish(rows: List[Dict], copy: Dict, nodes: int, edges: int, dim: int, device: str = "cpu") -> List[Dict]:
    """Add dataset, device, ratio to the best peer, bandwidth and goal fields to every row
    (a copy of ``copy``, the yardstick, is appended)."""
    goal_ratio, goal_bandwidth = GOALS[device]
    where = {"device": device}
    if device == "cuda":
        where["gpu"] = torch.cuda.get_device_name()
    best = {}
    for r in rows:
        if r.get("impl") in PEERS and "ms" in r:
            best[r["bench"]] = min(best.get(r["bench"], float("inf")), r["ms"])
    nbytes = {"spmm_fwd": spmm_bytes(nodes, edges, dim), "spmm_fwd_bwd": 2 * spmm_bytes(nodes, edges, dim)}
    for r in rows:
        r.update(dataset=dataset_name(nodes, edges), nodes=nodes, edges=edges, dim=dim,
                 threads=torch.get_num_threads(), **where)
        if "ms" not in r:
            continue
        ms = r["ms"]
        r["ms"] = round(ms, 3)
        r.update(metric="median_ms", value=r["ms"])
        if r["bench"] in best:
            r["best_peer_ms"] = round(best[r["bench"]], 3)
            r["ratio_to_best_peer"] = round(best[r["bench"]] / ms, 3)
            if r["impl"] == "graphssl":
                r.update(goal_ratio=goal_ratio, meets_goal=r["ratio_to_best_peer"] >= goal_ratio)
        if r["bench"] in nbytes:
            gbs = nbytes[r["bench"]] / ms / 1e6
            r.update(bytes=nbytes[r["bench"]], bandwidth_gbs=round(gbs, 2),
                     bandwidth_fraction_of_copy=round(gbs / copy["value"], 3))
            if r["impl"] == "graphssl":
                r.update(goal_bandwidth_fraction=goal_bandwidth,
                         meets_bandwidth_goal=r["bandwidth_fraction_of_copy"] >= goal_bandwidth)
    return rows + [dict(copy, dataset=dataset_name(nodes, edges), dim=dim, threads=torch.get_num_threads(), **where)]


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


def _import_runners(only) -> None:
    """Import what the in-process implementations use."""
    for module in ("graphssl.config", "graphssl.methods", "graphssl.nn", "graphssl.pipeline"):
        importlib.import_module(module)
    if "pyg" in only:
        try:
            importlib.import_module("torch_geometric.nn")
        except ImportError:  # reported by run_pyg
            pass


def guarded(impl: str, runner: Callable[[], List[Dict]]) -> Callable[[], List[Dict]]:
    """``runner`` whose allocation failure outside a timed bench (building its graph or
    features) gives an ``out_of_memory`` row for every bench instead of an exception."""
    def run() -> List[Dict]:
        try:
            return [dict(r, impl=r.get("impl", impl)) for r in oom_guarded(BENCHES, runner)]
        finally:
            gc.collect()  # what the runner built goes before the next one starts
    return run


def run_dim(src, dst, nodes: int, edges: int, dim: int, repeats: int, args, only, copy_mib: int) -> List[Dict]:
    """Every implementation in ``only`` at width ``dim`` (alternating rounds), finished rows
    with the memory-copy yardstick last."""
    dev = args.device
    load_start = _loadavg()
    copy = memcopy_gbs(copy_mib, repeats, dev)
    runners = {"graphssl": lambda: run_graphssl(src, dst, nodes, dim, repeats, dev),
               "torch-csr": lambda: run_torch_csr(src, dst, nodes, dim, repeats, dev),
               "pyg": lambda: run_pyg(src, dst, nodes, dim, repeats, dev),
               "dgl": lambda: run_dgl(src, dst, nodes, dim, repeats, args.threads, args.dgl_python, dev)}
    rows = run_rounds({k: guarded(k, f) for k, f in runners.items() if k in only}, args.rounds)
    # The machine may be shared: copy again at the end and keep the faster copy (the
    # stricter yardstick); the load averages say how busy the machine was.
    again = memcopy_gbs(copy_mib, repeats, dev)
    if again["value"] > copy["value"]:
        copy = again
    copy.update(loadavg_start=load_start, loadavg_end=_loadavg())
    return finish(rows, copy, nodes, edges, dim, dev)


def main(argv: Optional[List[str]] = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nodes", type=int, default=None, help="default 169343 (20000 with --quick)")
    p.add_argument("--edges", type=int, default=None, help="directed edges; default 2332486 (200000 with --quick)")
    p.add_argument("--dim", type=int, default=128, help="feature width (see --dims)")
    p.add_argument("--dims", default=None, help="comma-separated widths, each run in turn, e.g. 64,128,256")
    p.add_argument("--memory-limit-gb", type=float, default=None,
                   help="host memory an implementation may take before it is reported out_of_memory "
                        "(default: what is available at the start; 0: no cap)")
    p.add_argument("--repeats", type=int, default=None, help="timed runs per bench; default 7 (3 with --quick)")
    p.add_argument("--threads", type=int, default=2)
    add_rounds_argument(p)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--quick", action="store_true", help="small graph, few repeats")
    p.add_argument("--copy-mib", type=int, default=None, help="memcopy size; default 1024 (64 with --quick)")
    p.add_argument("--dgl-python", default=os.environ.get("GRAPHSSL_DGL_PYTHON"),
                   help="interpreter of an environment with DGL (default: env GRAPHSSL_DGL_PYTHON)")
    p.add_argument("--only", default=None, help="comma-separated impls to run (default: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="where every implementation runs (cuda: the yardstick is a device-to-device copy)")
    p.add_argument("--dgl-worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    nodes = args.nodes or (20_000 if args.quick else 169_343)
    edges = args.edges if args.edges is not None else (200_000 if args.quick else 2_332_486)
    repeats = args.repeats or (3 if args.quick else 7)
    try:
        dims = [int(d) for d in args.dims.split(",")] if args.dims else [args.dim]
    except ValueError:
        p.error(f"--dims must be comma-separated integers, got {args.dims!r}")
    if args.threads < 1 or repeats < 1 or min(dims) < 1 or args.rounds < 1:
        p.error("--threads, --repeats, --rounds and every dim must be >= 1")
    if any(d % GRAPHMAE_STEP["heads"] for d in dims):
        p.error(f"every dim must be a multiple of the GAT rows' {GRAPHMAE_STEP['heads']} heads, got {dims}")
    if args.memory_limit_gb is not None and args.memory_limit_gb < 0:
        p.error(f"--memory-limit-gb must be >= 0, got {args.memory_limit_gb}")
    if args.device == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda needs a CUDA GPU and a CUDA build of torch; none is available here")
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", message=".*[Ss]parse.*")  # torch's beta notes on CSR tensors
    if args.dgl_worker:
        dgl_worker(args.dgl_worker, nodes, args.dim, repeats, args.threads, args.device)
        return

    # Run from a checkout without installing: make the repository's graphssl importable.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    src, dst = random_edges(nodes, edges, args.seed)
    only = set(args.only.split(",")) if args.only else {"graphssl", *PEERS}
    unknown = only - {"graphssl", *PEERS}
    if unknown:
        p.error(f"unknown impl(s) in --only: {sorted(unknown)}; choose from graphssl, {', '.join(PEERS)}")
    copy_mib = args.copy_mib or (64 if args.quick else 1024)
    dev = args.device
    _import_runners(only)  # before the cap: loading a shared library maps memory too
    cap = limit_host_memory(args.memory_limit_gb) if dev == "cpu" else None
    for dim in dims:
        rows = run_dim(src, dst, nodes, edges, dim, repeats, args, only, copy_mib)
        if cap is not None:
            rows[-1]["memory_limit_gb"] = cap
        if args.json:
            for r in rows:
                print(json.dumps(r), flush=True)
        else:
            where = torch.cuda.get_device_name() if dev == "cuda" else f"{args.threads} threads"
            print(f"{dataset_name(nodes, edges)}: {nodes} nodes, {edges} edges, dim {dim}, {where}, "
                  f"median of {repeats} (median of {args.rounds} rounds); "
                  f"load average {rows[-1]['loadavg_start']} -> {rows[-1]['loadavg_end']}")
            print_table(rows)

if __name__ == "__main__":
    main()
