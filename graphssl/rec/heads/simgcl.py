"""SimGCL (Yu et al., SIGIR 2022): no graph augmentation; two views are the LightGCN
propagation with a small random perturbation added to every layer's output."""
from __future__ import annotations

from typing import Any, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from .base import (RecSSLHead, check_backbone, check_batch, check_positive, ego_embeddings, propagate_layers,
                   register_head, split_nodes)
from .contrast import info_nce

__all__ = ["SimGCLHead", "uniform_noise", "noisy_propagation"]


def uniform_noise(h: Tensor, eps: float, generator: Optional[torch.Generator] = None) -> Tensor:
    """``h + eps * sign(h) * normalize(U(0, 1))``: a random vector of length ``eps`` per row,
    in the same orthant as ``h`` (SimGCL's perturbation).

    Args:
        h: ``[N, d]`` layer output.
        eps: noise radius ``>= 0``.
        generator: on ``h``'s device, or None for the global RNG.
    """
    noise = torch.rand(h.shape, generator=generator, device=h.device, dtype=h.dtype)
    return h + torch.sign(h) * F.normalize(noise, dim=-1) * eps


def noisy_propagation(backbone: Any, eps: float, include_ego: bool, generator: Optional[torch.Generator],
                      layer_cl: Optional[int] = None) -> Tuple[Tensor, Optional[Tensor]]:
    """One perturbed LightGCN propagation of ``backbone.ego`` over ``backbone.adj``.

    Returns:
        ``(final [U + I, d], layer)``: the mean of the perturbed layers (ego included only when
        ``include_ego``; the official SimGCL/XSimGCL code leaves it out) and the perturbed output
        of layer ``layer_cl`` (1-based; None when not asked).
    """
    ego, nl = ego_embeddings(backbone), int(backbone.num_layers)
    layers = propagate_layers(backbone.adj, ego, nl,
                              perturb=(lambda h, k: uniform_noise(h, eps, generator)) if eps > 0 else None)
    kept = layers if include_ego or nl == 0 else layers[1:]
    return torch.stack(kept).mean(0), (layers[layer_cl] if layer_cl is not None else None)


@register_head("simgcl")
class SimGCLHead(RecSSLHead):
    """SimGCL's contrastive task as a plug-in head.

    Needs from the backbone: ``adj``, ``ego``, ``num_layers``, ``num_users``, ``num_items``.
    Each step it propagates ``ego`` twice with fresh noise (2 extra propagations) and returns
    ``weight * (InfoNCE_users + InfoNCE_items)`` between the two noisy views over the batch's
    unique users and positive items, cosine scores at ``temperature``, in-batch negatives.
    Each InfoNCE is a **mean** over the unique ids (as in the official code; some ports sum,
    which multiplies the effective weight by the batch size). The host's own embeddings
    (``user_emb`` / ``item_emb``) stay noise-free and are not used.

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

    def perturbed_views(self, backbone: Any, generator: Optional[torch.Generator] = None
                        ) -> Tuple[Tuple[Tensor, Tensor], Tuple[Tensor, Tensor]]:
        """``((users_1, items_1), (users_2, items_2))``: two noisy propagations."""
        check_backbone(backbone, self.needs, "SimGCL")
        gen = self.generator(backbone.adj.device, generator)
        nu = int(backbone.num_users)
        v1, _ = noisy_propagation(backbone, self.eps, self.include_ego, gen)
        v2, _ = noisy_propagation(backbone, self.eps, self.include_ego, gen)
        return split_nodes(v1, nu), split_nodes(v2, nu)

    def contrastive_loss(self, users: Tensor, items: Tensor, view1: Tuple[Tensor, Tensor],
                         view2: Tuple[Tensor, Tensor]) -> Tensor:
        """``weight * (mean InfoNCE over unique users + mean InfoNCE over unique items)``."""
        u, i = torch.unique(users), torch.unique(items)
        return self.weight * (info_nce(view1[0][u], view2[0][u], self.temperature)
                              + info_nce(view1[1][i], view2[1][i], self.temperature))

    def forward(self, users: Tensor, pos_items: Tensor, user_emb: Optional[Tensor] = None,
                item_emb: Optional[Tensor] = None, backbone: Any = None,
                generator: Optional[torch.Generator] = None, **kwargs: Any) -> Tensor:
        """Weighted SimGCL loss of the batch."""
        check_backbone(backbone, self.needs, "SimGCL")
        users, pos_items = check_batch(users, pos_items, None, None, int(backbone.num_users),
                                       int(backbone.num_items))
        v1, v2 = self.perturbed_views(backbone, generator)
        dev = v1[0].device
        return self.contrastive_loss(users.to(dev), pos_items.to(dev), v1, v2)
