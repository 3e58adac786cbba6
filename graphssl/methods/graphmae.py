"""GraphMAE (Hou et al., KDD 2022) and GraphMAE2 (Hou et al., WWW 2023).

GraphMAE masks the features of a random subset of nodes (a learnable [MASK] token,
a small share replaced by other nodes' features), encodes the graph, re-masks the same
nodes in the latent space, decodes with a GNN and scores the reconstruction of the
masked features with the scaled cosine error. GraphMAE2 decodes several random
re-maskings and adds a latent-prediction loss against an EMA target encoder.

Both train on a full graph, on sampled subgraphs (:class:`graphssl.minibatch.SubgraphInput`,
e.g. GraphMAE2's local-cluster ego graphs: an ordinary ``(graph, x)`` input), and on
neighbour-sampled Blocks (:class:`graphssl.minibatch.BlockInput`): one Block per encoder
layer plus one per decoder layer, the loss on the masked seed nodes.
"""
from __future__ import annotations

import copy
from typing import Any, List, Optional, Tuple

import torch
from torch import Tensor, nn

from ..losses import sce_loss
from ..minibatch import BlockInput
from ..nn import MLP, build_encoder, create_activation, global_pool
from ..sparse import Graph
from ..checks import check_fraction, check_int
from .base import GraphInput, SSLMethod, register_method

__all__ = ["GraphMAE", "GraphMAE2"]


def _drop_edges(graph: Graph, rate: float, gen: Optional[torch.Generator]) -> Graph:
    """Keep each edge with probability ``1 - rate`` (self-loops are re-added by the layers)."""
    keep = torch.rand(graph.num_edges, generator=gen).to(graph.device) >= rate
    ei, w = graph.to_edge_index()
    out = Graph.from_edge_index(ei[:, keep], graph.num_dst_nodes, w[keep] if w is not None else None,
                                num_src_nodes=graph.num_src_nodes if graph.is_bipartite else None)
    for attr in ("global_in_degree", "global_has_loop"):  # a Block's full-graph degrees (GCN)
        if hasattr(graph, attr):
            setattr(out, attr, getattr(graph, attr))
    return out


