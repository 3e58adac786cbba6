"""XSimGCL (Yu et al., TKDE 2023): one perturbed propagation serves both tasks; the final
embedding is contrasted with the perturbed output of an intermediate layer ``l*``."""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import torch
from torch import Tensor

from ...checks import check_positive
from .base import RecSSLHead, check_backbone, check_batch, register_head, split_nodes
from .contrast import info_nce
from .simgcl import batch_rows, noisy_propagation, positions_in

__all__ = ["XSimGCLHead"]


@register_head("xsimgcl")
class XSimGCLHead(RecSSLHead):
    """XSimGCL as a head that *replaces the host's propagation* during training.

    Contract (the host calls two methods per step):

    1. ``user_emb, item_emb, views = head.propagate(backbone)``: one noisy propagation of
       ``backbone.ego`` over ``backbone.adj``; ``user_emb`` / ``item_emb`` (``[U, d]`` /
       ``[I, d]``, mean of the perturbed layers) feed the host's main loss (e.g. BPR) in
       place of its clean embeddings; ``views`` is ``{"user": [U, d], "item": [I, d]}``, the
       perturbed output of layer ``layer_cl``.
    2. ``aux = head(users, pos_items, user_emb, item_emb, views=views)``: weighted InfoNCE
       between the final and the layer-``layer_cl`` embeddings over the batch's unique users
       and positive items (each a mean over the batch).

    For evaluation the host uses its clean propagation (or ``head.propagate(backbone,
    perturb=False)``). ``forward`` needs no backbone, only ``views``.

    Needs from the backbone (in :meth:`propagate`): ``adj``, ``ego``, ``num_layers``,
    ``num_users``, ``num_items``.

    Defaults are the official yelp2018 config (Coder-Yu/SELFRec ``conf/XSimGCL.yaml``:
    ``lambda 0.2, eps 0.2, tau 0.15, l* 1``); SELFRec's Yelp2018 leaderboard row uses 3
    layers, as :func:`graphssl.rec.preset` does.

    Args:
        eps: noise radius ``> 0``.
        temperature: InfoNCE temperature.
        weight: loss multiplier (lambda).
        layer_cl: the contrasted layer ``l*``, ``1 <= l* <= num_layers`` (checked at propagate).
        include_ego: average the ego layer into the final embedding (the official code does not).
        seed: seed of the head's generator (noise).

    Raises:
        ValueError: bad eps / temperature / layer_cl.
    """

    needs = ("adj", "ego", "num_layers", "num_users", "num_items")

    def __init__(self, eps: float = 0.2, temperature: float = 0.15, weight: float = 0.2, layer_cl: int = 1,
                 include_ego: bool = False, seed: Optional[int] = None) -> None:
        super().__init__(seed)
        self.eps = check_positive("eps", eps)
        self.temperature = check_positive("temperature", temperature)
        self.weight = float(weight)
        if not isinstance(layer_cl, int) or layer_cl < 1:
            raise ValueError(f"layer_cl must be an int >= 1, got {layer_cl!r}")
        self.layer_cl = layer_cl
        self.include_ego = bool(include_ego)

    def _repr_keys(self):
        return ("eps", "temperature", "weight", "layer_cl", "include_ego")

    def propagate(self, backbone: Any, perturb: bool = True, generator: Optional[torch.Generator] = None,
                  rows: Optional[Tensor] = None) -> Tuple[Optional[Tensor], Optional[Tensor], Dict[str, Tensor]]:
        """One (noisy) propagation: ``(user_emb [U, d], item_emb [I, d], views)``.

        ``views`` holds ``"user"`` / ``"item"`` (layer ``l*``, ``[U, d]`` / ``[I, d]``) and the
        whole tables ``"all"`` (final) and ``"layer"`` (layer ``l*``), ``[U + I, d]``, which
        :meth:`forward` and the trainer gather from directly.

        With ``rows`` (``[R]`` sorted unique node rows holding every row the step reads: the
        host's batch), the last layer is propagated for those rows alone (its noise is the
        same as in the full propagation on CPU) and the result is ``(None, None, views)`` with
        ``views = {"all": [R, d], "layer": [R, d], "rows": rows}``.

        Raises:
            ValueError: ``layer_cl`` exceeds ``backbone.num_layers``, or a bad backbone.
        """
        check_backbone(backbone, self.needs, "XSimGCL")
        if self.layer_cl > int(backbone.num_layers):
            raise ValueError(f"layer_cl={self.layer_cl} exceeds backbone.num_layers={int(backbone.num_layers)}")
        gen = self.generator(backbone.adj.device, generator)
        final, layer = noisy_propagation(backbone, self.eps if perturb else 0.0, self.include_ego, gen,
                                         layer_cl=self.layer_cl, rows=rows)
        if rows is not None:
            return None, None, {"all": final, "layer": layer, "rows": rows}
        nu = int(backbone.num_users)
        (u, i), (cu, ci) = split_nodes(final, nu), split_nodes(layer, nu)
        return u, i, {"user": cu, "item": ci, "all": final, "layer": layer}

    def forward(self, users: Tensor, pos_items: Tensor, user_emb: Optional[Tensor], item_emb: Optional[Tensor],
                backbone: Any = None, views: Optional[Dict[str, Tensor]] = None, **kwargs: Any) -> Tensor:
        """Weighted cross-layer InfoNCE; ``user_emb`` / ``item_emb`` and ``views`` must come
        from the same :meth:`propagate` call.

        Raises:
            ValueError: ``views`` missing or shaped unlike the embeddings.
        """
        if views is None:
            raise ValueError("XSimGCL needs the views from head.propagate(backbone): call "
                             "user_emb, item_emb, views = head.propagate(backbone) and pass views=views")
        at = views.get("rows")
        if isinstance(at, Tensor):  # propagate(backbone, rows=...): tables at the host's batch rows
            if backbone is None:
                raise ValueError("XSimGCL with views from propagate(backbone, rows=...) needs backbone=")
            nu = int(backbone.num_users)
            users, pos_items = check_batch(users, pos_items, None, None, nu, int(backbone.num_items))
            rows, n = batch_rows(users.to(at.device), pos_items.to(at.device), nu)
            where = positions_in(at, rows)
            a, b = views["all"].index_select(0, where), views["layer"].index_select(0, where)
        else:
            a, b, n = self._batch_pairs(users, pos_items, user_emb, item_emb, views)
        return self.weight * (info_nce(a[:n], b[:n], self.temperature) + info_nce(a[n:], b[n:], self.temperature))

    @staticmethod
    def _batch_pairs(users: Tensor, pos_items: Tensor, user_emb: Tensor, item_emb: Tensor,
                     views: Dict[str, Tensor]) -> Tuple[Tensor, Tensor, int]:
        """``(final rows, layer-l* rows, n unique users)`` of the batch from full tables."""
        users, pos_items = check_batch(users, pos_items, user_emb, item_emb)
        cu, ci = views.get("user"), views.get("item")
        if not isinstance(cu, Tensor) or not isinstance(ci, Tensor) or cu.shape != user_emb.shape \
                or ci.shape != item_emb.shape:
            raise ValueError("views must be {'user': [U, d], 'item': [I, d]} shaped like user_emb / item_emb")
        nu = user_emb.size(0)
        rows, n = batch_rows(users.to(user_emb.device), pos_items.to(item_emb.device), nu)
        full, layer = views.get("all"), views.get("layer")
        shape = (nu + item_emb.size(0), user_emb.size(1))
        if isinstance(full, Tensor) and isinstance(layer, Tensor) and full.shape == shape == layer.shape:
            # one gather per table: one sparse gradient instead of two slice-shaped dense ones
            a, b = full.index_select(0, rows), layer.index_select(0, rows)
        else:
            u, i = rows[:n], rows[n:] - nu
            a = torch.cat([user_emb.index_select(0, u), item_emb.index_select(0, i)])
            b = torch.cat([cu.index_select(0, u), ci.index_select(0, i)])
        return a, b, n
