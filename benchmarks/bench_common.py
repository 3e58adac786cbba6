"""Helpers shared by the speed benchmarks (imported from the scripts' own folder; numpy
only at import time, so the peers' environments can import it too)."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

__all__ = ["GRAPHMAE_STEP", "add_rounds_argument", "finished_row", "merge_rounds", "pyg_graphmae", "random_edges",
           "run_dgl_worker", "run_rounds", "save_row", "settings_digest"]

#: The GraphMAE model every implementation times in bench_core's ``graphmae_step``: the
#: published Cora setting (2 GAT layers encoding, 1 decoding, PReLU) with ``hidden_dim``
#: set to the bench's feature width, and a pure [MASK] token (no random replacement).
GRAPHMAE_STEP = {"heads": 4, "out_heads": 1, "feat_drop": 0.2, "attn_drop": 0.1, "mask_rate": 0.5, "alpha": 3,
                 "replace_rate": 0.0}

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


def merge_rounds(rounds: List[List[Dict]]) -> List[Dict]:
    """Rows of several alternating rounds -> one row per (bench, impl, variant): the row of
    its median round by ``ms`` (so every field derived from that time stays consistent),
    with ``ms_rounds`` listing all rounds' times when there are several. Rows without a
    time (unavailable peers) are kept once; the first round's order is kept."""
    groups: Dict[tuple, List[Dict]] = {}
    order: List[tuple] = []
    for rows in rounds:
        for r in rows:
            key = (r.get("bench"), r.get("impl"), r.get("variant"))
            if key not in groups:
                groups[key] = []
                order.append(key)
            groups[key].append(r)
    out = []
    for key in order:
        timed = sorted((r for r in groups[key] if "ms" in r), key=lambda r: r["ms"])
        if not timed:
            out.append(groups[key][0])
            continue
        row = dict(timed[(len(timed) - 1) // 2])
        if len(rounds) > 1:
            row["ms_rounds"] = [round(r["ms"], 3) for r in groups[key] if "ms" in r]
        out.append(row)
    return out


def add_rounds_argument(parser) -> None:
    """The ``--rounds`` option of the speed benchmarks (see :func:`run_rounds`)."""
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every implementation this many times, alternating, and report its median "
                             "round (a shared machine's slow spells then hit all of them alike)")


def add_checkpoint_arguments(parser, every: int = 50, names: str = "DIR/<dataset>_<method>_seed<N>.pt") -> None:
    """``--checkpoint-dir`` / ``--checkpoint-every`` (default ``every``) of the accuracy
    benchmarks: long runs in pieces; ``names`` says in the help where each run's state goes."""
    parser.add_argument("--checkpoint-dir", help=f"write each run's training state to {names} "
                        "every --checkpoint-every epochs and resume from it when it exists (a killed run, started "
                        "again with the same options, goes on where it stopped)")
    parser.add_argument("--checkpoint-every", type=int, default=every,
                        help=f"epochs between checkpoints (default {every})")


def with_checkpoint(cfg: Dict, args, method: str, dataset: str, seed: int) -> Dict:
    """``cfg`` with the run's checkpoint in its ``train`` section when ``--checkpoint-dir`` is given."""
    if not getattr(args, "checkpoint_dir", None):
        return cfg
    path = os.path.join(args.checkpoint_dir, f"{dataset}_{method}_seed{seed}.pt")
    return {**cfg, "train": {**cfg.get("train", {}), "checkpoint": path, "checkpoint_every": args.checkpoint_every}}


def settings_digest(settings: Dict[str, Any]) -> str:
    """A short hash of ``settings`` (JSON-serialisable) for file names under a checkpoint
    folder: a run whose settings changed never picks up a stale state or row."""
    return hashlib.sha1(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:10]


def finished_row(path: Optional[str]) -> Optional[Dict[str, Any]]:
    """The result row a finished run saved with :func:`save_row` at ``path``, if any."""
    if path is None or not os.path.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def save_row(path: Optional[str], rec: Dict[str, Any]) -> None:
    """Write ``rec`` to ``path`` atomically (a killed run never leaves half a row); no-op for None."""
    if path is None:
        return
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(rec, f)
    os.replace(tmp, path)


def resumed_field(cfg: Dict) -> Dict:
    """``{"resumed": bool}`` (a checkpoint exists, so the run goes on from it) when ``cfg``
    names a checkpoint, else ``{}``: for a benchmark's result line, read before the run."""
    path = cfg.get("train", {}).get("checkpoint")
    return {} if path is None else {"resumed": os.path.isfile(path)}


def run_rounds(runners: Dict[str, Callable[[], List[Dict]]], rounds: int) -> List[Dict]:
    """Call every runner ``rounds`` times, alternating (each round starts one runner later,
    so none always runs first), and merge the rows with :func:`merge_rounds`."""
    order = list(runners)
    out = []
    for i in range(rounds):
        k = i % len(order) if order else 0
        out.append([row for name in order[k:] + order[:k] for row in runners[name]()])
    return merge_rounds(out)


def pyg_graphmae(in_dim: int, m: Dict):
    """GraphMAE's model built from PyG's GATConv (the official repo's PyG port does the
    same): two GAT layers encoding, one decoding, PReLU, mask token, SCE loss. ``m`` holds
    ``hidden_dim``, ``heads``, ``out_heads``, ``feat_drop``, ``attn_drop``, ``mask_rate``,
    ``alpha``; ``forward(x, edge_index)`` returns the loss."""
    import torch
    from torch_geometric.nn import GATConv

    from graphssl.losses import sce_loss

    hid, heads = m["hidden_dim"], m["heads"]

    class PyGGraphMAE(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc = torch.nn.ModuleList([
                GATConv(in_dim, hid // heads, heads, dropout=m["attn_drop"], add_self_loops=False),
                GATConv(hid, hid // heads, heads, dropout=m["attn_drop"], add_self_loops=False)])
            self.acts = torch.nn.ModuleList([torch.nn.PReLU(), torch.nn.PReLU()])
            self.e2d = torch.nn.Linear(hid, hid, bias=False)
            self.dec = GATConv(hid, in_dim, m["out_heads"], dropout=m["attn_drop"], add_self_loops=False)
            self.token = torch.nn.Parameter(torch.zeros(1, in_dim))

        def forward(self, x, edge_index):
            n = x.size(0)
            perm = torch.randperm(n)
            mask = perm[: int(m["mask_rate"] * n)]
            h = x.clone()
            h[mask] = 0.0
            h[mask] += self.token
            for conv, act in zip(self.enc, self.acts):
                h = act(conv(torch.nn.functional.dropout(h, m["feat_drop"], self.training), edge_index))
            rep = self.e2d(h)
            rep[mask] = 0.0
            rec = self.dec(torch.nn.functional.dropout(rep, m["feat_drop"], self.training), edge_index)
            return sce_loss(rec[mask], x[mask], m["alpha"])

    return PyGGraphMAE()


def pyg_grace(in_dim: int, m: Dict):
    """GRACE as its paper describes it, built from PyG's GCNConv: two GCN layers
    (``in -> hidden_dim -> out_dim``, the activation after each), a Linear-ELU-Linear
    projector, each view dropping directed edges (``dropout_edge``) and masking feature
    columns, NT-Xent with intra- and inter-view negatives on the full N x N similarities.
    ``"prelu"`` is a per-channel PReLU per layer (graphssl's GRACE and the official code use
    one slope per layer or one shared slope). ``m`` is the method section of a graphssl
    GRACE config; ``loss(x, edge_index, generator)`` and ``embed(x, edge_index)``."""
    import torch
    import torch.nn.functional as F
    from torch_geometric.nn import GCNConv

    def activation(width: int):
        return torch.nn.PReLU(width) if m["activation"] == "prelu" else torch.nn.ReLU()

    class PyGGRACE(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.convs = torch.nn.ModuleList([GCNConv(in_dim, m["hidden_dim"]), GCNConv(m["hidden_dim"], m["out_dim"])])
            self.acts = torch.nn.ModuleList([activation(m["hidden_dim"]), activation(m["out_dim"])])
            self.fc1 = torch.nn.Linear(m["out_dim"], m["proj_dim"])
            self.fc2 = torch.nn.Linear(m["proj_dim"], m["out_dim"])

        def embed(self, x, edge_index):
            for conv, act in zip(self.convs, self.acts):
                x = act(conv(x, edge_index))
            return x

        def _view(self, x, edge_index, drop_edge: float, drop_feature: float, generator):
            keep = torch.rand(edge_index.size(1), generator=generator, device=x.device) >= drop_edge
            columns = torch.rand(x.size(1), generator=generator, device=x.device) < drop_feature
            x = x.clone()
            x[:, columns] = 0.0
            return F.normalize(self.fc2(F.elu(self.fc1(self.embed(x, edge_index[:, keep])))))

        def loss(self, x, edge_index, generator):
            (de1, de2), (df1, df2) = m["drop_edge_rates"], m["drop_feature_rates"]
            h1 = self._view(x, edge_index, de1, df1, generator)
            h2 = self._view(x, edge_index, de2, df2, generator)

            def one_way(a, b):
                within, between = torch.exp(a @ a.t() / m["tau"]), torch.exp(a @ b.t() / m["tau"])
                return -torch.log(between.diag() / (within.sum(1) + between.sum(1) - within.diag()))
            return 0.5 * (one_way(h1, h2) + one_way(h2, h1)).mean()

    return PyGGRACE()
