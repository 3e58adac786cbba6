"""How numba's threading layer and OpenMP's spin count change graphssl's CPU speed.

Both are fixed when a process starts, so each configuration runs in its own subprocess;
configurations alternate for ``--rounds`` rounds (a slow spell on a shared machine then hits
each alike) and the median round is reported. Workloads:

  small_loop   a random graph (3,000 nodes, 300,000 edges, width 64): one SpMM, twenty tiny
               torch ops and one dense product per iteration, the pattern of a small GNN's step
  rec_step     training steps of LightGCN and SimGCL on yelp2018 (``--root``; the published
               settings, :func:`graphssl.rec.time_epochs`), if the dataset is there

A configuration is ``LAYER:SPIN``: LAYER a numba threading layer (``omp``, ``workqueue``,
``tbb``), SPIN ``GOMP_SPINCOUNT`` (a number), ``passive`` (``OMP_WAIT_POLICY=PASSIVE``) or
``gomp-default`` (``GOMP_SPINCOUNT=300000``: GNU OpenMP's own count when neither is set; left
unset, graphssl would set its own default). Run it once on an idle machine and
once beside another busy process to see both sides of the spin trade-off.

Example:
  python benchmarks/bench_threading.py --root ../shared/data --rounds 3 --json
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Dict, List

DEFAULT_CONFIGS = "workqueue:gomp-default,omp:gomp-default,omp:20000,omp:passive"


def _env(config: str, threads: int) -> Dict[str, str]:
    layer, _, spin = config.partition(":")
    env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    env.update(NUMBA_THREADING_LAYER=layer, OMP_NUM_THREADS=str(threads))
    if spin == "passive":
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    elif spin == "gomp-default":  # GNU OpenMP's own count when unset (graphssl would set its default)
        env["GOMP_SPINCOUNT"] = "300000"
    elif spin:
        env["GOMP_SPINCOUNT"] = str(int(spin))
    return env


def _worker(args) -> List[Dict]:
    import torch
    from graphssl.sparse import Graph, spmm
    torch.set_num_threads(args.threads)
    out = []
    gen = torch.Generator().manual_seed(0)
    g = Graph.from_edge_index(torch.randint(0, 3000, (2, 300000), generator=gen), 3000)
    x, w = torch.randn(3000, 64, generator=gen), torch.randn(64, 64, generator=gen)
    small, dense = torch.randn(200, 16, generator=gen), torch.randn(3000, 64, generator=gen)

    def loop(n: int) -> float:
        t = time.perf_counter()
        for _ in range(n):
            spmm(g, x)
            for _ in range(20):
                small.add(1.0)
            dense @ w
        return (time.perf_counter() - t) / n * 1e3

    loop(20)
    import numba
    # what ran: the layer (numba raises if the asked one is missing) and the spin settings
    ran = {"layer": numba.threading_layer(), "spin": os.environ.get("GOMP_SPINCOUNT"),
           "wait": os.environ.get("OMP_WAIT_POLICY")}
    out.append({"workload": "small_loop", "dataset": "random-3000n-300000e", "ms": min(loop(200) for _ in range(3)),
                **ran})
    if args.root and "yelp2018" in args.datasets:
        from graphssl.rec import load_interactions, time_epochs
        data = load_interactions("yelp2018", root=args.root)
        for model, timing in time_epochs(data, ["lightgcn", "simgcl"], steps=args.steps, rounds=3).items():
            out.append({"workload": f"rec_step_{model}", "dataset": "yelp2018",
                        "ms": statistics.median(timing.step_seconds) * 1e3, **ran})
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--configs", default=DEFAULT_CONFIGS, help=f"comma-separated LAYER:SPIN (default {DEFAULT_CONFIGS})")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=2, help="training steps per timing sample (rec_step)")
    p.add_argument("--root", default=os.environ.get("GRAPHSSL_DATA"), help="data root (rec_step needs yelp2018)")
    p.add_argument("--datasets", default="yelp2018", help="'yelp2018' or 'none'")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        print(json.dumps(_worker(args)))
        return
    if args.rounds < 1:
        p.error("--rounds must be >= 1")
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    for c in configs:
        layer, sep, spin = c.partition(":")
        if not sep or layer not in ("omp", "workqueue", "tbb") or \
                not (spin in ("passive", "gomp-default") or spin.isdigit()):
            p.error(f"bad config {c!r}: expected LAYER:SPIN, LAYER omp/workqueue/tbb, SPIN a number, "
                    "'passive' or 'gomp-default'")
    samples: Dict[tuple, List[float]] = {}
    ran: Dict[tuple, Dict] = {}
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--threads", str(args.threads),
           "--steps", str(args.steps), "--datasets", args.datasets] + (["--root", args.root] if args.root else [])
    for _ in range(args.rounds):
        for c in configs:
            run = subprocess.run(cmd, env=_env(c, args.threads), capture_output=True, text=True)
            if run.returncode != 0:
                sys.exit(f"config {c} failed:\n{run.stderr[-2000:]}")
            for row in json.loads(run.stdout.strip().splitlines()[-1]):
                key = (c, row["workload"], row["dataset"])
                samples.setdefault(key, []).append(row.pop("ms"))
                ran[key] = {k: row[k] for k in ("layer", "spin", "wait")}
    for (c, workload, dataset), ms in samples.items():
        row = {"bench": "threading", "dataset": dataset, "impl": "graphssl", "workload": workload, "config": c,
               "metric": "ms_per_step", "value": round(statistics.median(ms), 3), "ms": [round(v, 3) for v in ms],
               "rounds": args.rounds, "threads": args.threads, **ran[(c, workload, dataset)]}
        print(json.dumps(row) if args.json else f"{workload:20s} {c:24s} {row['value']:9.2f} ms  {row['ms']}")


if __name__ == "__main__":
    main()
