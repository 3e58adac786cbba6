"""SimGCL (Yu et al., SIGIR 2022): no graph augmentation; two views are the LightGCN
propagation with a small random perturbation added to every layer's output."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from ..interaction_graph import lightgcn_propagate
from ..propagation import mean_at_rows, perturbation_offset, propagate
from ...checks import check_positive
from .base import RecSSLHead, check_backbone, check_batch, ego_embeddings, register_head, split_nodes
from .contrast import info_nce
from .noise import add_uniform_noise, noise_offset, uniform_noise

__all__ = ["SimGCLHead", "uniform_noise", "add_uniform_noise", "noise_offset", "noisy_propagation", "batch_rows"]


def noisy_propagation(backbone: Any, eps: float, include_ego: bool, generator: Optional[torch.Generator],
                      layer_cl: Optional[int] = None, rows: Optional[Tensor] = None) -> Tuple[Tensor, Optional[Tensor]]:
    """One perturbed LightGCN propagation of ``backbone.ego`` over ``backbone.adj``.

    Every layer output gets SimGCL's noise (:func:`add_uniform_noise`, radius ``eps``; none
    when ``eps == 0``); its gradient is the identity, as ``sign`` has zero derivative.

    Args:
        backbone: ``adj``, ``ego``, ``num_layers``, ``num_users``, ``num_items``.
        eps: noise radius.
        include_ego: average the ego layer in (the official SimGCL/XSimGCL code does not;
            with ``num_layers == 0`` the ego layer is all there is).
        generator: noise source.
        layer_cl: also return the perturbed output of this layer (1-based).
        rows: compute only these node rows (unique ``[R]``; the last layer is propagated
            for them alone).

    Returns:
        ``(final, layer)``: ``[U + I, d]`` (or ``[R, d]``) mean of the perturbed layers and
        the layer ``layer_cl`` (None when not asked).
    """
    ego, nl = ego_embeddings(backbone), int(backbone.num_layers)
    if rows is not None:
        rows = torch.as_tensor(rows, device=ego.device).reshape(-1).long()

    def perturb(h: Tensor, k: int) -> Tensor:
        # the last layer is computed at ``rows`` only: key its noise by node id, as in full
        if rows is not None and k == nl - 1:
            return add_uniform_noise(h, eps, generator, row_ids=rows)
        return add_uniform_noise(h, eps, generator)

    return propagate(backbone.adj, ego, nl, include_ego=include_ego or nl == 0, perturb=perturb if eps > 0 else None,
                     rows=rows, keep_layer=layer_cl)


def batch_rows(users: Tensor, items: Tensor, num_users: int) -> Tuple[Tensor, int]:
    """``(rows, n)``: node rows of the unique ``users`` then the unique ``items`` (offset by
    ``num_users``), and ``n`` the number of unique users."""
    u, i = torch.unique(users), torch.unique(items)
    return torch.cat([u, i + num_users]), u.numel()


def positions_in(table_rows: Tensor, rows: Tensor) -> Tensor:
    """Positions of ``rows`` in the sorted unique ``table_rows`` of tables computed at some rows
    only (``views["rows"]`` of a head's ``propagate(backbone, rows=...)``).

    Raises:
        ValueError: a row of ``rows`` is not in ``table_rows``.
    """
    where = torch.searchsorted(table_rows, rows).clamp_(max=max(table_rows.numel() - 1, 0))
    if table_rows.numel() == 0 or not torch.equal(table_rows.index_select(0, where), rows):
        raise ValueError("views['rows'] must hold every user and positive item of the batch")
    return where


@register_head("simgcl")
class SimGCLHead(RecSSLHead):
    """SimGCL's contrastive task as a plug-in head.

    Needs from the backbone: ``adj``, ``ego``, ``num_layers``, ``num_users``, ``num_items``.
    Each step it draws two noisy propagations of ``ego`` (uniform noise of radius ``eps``
    added to every layer's output) and returns ``weight * (InfoNCE_users + InfoNCE_items)``
    between them over the batch's unique users and positive items, cosine scores at
    ``temperature``, in-batch negatives. Each InfoNCE is a **mean** over the unique ids (as in
    the official code; some ports sum, which multiplies the effective weight by the batch
    size). The host's own embeddings (``user_emb`` / ``item_emb``) stay noise-free.

    How it is computed (same values and gradients as two separate noisy propagations): the
    noise is a constant for autograd (``sign`` has zero derivative) and propagation is
    linear, so each view is the *clean* propagation plus an offset
    (:func:`~graphssl.rec.propagation.perturbation_offset`) computed without gradient and
    only at the batch's rows. The gradient then flows through one clean propagation. A host
    that lets the head run that propagation (``user_emb, item_emb, views =
    head.propagate(backbone)``, then ``head(users, pos_items, user_emb, item_emb,
    backbone=backbone, views=views)``, as :class:`~graphssl.rec.RecTrainer` does) shares it
    with its main loss; without ``views`` the head propagates by itself, so it plugs into
    any loop.

    Defaults are the official yelp2018 config (Coder-Yu/SELFRec ``conf/SimGCL.yaml``:
    ``lambda 0.5, eps 0.1``, temperature 0.2); the paper uses ``lambda`` 0.2 on Douban-Book and
    2 on Amazon-Book with ``eps 0.1``.

    Args:
        eps: noise radius ``> 0``.
        temperature: InfoNCE temperature.
        weight: loss multiplier (lambda).
        include_ego: average the ego layer into the views (the official code does not).
        seed: seed of the head's generator (noise).

    Raises:
        ValueError: non-positive eps or temperature.
    """

    needs = ("adj", "ego", "num_layers", "num_users", "num_items")

    def __init__(self, eps: float = 0.1, temperature: float = 0.2, weight: float = 0.5,
                 include_ego: bool = False, seed: Optional[int] = None) -> None:
        super().__init__(seed)
        self.eps = check_positive("eps", eps)
        self.temperature = check_positive("temperature", temperature)
        self.weight = float(weight)
        self.include_ego = bool(include_ego)

    def _repr_keys(self):
        return ("eps", "temperature", "weight", "include_ego")

    def propagate(self, backbone: Any, rows: Optional[Tensor] = None
                  ) -> Tuple[Optional[Tensor], Optional[Tensor], Dict[str, Any]]:
        """The backbone's clean propagation, keeping its layers for the noisy views.

        Args:
            rows: optional ``[R]`` sorted unique node rows (users first, items offset by
                ``num_users``) that hold every row the step reads (the host's batch): the
                propagation's last layer is then computed for them alone.

        Returns:
            ``(user_emb [U, d], item_emb [I, d], views)``: the embeddings of
            ``backbone.propagate()`` (for the host's main loss) and ``views`` to pass back to
            :meth:`forward`: ``{"all": [U + I, d], "layers": [E_0, ..., E_L]}``. With ``rows``:
            ``(None, None, views)``, ``views["all"]`` and the last layer at ``rows`` only and
            ``views["rows"] = rows`` (unless the head averages the layers unlike the backbone:
            then ``rows`` is ignored).

        Raises:
            ValueError: the backbone has no ``propagate(return_layers=True)`` or lacks an attribute.
        """
        check_backbone(backbone, self.needs, "SimGCL")
        prop = getattr(backbone, "propagate", None)
        if not callable(prop):
            raise ValueError("SimGCLHead.propagate needs a backbone with propagate(return_layers=True) "
                             "(a graphssl LightGCN); otherwise call the head without views")
        nl, include = int(backbone.num_layers), bool(getattr(backbone, "include_ego", True))
        if rows is not None and nl > 0 and include == self.include_ego:
            final, layers = mean_at_rows(backbone.adj, ego_embeddings(backbone), nl, rows, include_ego=include)
            return None, None, {"all": final, "layers": layers, "include_ego": include, "rows": rows}
        final, layers = prop(return_layers=True)
        u, i = split_nodes(final, int(backbone.num_users))
        return u, i, {"all": final, "layers": list(layers), "include_ego": getattr(backbone, "include_ego", None)}

    def perturbed_views(self, backbone: Any, generator: Optional[torch.Generator] = None
                        ) -> Tuple[Tuple[Tensor, Tensor], Tuple[Tensor, Tensor]]:
        """``((users_1, items_1), (users_2, items_2))``: two noisy propagations of every node,
        computed directly (the reference the offset form of :meth:`forward` reproduces)."""
        check_backbone(backbone, self.needs, "SimGCL")
        gen = self.generator(backbone.adj.device, generator)
        nu = int(backbone.num_users)
        v1, _ = noisy_propagation(backbone, self.eps, self.include_ego, gen)
        v2, _ = noisy_propagation(backbone, self.eps, self.include_ego, gen)
        return split_nodes(v1, nu), split_nodes(v2, nu)

    def contrastive_loss(self, users: Tensor, items: Tensor, view1: Tuple[Tensor, Tensor],
                         view2: Tuple[Tensor, Tensor]) -> Tensor:
        """``weight * (mean InfoNCE over unique users + mean InfoNCE over unique items)``
        from full view tables."""
        u, i = torch.unique(users), torch.unique(items)
        return self.weight * (info_nce(view1[0].index_select(0, u), view2[0].index_select(0, u), self.temperature)
                              + info_nce(view1[1].index_select(0, i), view2[1].index_select(0, i),
                                         self.temperature))

    def _clean(self, backbone: Any, views: Optional[Dict[str, Any]], rows: Tensor) -> Tuple[Tensor, List[Tensor]]:
        """``(clean view at rows [R, d], clean layers)``, from ``views`` when given."""
        layers: Optional[Sequence[Tensor]] = views.get("layers") if isinstance(views, dict) else None
        nl = int(backbone.num_layers)
        n = int(backbone.num_users) + int(backbone.num_items)
        if layers is not None:
            layers = list(layers)
            if len(layers) != nl + 1 or any(not isinstance(t, Tensor) or t.dim() != 2 or t.size(0) != n
                                            for t in layers):
                raise ValueError(f"views['layers'] must be the {nl + 1} layers [E_0..E_L] of "
                                 f"head.propagate(backbone), each [{n}, d]")
        else:
            _, layers = lightgcn_propagate(backbone.adj, ego_embeddings(backbone), nl, return_layers=True)
        include = self.include_ego or nl == 0
        full = views.get("all") if isinstance(views, dict) else None
        if isinstance(full, Tensor) and views.get("include_ego") == include and full.shape == layers[0].shape:
            return full.index_select(0, rows), layers
        kept = layers if include else layers[1:]
        total = kept[0].index_select(0, rows)
        for t in kept[1:]:
            total = total + t.index_select(0, rows)
        return total / len(kept), layers

    def forward(self, users: Tensor, pos_items: Tensor, user_emb: Optional[Tensor] = None,
                item_emb: Optional[Tensor] = None, backbone: Any = None,
                generator: Optional[torch.Generator] = None, views: Optional[Dict[str, Any]] = None,
                **kwargs: Any) -> Tensor:
        """Weighted SimGCL loss of the batch.

        Args:
            views: optional, from :meth:`propagate` of this step (its clean layers are reused).

        Raises:
            ValueError: a bad backbone, batch or ``views``.
        """
        check_backbone(backbone, self.needs, "SimGCL")
        users, pos_items = check_batch(users, pos_items, None, None, int(backbone.num_users),
                                       int(backbone.num_items))
        dev = backbone.adj.device
        rows, nu = batch_rows(users.to(dev), pos_items.to(dev), int(backbone.num_users))
        at = views.get("rows") if isinstance(views, dict) else None
        last_index = None
        if isinstance(at, Tensor):  # propagate(backbone, rows=...): tables at the host's batch rows
            last_index = positions_in(at, rows)
            layers = list(views["layers"])
            full = views["all"]
            if views.get("include_ego") != (self.include_ego or len(layers) == 1):
                raise ValueError("views from propagate(backbone, rows=...) average the layers like the "
                                 "backbone; the head's include_ego must match it")
            clean = full.index_select(0, last_index)
        else:
            clean, layers = self._clean(backbone, views, rows)
        if len(layers) == 1:  # no propagation, nothing to perturb: both views are the ego rows
            v1 = v2 = clean
        else:
            gen = self.generator(dev, generator)

            def step(c: Tensor, shift: Optional[Tensor], k: int) -> Tensor:
                return noise_offset(c, shift, self.eps, gen)

            include = self.include_ego
            v1 = clean + perturbation_offset(backbone.adj, layers, step, rows=rows, include_ego=include,
                                             last_index=last_index)
            v2 = clean + perturbation_offset(backbone.adj, layers, step, rows=rows, include_ego=include,
                                             last_index=last_index)
        return self.weight * (info_nce(v1[:nu], v2[:nu], self.temperature)
                              + info_nce(v1[nu:], v2[nu:], self.temperature))
