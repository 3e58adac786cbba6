"""Layer-wise inference: a GNN encoder's output for every node of a large graph, computed
one layer at a time over batches of nodes with all their neighbours, so memory holds two
layers' activations (the layer's input and output for all nodes) plus one batch, never
the whole network's activations or a multi-hop neighbourhood."""
from __future__ import annotations

from typing import Optional, Union

import torch
from torch import Tensor

from ..checks import check_int
from ..devices import resolve_device
from ..sparse.graph import Graph
from .graph_views import attach_global_degrees

__all__ = ["layerwise_inference"]

Device = Union[str, torch.device, None]


@torch.no_grad()
def layerwise_inference(encoder, graph: Graph, x: Tensor, batch_size: int = 4096, device: Device = None) -> Tensor:
    """``encoder(graph, x)`` computed layer by layer over node batches (in eval mode).

    For layer ``l`` and every batch of consecutive destination nodes, one Block with
    *all* their in-neighbours (``NeighborSampler(graph, [-1])``) feeds
    ``encoder.layer_forward(l, block, h_l[block.src_nodes])``; the outputs fill
    ``h_{l+1}`` for all nodes before the next layer starts. GCN layers get the full
    graph's degrees (:func:`graphssl.nn.attach_global_degrees`), so the result equals the
    full-graph forward up to floating-point summation order.

    Args:
        encoder: a :class:`graphssl.nn.GNNEncoder` (anything with ``num_layers`` and
            ``layer_forward(i, graph, h)``); run in eval mode, its mode restored after.
        graph: the square graph (on the CPU for the numba sampler, or any device with the
            torch one).
        x: ``[num_nodes, in_dim]`` input features; every layer's output is kept on
            ``x``'s device (e.g. CPU memory while the layers run on a GPU).
        batch_size: destination nodes per batch.
        device: where the layers run (default: the encoder's parameters' device).

    Returns:
        ``[num_nodes, out_dim]`` on ``x``'s device.

    Raises:
        ValueError: not an encoder with ``layer_forward``, a non-square graph, ``x`` with
            the wrong number of rows, or a non-positive batch size.
    """
    from ..sampling import NeighborSampler  # the samplers sit beside nn on top of sparse

    if not hasattr(encoder, "layer_forward") or not hasattr(encoder, "num_layers"):
        raise ValueError(f"layerwise_inference needs a GNNEncoder (with layer_forward), got {type(encoder).__name__}")
    if not isinstance(graph, Graph) or graph.is_bipartite:
        raise ValueError("layerwise_inference needs a square graphssl.sparse.Graph")
    if not isinstance(x, Tensor) or x.dim() != 2 or x.size(0) != graph.num_nodes:
        raise ValueError(f"x must be [num_nodes={graph.num_nodes}, in_dim], got "
                         f"{tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__}")
    check_int("batch_size", batch_size)
    if device is None:
        p = next(encoder.parameters(), None)
        device = p.device if p is not None else x.device
    device = resolve_device(device)
    sampler = NeighborSampler(graph, [-1], seed=0)
    was = encoder.training
    encoder.eval()
    try:
        h = x
        n = graph.num_nodes
        for layer in range(encoder.num_layers):
            out: Optional[Tensor] = None
            for start in range(0, n, batch_size):
                nodes = torch.arange(start, min(start + batch_size, n), device=graph.device)
                block = sampler.sample(nodes).blocks[0].to(device)
                attach_global_degrees([block], graph)
                h_src = h.index_select(0, block.src_nodes.to(h.device)).to(device)
                res = encoder.layer_forward(layer, block, h_src)
                if out is None:
                    out = torch.empty(n, *res.shape[1:], dtype=res.dtype, device=x.device)
                out[start:start + nodes.numel()] = res.to(x.device)
            h = out if out is not None else x
        return h
    finally:
        encoder.train(was)
