"""MVGRL: multi-view graph representation learning (Hassani & Khasahmadi, ICML 2020).

Two views of the same graph, its normalised adjacency and its graph diffusion (PPR by
default, or the heat kernel), each go through their own GCN encoder.

* Node level: the summary of each view (``sigmoid(mean)``) is contrasted with the node
  embeddings of the *other* view by a shared bilinear discriminator; negatives are the
  nodes of a corrupted graph (features row-shuffled). Training can run on random node
  subsets (``sample_size`` nodes, ``num_samples`` of them per step) as the paper does.
  Embeddings are the sum of both views' node embeddings.
* Graph level (``level="graph"``, a :class:`~graphssl.sparse.GraphBatch` per step): each
  encoder's per-layer sum-pooled outputs are concatenated into a graph embedding; node
  and graph embeddings pass through projection heads and the JSD estimator contrasts the
  nodes of one view with the graphs of the other (a node's own graph is its positive,
  the batch's other graphs its negatives). Embeddings are the sum of both views' graph
  embeddings.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import torch
from torch import Tensor, nn

from ..augment import HeatDiffusion, PPRDiffusion
from ..losses import jsd_loss, jsd_loss_from_scores
from ..nn import MLP, build_encoder, sum_pool
from ..sparse import Graph
from ..sparse.batch import GraphBatch
from .augmented_views import make_generator, resolve_activation
from .base import GraphInput, SSLMethod, register_method
from .dgi import BilinearDiscriminator, sigmoid_mean_summary

__all__ = ["MVGRL"]

_LEVELS = ("node", "graph")
_DIFFUSIONS = ("ppr", "heat")
_ADJ_KEY = "methods.mvgrl.adjacency"


class _ProjectionHead(nn.Module):
    """MVGRL's head: three ``Linear -> PReLU`` blocks plus a linear shortcut."""

    def __init__(self, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.mlp = MLP(in_dim, out_dim, out_dim, num_layers=3, activation="prelu", last_activation=True)
        self.shortcut = nn.Linear(in_dim, out_dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.mlp(x) + self.shortcut(x)


@register_method("mvgrl")
class MVGRL(SSLMethod):
    """Contrastive multi-view learning between the adjacency and a diffusion of a graph.

    Args:
        in_dim: input feature width.
        hidden_dim: embedding width of each encoder (512).
        num_layers: GCN layers per encoder (node level: 1; graph level: 2-12 in the paper).
        activation: encoder activation (``"prelu"``).
        level: ``"node"`` (full graphs or node subsets) or ``"graph"`` (batches of graphs).
        diffusion: ``"ppr"`` (teleport ``alpha``) or ``"heat"`` (time ``t``).
        alpha: PPR teleport probability (0.2).
        t: heat-kernel time.
        diffusion_topk, diffusion_eps: sparsify the diffusion, keeping each node's
            ``diffusion_topk`` largest entries and/or entries ``>= diffusion_eps`` (the
            exact diffusion of a connected graph is dense; MVGRL thresholds CiteSeer's).
        diffusion_method: ``"auto"``, ``"exact"`` or ``"approx"`` (top-k push for large
            graphs; PPR only), see :func:`graphssl.augment.ppr_diffusion`.
        adj_self_loops: add self-loops before normalising the adjacency view (default:
            True at node level, False at graph level, as MVGRL's code).
        sample_size: node level only: train on random subsets of this many nodes (2000 in
            the paper), the induced subgraphs of both views; None trains on the full graph.
        num_samples: node subsets per step (the paper's batch size, 4).
        seed: seeds the method's generator for subsets and corruption.

    Raises:
        ValueError: unknown level/diffusion/activation, bad widths, diffusion parameters
            out of range, ``sample_size`` or ``num_samples`` below 1; at run time, a
            GraphBatch at node level or a single graph at graph level.
    """

    def __init__(self, in_dim: int, hidden_dim: int = 512, num_layers: int = 1, activation: str = "prelu",
                 level: str = "node", diffusion: str = "ppr", alpha: float = 0.2, t: float = 5.0,
                 diffusion_topk: Optional[int] = None, diffusion_eps: Optional[float] = None,
                 diffusion_method: str = "auto", adj_self_loops: Optional[bool] = None,
                 sample_size: Optional[int] = None, num_samples: int = 4, seed: Optional[int] = None) -> None:
        super().__init__()
        if level not in _LEVELS:
            raise ValueError(f"level must be one of {_LEVELS}, got {level!r}")
        if diffusion not in _DIFFUSIONS:
            raise ValueError(f"diffusion must be one of {_DIFFUSIONS}, got {diffusion!r}")
        if sample_size is not None and (not isinstance(sample_size, int) or sample_size < 2):
            raise ValueError(f"sample_size must be None or an int >= 2, got {sample_size!r}")
        if not isinstance(num_samples, int) or num_samples < 1:
            raise ValueError(f"num_samples must be an int >= 1, got {num_samples!r}")
        self.level, self.hidden_dim, self.num_layers = level, hidden_dim, num_layers
        self.sample_size, self.num_samples = sample_size, num_samples
        self.adj_self_loops = (level == "node") if adj_self_loops is None else bool(adj_self_loops)
        if diffusion == "ppr":
            self.diffusion = PPRDiffusion(alpha, topk=diffusion_topk, eps=diffusion_eps, method=diffusion_method)
        else:
            if diffusion_method == "approx":
                raise ValueError("the heat diffusion is exact only; use diffusion_method 'auto' or 'exact'")
            self.diffusion = HeatDiffusion(t, topk=diffusion_topk, eps=diffusion_eps)
        # Both views are normalised once, before any subsetting (as MVGRL's code does), so
        # the layers aggregate with the views' own weights.
        conv_kwargs = {"normalize": False, "add_self_loops": False}
        act = resolve_activation(activation)
        self.encoder_adj, self.encoder_diff = (
            build_encoder("gcn", in_dim=in_dim, hidden_dim=hidden_dim, out_dim=hidden_dim, num_layers=num_layers,
                          activation=act, encoding=True, conv_kwargs=conv_kwargs) for _ in range(2))
        if level == "node":
            self.discriminator = BilinearDiscriminator(hidden_dim)
        else:
            self.node_head = _ProjectionHead(hidden_dim, hidden_dim)
            self.graph_head = _ProjectionHead(hidden_dim * num_layers, hidden_dim)
        self.generator = make_generator(seed)

    # ------------------------------------------------------------------ views
    def views(self, data: GraphInput) -> Tuple[Graph, Graph]:
        """``(normalised adjacency, diffusion)`` of ``data``'s graph, weighted graphs on the
        same nodes (cached on a fixed full graph, recomputed per batch)."""
        graph = data.graph
        if isinstance(data, GraphBatch):
            return graph.gcn_norm(self.adj_self_loops), self.diffusion.augment_batch(data).graph
        key = (_ADJ_KEY, self.adj_self_loops)
        if key not in graph._cache:
            graph._cache[key] = graph.gcn_norm(self.adj_self_loops)
        return graph._cache[key], self.diffusion.augment(graph, None)[0]

    def _check_level(self, data: GraphInput) -> None:
        batched = isinstance(data, GraphBatch)
        if self.level == "node" and batched:
            raise ValueError("this MVGRL was built with level='node' but got a GraphBatch; "
                             "use level='graph' for graph-level pretraining")
        if self.level == "graph" and not batched:
            raise ValueError("this MVGRL was built with level='graph' and needs a GraphBatch of graphs")

    def _randperm(self, n: int, device: torch.device) -> Tensor:
        return torch.randperm(n, generator=self.generator).to(device)

    # ------------------------------------------------------------------ node level
    def _node_loss(self, adj: Graph, diff: Graph, x: Tensor) -> Tensor:
        x_neg = x.index_select(0, self._randperm(x.size(0), x.device))
        h1, h2 = self.encoder_adj(adj, x), self.encoder_diff(diff, x)
        h3, h4 = self.encoder_adj(adj, x_neg), self.encoder_diff(diff, x_neg)
        c1, c2 = sigmoid_mean_summary(h1), sigmoid_mean_summary(h2)
        d = self.discriminator
        pos = torch.cat([d(h2, c1), d(h1, c2)])
        neg = torch.cat([d(h4, c1), d(h3, c2)])
        # Half the JSD loss is MVGRL's mean binary cross-entropy over the 4N scores.
        return 0.5 * jsd_loss_from_scores(pos, neg)

    def _subsets(self, n: int, device: torch.device) -> List[Optional[Tensor]]:
        if self.sample_size is None or self.sample_size >= n:
            return [None]
        return [self._randperm(n, device)[: self.sample_size] for _ in range(self.num_samples)]

    # ------------------------------------------------------------------ graph level
    def _graph_level(self, encoder: nn.Module, graph: Graph, x: Tensor, ptr: Tensor) -> Tuple[Tensor, Tensor]:
        h, hidden = encoder(graph, x, return_hidden=True)
        return h, torch.cat([sum_pool(z, ptr) for z in hidden], dim=1)

    def _graph_views(self, data: GraphBatch) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        adj, diff = self.views(data)
        l1, g1 = self._graph_level(self.encoder_adj, adj, data.x, data.ptr)
        l2, g2 = self._graph_level(self.encoder_diff, diff, data.x, data.ptr)
        return self.node_head(l1), self.graph_head(g1), self.node_head(l2), self.graph_head(g2)

    # ------------------------------------------------------------------ interface
    def loss(self, data: GraphInput) -> Tensor:
        self._check_level(data)
        if self.level == "graph":
            if data.num_graphs < 2:
                raise ValueError("graph-level MVGRL needs batches of at least 2 graphs (the other graphs "
                                 "are the negatives)")
            l1, g1, l2, g2 = self._graph_views(data)
            pos = torch.stack([torch.arange(data.num_nodes, device=l1.device), data.batch])
            return jsd_loss(l1, g2, pos) + jsd_loss(l2, g1, pos)
        adj, diff = self.views(data)
        losses = []
        for nodes in self._subsets(data.graph.num_nodes, data.x.device):
            if nodes is None:
                losses.append(self._node_loss(adj, diff, data.x))
            else:
                losses.append(self._node_loss(adj.subgraph(nodes), diff.subgraph(nodes), data.x.index_select(0, nodes)))
        return torch.stack(losses).mean()

    @torch.no_grad()
    def embed(self, data: GraphInput) -> Tensor:
        self._check_level(data)
        was = self.training
        self.eval()
        if self.level == "graph":
            _, g1, _, g2 = self._graph_views(data)
            out = g1 + g2
        else:
            adj, diff = self.views(data)
            out = self.encoder_adj(adj, data.x) + self.encoder_diff(diff, data.x)
        self.train(was)
        return out