@register_method("graphmae")
class GraphMAE(SSLMethod):
    """Masked feature reconstruction with a GNN encoder and a GNN decoder.

    Args:
        in_dim: input feature width.
        hidden_dim: encoder output width (split across heads for GAT).
        num_layers: encoder depth.
        heads: attention heads of the encoder (GAT only).
        out_heads: attention heads of the decoder (GAT only).
        encoder, decoder: layer names for :func:`graphssl.nn.build_encoder` (``"gat"``,
            ``"gin"``, ``"gcn"``, ...), or ``"mlp"``/``"linear"`` for the decoder.
        activation, feat_drop, attn_drop, negative_slope, residual, norm: encoder options.
        mask_rate: share of nodes whose features are masked, in (0, 1).
        replace_rate: share of masked nodes given another node's features instead of the
            [MASK] token, in [0, 1).
        drop_edge_rate: share of edges dropped for the encoder at each step, in [0, 1).
        alpha: exponent of the scaled cosine error (>= 1).
        concat_hidden: decode from the concatenation of every encoder layer's output.
        pooling: for graph-level data (a batch with ``.batch``/``.ptr``), how node
            embeddings are pooled in :meth:`embed` (``"mean"``, ``"sum"``, ``"max"``).
        seed: seeds the method's own generator for masks (else the global RNG is used).

    Mini-batches: :meth:`loss` also takes a :class:`graphssl.minibatch.BlockInput` sampled
    with ``num_layers + decoder layers`` fan-outs (``num_layers + 1`` for a GNN decoder,
    ``num_layers`` for ``"mlp"``/``"linear"``). ``mask_rate`` of the seeds and of the
    other input nodes are masked, the encoder runs on the first Blocks, the re-masked
    representations are decoded on the last one, and the loss is scored on the masked
    seeds. With all nodes as seeds (in id order) and full fan-outs it is the full-graph loss.

    Raises:
        ValueError: a rate outside its range, an unknown layer or activation name.
    """

    #: Trains on neighbour-sampled Blocks (:class:`graphssl.minibatch.BlockInput`).
    supports_blocks = True

    def __init__(self, in_dim: int, hidden_dim: int = 512, num_layers: int = 2, heads: int = 4,
                 out_heads: int = 1, encoder: str = "gat", decoder: str = "gat", activation: str = "prelu",
                 feat_drop: float = 0.2, attn_drop: float = 0.1, negative_slope: float = 0.2,
                 residual: bool = False, norm: Optional[str] = None, mask_rate: float = 0.5,
                 replace_rate: float = 0.05, drop_edge_rate: float = 0.0, alpha: float = 2.0,
                 concat_hidden: bool = False, pooling: str = "mean", seed: Optional[int] = None) -> None:
        super().__init__()
        check_fraction("mask_rate", mask_rate, low_open=True)
        check_fraction("replace_rate", replace_rate)
        check_fraction("drop_edge_rate", drop_edge_rate)
        if alpha < 1:
            raise ValueError(f"alpha must be >= 1, got {alpha}")
        if pooling not in ("mean", "sum", "max"):
            raise ValueError(f"pooling must be 'mean', 'sum' or 'max', got {pooling!r}")
        attention = encoder.lower() == "gat"
        if attention and hidden_dim % heads:
            raise ValueError(f"hidden_dim ({hidden_dim}) must be divisible by heads ({heads})")
        self.mask_rate, self.replace_rate = mask_rate, replace_rate
        self.drop_edge_rate, self.alpha = drop_edge_rate, alpha
        self.concat_hidden, self.pooling = concat_hidden, pooling
        self.generator = torch.Generator().manual_seed(seed) if seed is not None else None
        enc_heads = heads if attention else 1
        self.encoder = build_encoder(
            encoder, in_dim=in_dim, hidden_dim=hidden_dim, out_dim=hidden_dim,
            num_layers=num_layers, heads=enc_heads, out_heads=enc_heads, activation=activation,
            dropout=feat_drop, attn_drop=attn_drop, negative_slope=negative_slope, residual=residual,
            norm=norm, encoding=True, conv_kwargs=self._conv_kwargs(encoder, norm, activation))
        self.hidden_dim = hidden_dim
        dec_in = hidden_dim * num_layers if concat_hidden else hidden_dim
        self.encoder_to_decoder = nn.Linear(dec_in, hidden_dim, bias=False)
        self.decoder_kind = decoder.lower()
        if self.decoder_kind == "mlp":
            self.decoder = nn.Sequential(nn.Linear(hidden_dim, hidden_dim), create_activation(activation),
                                         nn.Dropout(feat_drop), nn.Linear(hidden_dim, in_dim))
        elif self.decoder_kind == "linear":
            self.decoder = nn.Linear(hidden_dim, in_dim)
        else:
            dec_heads = out_heads if self.decoder_kind == "gat" else 1
            self.decoder = build_encoder(
                decoder, in_dim=hidden_dim, hidden_dim=hidden_dim, out_dim=in_dim, num_layers=1,
                heads=heads, out_heads=dec_heads, activation=activation, dropout=feat_drop,
                attn_drop=attn_drop, negative_slope=negative_slope, residual=residual, norm=norm,
                encoding=False, conv_kwargs=self._decoder_kwargs(decoder, hidden_dim, in_dim, norm, activation))
        self.enc_mask_token = nn.Parameter(torch.zeros(1, in_dim))

    # ------------------------------------------------------------------ pieces
    @staticmethod
    def _conv_kwargs(conv: str, norm: Optional[str], activation: str) -> dict:
        # GraphMAE's GIN update MLP is Linear -> norm -> activation -> Linear, with the
        # encoder's own norm and activation (not a fixed ReLU).
        return {"mlp_norm": norm, "mlp_activation": activation} if conv.lower() == "gin" else {}

    @staticmethod
    def _decoder_kwargs(conv: str, hidden_dim: int, out_dim: int, norm: Optional[str], activation: str) -> dict:
        # GraphMAE's GIN decoder keeps the hidden width inside its MLP (hidden -> hidden -> out).
        if conv.lower() != "gin":
            return {}
        return {"mlp": MLP(hidden_dim, hidden_dim, out_dim, num_layers=2, norm=norm, activation=activation)}

    def _perm(self, n: int, device: torch.device) -> Tensor:
        return torch.randperm(n, generator=self.generator).to(device)

    def mask_features(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Mask ``mask_rate`` of the nodes; returns ``(masked x, mask_nodes, keep_nodes)``."""
        n = x.size(0)
        perm = self._perm(n, x.device)
        num_mask = int(self.mask_rate * n)
        mask_nodes, keep_nodes = perm[:num_mask], perm[num_mask:]
        return self._apply_mask(x, mask_nodes), mask_nodes, keep_nodes

    def _block_mask(self, num_seeds: int, num_inputs: int, device: torch.device) -> Tuple[Tensor, Tensor]:
        """``(mask, keep)`` local input ids: ``mask_rate`` of the seeds (at least one) and of
        the other input nodes, so every batch scores the same number of seeds."""
        perm = self._perm(num_seeds, device)
        k = max(1, int(self.mask_rate * num_seeds))
        mask, keep = [perm[:k]], [perm[k:]]
        rest = num_inputs - num_seeds
        if rest > 0:
            perm = self._perm(rest, device) + num_seeds
            k = int(self.mask_rate * rest)
            mask.append(perm[:k])
            keep.append(perm[k:])
        return torch.cat(mask), torch.cat(keep)

    def _apply_mask(self, x: Tensor, mask_nodes: Tensor) -> Tensor:
        """``x`` with the rows ``mask_nodes`` replaced by the [MASK] token (a share
        ``replace_rate`` of them by random nodes' features instead)."""
        n, num_mask = x.size(0), mask_nodes.numel()
        out = x.clone()
        if self.replace_rate > 0 and num_mask > 0:
            num_noise = int(self.replace_rate * num_mask)
            pm = self._perm(num_mask, x.device)
            token_nodes = mask_nodes[pm[: num_mask - num_noise]]
            noise_nodes = mask_nodes[pm[num_mask - num_noise:]]
            out[token_nodes] = 0.0
            out[noise_nodes] = x[self._perm(n, x.device)[:num_noise]]
        else:
            token_nodes = mask_nodes
            out[token_nodes] = 0.0
        out[token_nodes] = out[token_nodes] + self.enc_mask_token
        return out

    def _encode(self, graph: Graph, x: Tensor) -> Tensor:
        out, hidden = self.encoder(graph, x, return_hidden=True)
        return torch.cat(hidden, dim=1) if self.concat_hidden else out

    def _decode(self, graph: Graph, rep: Tensor) -> Tensor:
        if self.decoder_kind in ("mlp", "linear"):
            return self.decoder(rep)
        return self.decoder(graph, rep)

    def _train_graph(self, graph: Graph) -> Graph:
        return _drop_edges(graph, self.drop_edge_rate, self.generator) if self.drop_edge_rate > 0 else graph

    @property
    def _gnn_decoder(self) -> bool:
        return self.decoder_kind not in ("mlp", "linear")

    def _to_decoder(self, enc: Tensor, keep: Tensor) -> Tensor:
        """The decoder's input: ``encoder_to_decoder(enc)``, re-masked for a GNN decoder
        (every row but ``keep`` zero: it must infer masked nodes from their neighbours).

        The re-masked rows are zero whatever they held, so only the ``keep`` rows are
        projected (a quarter of them at mask rate 0.75: on PubMed's 1024-wide layers that is
        three quarters of the largest product of the step, forward and backward).
        """
        if not self._gnn_decoder:
            return self.encoder_to_decoder(enc)
        rep = enc.new_zeros(enc.size(0), self.encoder_to_decoder.out_features)
        rep[keep] = self.encoder_to_decoder(enc.index_select(0, keep))  # no bias: zero rows stay zero
        return rep

    def _split_blocks(self, data: BlockInput) -> Tuple[List[Graph], List[Graph]]:
        """``(encoder Blocks, decoder Blocks)``, edges dropped as configured."""
        blocks = list(data.blocks)
        num_enc = self.encoder.num_layers
        num_dec = self.decoder.num_layers if self._gnn_decoder else 0
        if len(blocks) != num_enc + num_dec:
            raise ValueError(f"{type(self).__name__} with a {num_enc}-layer encoder and a {self.decoder_kind!r} "
                             f"decoder needs {num_enc + num_dec} Blocks (one fan-out per encoder and decoder "
                             f"layer), got {len(blocks)}")
        blocks = [self._train_graph(b) for b in blocks]
        return blocks[:num_enc], blocks[num_enc:]

    def _encode_blocks(self, blocks: List[Graph], x: Tensor) -> Tensor:
        out, hidden = self.encoder(blocks, x, return_hidden=True)
        if not self.concat_hidden:
            return out
        n = blocks[-1].num_dst_nodes  # every layer's first n rows are the last layer's nodes
        return torch.cat([h[:n] for h in hidden], dim=1)

    def _block_loss(self, data: BlockInput) -> Tensor:
        x, num_seeds = data.x, data.num_seeds
        mask_nodes, keep_nodes = self._block_mask(num_seeds, x.size(0), x.device)
        use_x = self._apply_mask(x, mask_nodes)
        enc_blocks, dec_blocks = self._split_blocks(data)
        n_rep = enc_blocks[-1].num_dst_nodes
        rep = self._to_decoder(self._encode_blocks(enc_blocks, use_x), keep_nodes[keep_nodes < n_rep])
        recon = self._decode(dec_blocks, rep)  # [num_seeds, in_dim]
        seeds_masked = mask_nodes[mask_nodes < num_seeds]
        return sce_loss(recon[seeds_masked], x[seeds_masked], self.alpha)

    # ------------------------------------------------------------------ interface
    def loss(self, data: GraphInput) -> Tensor:
        if isinstance(data, BlockInput):
            return self._block_loss(data)
        graph, x = data.graph, data.x
        use_x, mask_nodes, keep_nodes = self.mask_features(x)
        g = self._train_graph(graph)
        recon = self._decode(g, self._to_decoder(self._encode(g, use_x), keep_nodes))
        return sce_loss(recon[mask_nodes], x[mask_nodes], self.alpha)

    @torch.no_grad()
    def embed(self, data: GraphInput) -> Tensor:
        was = self.training
        self.eval()
        h = self.encoder(data.graph, data.x)
        self.train(was)
        ptr = getattr(data, "ptr", None)
        return global_pool(h, ptr, self.pooling) if ptr is not None else h


@register_method("graphmae2")
class GraphMAE2(GraphMAE):
    """GraphMAE2: multi-view random re-masking + latent prediction against an EMA target.

    Extra args:
        remask_rate: share of nodes re-masked (with a learnable token) before each decoding.
        num_remask: number of random re-maskings whose reconstruction losses are summed.
        lam: weight of the latent-prediction loss.
        momentum: EMA momentum of the target encoder.
        delayed_ema_epoch: the target starts following the encoder only after this epoch.
        proj_dim: width of the projector's hidden layer.
    """

    def __init__(self, in_dim: int, remask_rate: float = 0.5, num_remask: int = 3, lam: float = 1.0,
                 momentum: float = 0.996, delayed_ema_epoch: int = 0, proj_dim: int = 256, **kw) -> None:
        super().__init__(in_dim, **kw)
        check_fraction("remask_rate", remask_rate, low_open=True)
        check_int("num_remask", num_remask)
        check_fraction("momentum", momentum, high_closed=True)
        self.remask_rate, self.num_remask, self.lam = remask_rate, num_remask, lam
        self.momentum, self.delayed_ema_epoch = momentum, delayed_ema_epoch
        h = self.hidden_dim * (kw.get("num_layers", 2) if self.concat_hidden else 1)
        self.projector = nn.Sequential(nn.Linear(h, proj_dim), nn.PReLU(), nn.Linear(proj_dim, h))
        self.predictor = nn.Sequential(nn.PReLU(), nn.Linear(h, h))
        self.encoder_ema = copy.deepcopy(self.encoder)
        self.projector_ema = copy.deepcopy(self.projector)
        for p in list(self.encoder_ema.parameters()) + list(self.projector_ema.parameters()):
            p.requires_grad_(False)
        self.dec_mask_token = nn.Parameter(torch.zeros(1, self.hidden_dim))

    def _block_loss(self, data: BlockInput) -> Tensor:
        x, num_seeds = data.x, data.num_seeds
        mask_nodes, keep_nodes = self._block_mask(num_seeds, x.size(0), x.device)
        use_x = self._apply_mask(x, mask_nodes)
        clean_enc = list(data.blocks[:self.encoder.num_layers])
        enc_blocks, dec_blocks = self._split_blocks(data)
        n_rep = enc_blocks[-1].num_dst_nodes
        enc = self._encode_blocks(enc_blocks, use_x)
        keep = keep_nodes[keep_nodes < n_rep]
        with torch.no_grad():
            self.encoder_ema.train(self.training)
            target = self.projector_ema(self.encoder_ema(clean_enc, x)[keep])
        return self._latent_and_remask_loss(enc, keep, target, dec_blocks, x, mask_nodes[mask_nodes < num_seeds])

    def loss(self, data: GraphInput) -> Tensor:
        if isinstance(data, BlockInput):
            return self._block_loss(data)
        graph, x = data.graph, data.x
        use_x, mask_nodes, keep_nodes = self.mask_features(x)
        g = self._train_graph(graph)
        enc = self._encode(g, use_x)
        with torch.no_grad():
            self.encoder_ema.train(self.training)
            target = self.projector_ema(self.encoder_ema(graph, x)[keep_nodes])
        return self._latent_and_remask_loss(enc, keep_nodes, target, g, x, mask_nodes)

    def _latent_and_remask_loss(self, enc: Tensor, keep: Tensor, target: Tensor, decode_on: Any, x: Tensor,
                                scored: Tensor) -> Tensor:
        """GraphMAE2's loss from the encoder output ``enc``: SCE of the predicted latents of
        the ``keep`` rows against the EMA ``target``, times ``lam``, plus ``num_remask``
        reconstructions, each re-masking a random ``remask_rate`` of the rows before decoding
        on ``decode_on`` (a graph or the decoder's Blocks), scored on the ``scored`` nodes."""
        pred = self.predictor(self.projector(enc[keep]))
        loss_latent = sce_loss(pred, target, 1.0)
        origin = self.encoder_to_decoder(enc)
        n = origin.size(0)
        num_remask = int(self.remask_rate * n)
        loss_rec = origin.new_zeros(())
        for _ in range(self.num_remask):
            remask = self._perm(n, x.device)[:num_remask]
            rep = origin.clone()
            rep[remask] = 0.0
            rep[remask] = rep[remask] + self.dec_mask_token
            recon = self._decode(decode_on, rep)
            loss_rec = loss_rec + sce_loss(recon[scored], x[scored], self.alpha)
        return loss_rec + self.lam * loss_latent

    @torch.no_grad()
    def after_step(self, epoch: int, total_epochs: int) -> None:
        """EMA update of the target encoder and projector (from ``delayed_ema_epoch`` on)."""
        if epoch < self.delayed_ema_epoch:
            return
        m = self.momentum
        for online, target in ((self.encoder, self.encoder_ema), (self.projector, self.projector_ema)):
            for p, q in zip(online.parameters(), target.parameters()):
                q.mul_(m).add_(p.detach(), alpha=1 - m)
