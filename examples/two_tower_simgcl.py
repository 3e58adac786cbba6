"""Plug a SimGCL head into a plain PyTorch two-tower recommender.

The towers are ID-embedding tables whose outputs are smoothed over the user-item graph
(LightGCN, ``--host-layers 2``, SimGCL's own setting) or used as they are (MF,
``--host-layers 0``). The host loop owns everything (towers, BPR loss, sampler, optimiser,
evaluation); graphssl adds three lines, marked ``# <- SimGCL``: build the head, describe the
interaction graph once, add the head's loss to the main loss.

    python examples/two_tower_simgcl.py                           # generated data
    GRAPHSSL_DATA=../shared/data python examples/two_tower_simgcl.py --users 2000 --compare

With ``GRAPHSSL_DATA`` (or ``--data-root``) holding gowalla, it trains on the first
``--users`` users of the LightGCN split; otherwise on generated clustered data. Prints one
JSON line per run: Recall@20 / NDCG@20 of full ranking with training items masked.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from graphssl.rec import interaction_graph, lightgcn_propagate
from graphssl.rec.heads import GraphContext, build_head

Split = Tuple[int, int, Tensor, Tensor]  # num_users, num_items, train [nnz, 2], test [nnz, 2]


def generated_data(num_users: int, num_items: int = 500, clusters: int = 8, per_user: int = 20,
                   seed: int = 0) -> Split:
    """Users of a cluster draw most interactions from the cluster's items; 20% held out."""
    g = torch.Generator().manual_seed(seed)
    user_cluster = torch.randint(0, clusters, (num_users,), generator=g)
    item_cluster = torch.randint(0, clusters, (num_items,), generator=g)
    rows = []
    for u in range(num_users):
        own = (item_cluster == user_cluster[u]).nonzero().view(-1)
        pick_own = own[torch.randint(0, own.numel(), (int(per_user * 0.8),), generator=g)]
        pick_any = torch.randint(0, num_items, (per_user - pick_own.numel(),), generator=g)
        items = torch.unique(torch.cat([pick_own, pick_any]))
        items = items[torch.randperm(items.numel(), generator=g)]
        rows.append(torch.stack([torch.full_like(items, u), items], 1))
    inter = torch.cat(rows)
    test_mask = torch.rand(inter.size(0), generator=g) < 0.2
    return num_users, num_items, inter[~test_mask], inter[test_mask]


def gowalla_slice(root: Path, num_users: int) -> Split:
    """The first ``num_users`` users of gowalla; items relabelled to those seen in training."""
    from graphssl.datasets import load_dataset
    ds = load_dataset("gowalla", root=root, download=False, progress=False)
    train = ds.train[ds.train[:, 0] < num_users]
    test = ds.test[ds.test[:, 0] < num_users]
    items, train_items = torch.unique(train[:, 1], return_inverse=True)
    relabel = torch.full((ds.num_items,), -1, dtype=torch.long)
    relabel[items] = torch.arange(items.numel())
    test = torch.stack([test[:, 0], relabel[test[:, 1]]], 1)
    test = test[test[:, 1] >= 0]
    return num_users, items.numel(), torch.stack([train[:, 0], train_items], 1), test


class TwoTower(nn.Module):
    """ID towers: one embedding table per side, optionally smoothed over the interaction
    graph (LightGCN); scores are dot products."""

    def __init__(self, num_users: int, num_items: int, dim: int, adj, num_layers: int) -> None:
        super().__init__()
        self.user = nn.Embedding(num_users, dim)
        self.item = nn.Embedding(num_items, dim)
        nn.init.xavier_uniform_(self.user.weight)
        nn.init.xavier_uniform_(self.item.weight)
        self.adj, self.num_layers = adj, num_layers

    def ego(self) -> Tensor:
        """Both tables stacked, users first (what graph heads propagate)."""
        return torch.cat([self.user.weight, self.item.weight])

    def forward(self) -> Tuple[Tensor, Tensor]:
        """``[U, d]`` user and ``[I, d]`` item representations."""
        if self.num_layers == 0:
            return self.user.weight, self.item.weight
        out = lightgcn_propagate(self.adj, self.ego(), self.num_layers)
        return out[: self.user.num_embeddings], out[self.user.num_embeddings:]


def bpr_batches(train: Tensor, num_items: int, batch_size: int, g: torch.Generator):
    """Shuffled (user, positive, uniform negative) batches of one epoch."""
    order = torch.randperm(train.size(0), generator=g)
    for start in range(0, order.numel(), batch_size):
        idx = order[start:start + batch_size]
        yield train[idx, 0], train[idx, 1], torch.randint(0, num_items, (idx.numel(),), generator=g)


