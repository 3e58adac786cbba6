"""The user-item bipartite graph as one square `Graph` of ``num_users + num_items`` nodes
(users first, then items), and LightGCN-style propagation over it with the core's spmm."""
from __future__ import annotations

from typing import Callable, List, Optional, Tuple, Union

import torch
from torch import Tensor

from ..sparse import Graph
from .propagation import adj_spmm, mark_symmetric

__all__ = ["interaction_graph", "lightgcn_propagate"]


def interaction_graph(num_users: int, num_items: int, users: Tensor, items: Tensor,
                      normalize: bool = True) -> Graph:
    """Symmetric user-item graph: node ``u`` is user ``u``, node ``num_users + i`` is item ``i``.

    Args:
        num_users, num_items: sizes.
        users, items: ``[nnz]`` index pairs of the training interactions.
        normalize: weight edges by ``1 / sqrt(deg_u * deg_i)`` (LightGCN; no self-loops).

    Raises:
        ValueError: lengths differ or an index is out of range.
    """
    users, items = torch.as_tensor(users).long().view(-1), torch.as_tensor(items).long().view(-1)
    if users.numel() != items.numel():
        raise ValueError(f"users ({users.numel()}) and items ({items.numel()}) must have the same length")
    if users.numel():
        if int(users.min()) < 0 or int(users.max()) >= num_users:
            raise ValueError(f"user index out of range [0, {num_users})")
        if int(items.min()) < 0 or int(items.max()) >= num_items:
            raise ValueError(f"item index out of range [0, {num_items})")
    u, i = users, items + num_users
    ei = torch.stack([torch.cat([u, i]), torch.cat([i, u])])
    g = Graph.from_edge_index(ei, num_users + num_items, coalesce=True)
    # Symmetric by construction (both directions, weights 1 / sqrt(deg_u deg_i)): backward
    # passes of the propagation reuse the graph instead of its transpose.
    return mark_symmetric(g.gcn_norm(add_self_loops=False) if normalize else g)


def lightgcn_propagate(adj: Graph, emb: Tensor, num_layers: int,
                       perturb: Optional[Callable[[Tensor, int], Tensor]] = None,
                       return_layers: bool = False, include_ego: bool = True
                       ) -> Union[Tensor, Tuple[Tensor, List[Tensor]]]:
    """Mean of ``[E_0, A E_0, A^2 E_0, ...]`` (LightGCN), optionally perturbing each layer.

    Args:
        adj: normalised interaction graph (see :func:`interaction_graph`).
        emb: ``[num_users + num_items, d]`` ego embeddings (users first).
        num_layers: propagation depth ``L >= 0``.
        perturb: ``f(layer_output, layer_index) -> tensor`` applied after each propagation
            (SimGCL's noise, XSimGCL's cross-layer views); None leaves layers as they are.
        return_layers: also return the list of the ``L + 1`` layer embeddings (``E_0`` first).
        include_ego: average ``E_0`` in (LightGCN); False averages only ``E_1..E_L``, as
            SimGCL's and XSimGCL's official encoders do.

    Returns:
        ``[num_users + num_items, d]`` final embeddings (and the layers if asked).

    Raises:
        ValueError: ``num_layers < 0``, or ``num_layers == 0`` with ``include_ego=False``.
    """
    if num_layers < 0:
        raise ValueError(f"num_layers must be >= 0, got {num_layers}")
    if num_layers == 0 and not include_ego:
        raise ValueError("include_ego=False needs num_layers >= 1 (nothing left to average)")
    layers = [emb]
    h = emb
    total = emb if include_ego else None
    for k in range(num_layers):
        h = adj_spmm(adj, h)
        if perturb is not None:
            h = perturb(h, k)
        layers.append(h)
        # A running sum, not stack().mean(): no (L + 1) x N x d copy forward or backward.
        total = h if total is None else total + h
    out = total / (num_layers + 1 if include_ego else num_layers)
    return (out, layers) if return_layers else out