@torch.no_grad()
def evaluate(model: TwoTower, train: Tensor, test: Tensor, k: int = 20) -> Dict[str, float]:
    """Recall@k and NDCG@k over users with test items, training items masked."""
    user_emb, item_emb = model()
    scores = user_emb @ item_emb.t()
    scores[train[:, 0], train[:, 1]] = -math.inf
    top = scores.topk(k, dim=1).indices
    truth = torch.zeros_like(scores, dtype=torch.bool)
    truth[test[:, 0], test[:, 1]] = True
    hits = truth.gather(1, top).float()
    n_true = truth.sum(1)
    users = n_true > 0
    discount = 1.0 / torch.log2(torch.arange(2, k + 2, dtype=torch.float))
    idcg = torch.stack([discount[: min(int(n), k)].sum() for n in n_true[users]])
    recall = (hits[users].sum(1) / n_true[users].clamp(max=k).float()).mean()
    ndcg = ((hits[users] * discount).sum(1) / idcg).mean()
    return {f"recall@{k}": round(float(recall), 5), f"ndcg@{k}": round(float(ndcg), 5)}


def train_once(data: Split, ssl: bool, epochs: int, dim: int, lr: float, batch_size: int, host_layers: int,
               num_layers: int, seed: int, name: str) -> Dict[str, object]:
    num_users, num_items, train, test = data
    torch.manual_seed(seed)
    adj = interaction_graph(num_users, num_items, train[:, 0], train[:, 1])
    model = TwoTower(num_users, num_items, dim, adj, host_layers)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    if ssl:
        head = build_head("simgcl", seed=seed)  # <- SimGCL
        graph = GraphContext(adj, model.ego, num_layers, num_users, num_items)  # <- SimGCL
    start = time.perf_counter()
    for _ in range(epochs):
        for users, pos, neg in bpr_batches(train, num_items, batch_size, g):
            user_emb, item_emb = model()
            u, p, n = user_emb[users], item_emb[pos], item_emb[neg]
            loss = -torch.nn.functional.logsigmoid((u * p).sum(1) - (u * n).sum(1)).mean()
            reg = model.user(users).pow(2).sum() + model.item(pos).pow(2).sum() + model.item(neg).pow(2).sum()
            loss = loss + 1e-4 * reg / users.numel()
            if ssl:
                loss = loss + head(users, pos, user_emb, item_emb, backbone=graph)  # <- SimGCL
            opt.zero_grad()
            loss.backward()
            opt.step()
    result = {"data": name, "users": num_users, "items": num_items, "train": int(train.size(0)),
              "host": f"lightgcn-{host_layers}" if host_layers else "mf", "ssl": "simgcl" if ssl else None,
              "epochs": epochs, "lr": lr,
              "train_seconds": round(time.perf_counter() - start, 2)}
    result.update(evaluate(model, train, test))
    return result


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-root", default=os.environ.get("GRAPHSSL_DATA"),
                   help="folder holding gowalla/ (default $GRAPHSSL_DATA); generated data without it")
    p.add_argument("--generated", action="store_true", help="use generated data even if a data root is set")
    p.add_argument("--users", type=int, default=2000, help="users in the slice / generated set")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--lr", type=float, default=5e-3)
    p.add_argument("--batch-size", type=int, default=2048)
    p.add_argument("--host-layers", type=int, default=2,
                   help="LightGCN layers of the towers' output (0 = plain MF towers)")
    p.add_argument("--layers", type=int, default=2, help="propagation depth of the SimGCL views")
    p.add_argument("--seed", type=int, default=0)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--no-ssl", action="store_true", help="train the two towers with BPR only")
    mode.add_argument("--compare", action="store_true", help="run BPR only, then BPR + SimGCL")
    return p.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> List[Dict[str, object]]:
    args = parse_args(argv)
    if args.users < 2 or args.epochs < 1 or args.host_layers < 0 or args.layers < 1:
        raise SystemExit("--users must be >= 2, --epochs >= 1, --host-layers >= 0 and --layers >= 1")
    root = Path(args.data_root) if args.data_root and not args.generated else None
    if root is not None and (root / "gowalla").is_dir():
        data, name = gowalla_slice(root, args.users), f"gowalla[:{args.users}]"
    else:
        data, name = generated_data(args.users, seed=args.seed), "generated"
    runs = [False, True] if args.compare else [not args.no_ssl]
    results = []
    for ssl in runs:
        r = train_once(data, ssl, args.epochs, args.dim, args.lr, args.batch_size, args.host_layers, args.layers,
                       args.seed, name)
        print(json.dumps(r), flush=True)
        results.append(r)
    return results


if __name__ == "__main__":
    main()
