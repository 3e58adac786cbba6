"""Two-tower feature-masking SSL (Yao et al., CIKM 2021, "Self-supervised Learning for
Large-scale Item Recommendations"): two views of each item hide complementary feature sets
(random or correlated feature masking, plus value dropout on multi-valued features), both go
through the item tower the main task uses, and an in-batch softmax (InfoNCE) with temperature
pulls the two views of an item together."""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

import torch
from torch import Tensor, nn

from ...checks import check_fraction, check_positive
from .base import RecSSLHead, register_head
from .contrast import info_nce
from .feature_masking import (correlated_feature_groups, correlated_feature_mask, multi_value_dropout,
                              random_feature_mask)
from .mutual_information import as_fields, feature_mutual_information

__all__ = ["FeatureMaskingSSLHead"]

MODES = ("cfm", "rfm", "mixed")


@register_head("feature_masking")
class FeatureMaskingSSLHead(RecSSLHead):
    """Feature-masking SSL for an item tower, as a plug-in head (no graph, no backbone).

    Needs: the item ``tower`` (shared with the host's main task, so the SSL task regularises
    it) and the item feature table. ``tower(features, feature_mask)`` takes ``name -> [B]`` /
    ``[B, K]`` codes and a ``[B, F]`` bool mask (True = hidden) in the order of
    ``item_features`` and returns ``[B, d]`` (:class:`ItemFeatureTower` does). The host's
    ``user_emb`` / ``item_emb`` are not used. The tower is a submodule of the head as well:
    build one optimizer over ``nn.ModuleList([model, head]).parameters()``, which counts
    shared parameters once.

    Per step, the SSL items are the batch's unique positive items, or ``items=`` if the host
    samples them separately (the paper draws them uniformly from the corpus, unlike the
    power-law main-task batch). Each item gets a mask ``M`` (CFM: a random seed feature and the
    ``F * mask_ratio - 1`` fields with the highest mutual information with it; RFM: random
    fields; ``"mixed"``: each example picks one of the two with probability 1/2); view 1 hides
    ``M`` and view 2 hides the complement. Multi-valued fields also drop each value with
    probability ``multi_value_dropout`` independently per view. Loss:
    ``weight * mean_b InfoNCE(z1_b, z2_b)`` over in-batch negatives, cosine scores at
    ``temperature``, after an optional ``projection``.

    No official code was released; the defaults (temperature 0.1, weight 0.1, value dropout
    0.1, half the fields masked) follow the paper's description and need tuning per dataset.

    Args:
        tower: the item tower module.
        item_features: ``name -> [I]`` (single-valued) or ``[I, K]`` (multi-valued, 0 = padding)
            int64 codes of every item (e.g. ``InteractionDataset.item_features``).
        mode: ``"cfm"``, ``"rfm"`` or ``"mixed"``.
        mask_ratio: share of fields hidden in view 1, in ``(0, 1)``.
        multi_value_dropout: value dropout rate on multi-valued fields, in ``[0, 1)``.
        temperature: InfoNCE temperature.
        weight: loss multiplier (alpha).
        projection: optional module applied to the tower output before the loss.
        mutual_information: precomputed ``[F, F]`` MI (default: estimated from ``item_features``).
        seed: seed of the head's generator (masks, dropout).

    Raises:
        ValueError: fewer than 2 fields, unknown mode, rates out of range, an MI matrix of
            the wrong size; at call time fewer than 2 distinct SSL items or ids out of range.
    """

    needs = ()

    def __init__(self, tower: nn.Module, item_features: Mapping[str, Tensor], mode: str = "cfm",
                 mask_ratio: float = 0.5, multi_value_dropout: float = 0.1, temperature: float = 0.1,
                 weight: float = 0.1, projection: Optional[nn.Module] = None,
                 mutual_information: Optional[Tensor] = None, seed: Optional[int] = None) -> None:
        super().__init__(seed)
        if not isinstance(tower, nn.Module):
            raise ValueError(f"tower must be an nn.Module, got {type(tower).__name__}")
        if not isinstance(item_features, Mapping):
            raise ValueError("item_features must be a dict name -> [I] or [I, K] codes")
        names, _ = as_fields(item_features)
        f = len(names)
        if f < 2:
            raise ValueError(f"feature masking needs at least 2 feature fields, got {f}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.tower, self.projection, self.mode = tower, projection, mode
        self.field_names = names
        self.mask_ratio = check_fraction("mask_ratio", mask_ratio, low_open=True)
        self.num_masked = min(max(1, int(round(f * self.mask_ratio))), f - 1)
        self.value_dropout = check_fraction("multi_value_dropout", multi_value_dropout)
        self.temperature = check_positive("temperature", temperature)
        self.weight = float(weight)
        for k, name in enumerate(names):
            self.register_buffer(f"_feat{k}", item_features[name].long(), persistent=False)
        self._multi = [item_features[n].dim() == 2 for n in names]
        mi = feature_mutual_information(dict(item_features)) if mutual_information is None else \
            torch.as_tensor(mutual_information, dtype=torch.float64)
        if mi.shape != (f, f):
            raise ValueError(f"mutual_information must be [{f}, {f}], got {tuple(mi.shape)}")
        self.register_buffer("mutual_information", mi, persistent=False)
        self.register_buffer("groups", correlated_feature_groups(mi, self.num_masked), persistent=False)

    def _repr_keys(self):
        return ("mode", "num_masked", "value_dropout", "temperature", "weight")

    @property
    def num_items(self) -> int:
        """Rows of the item feature table."""
        return self._feat0.size(0)

    def features_of(self, items: Tensor) -> Dict[str, Tensor]:
        """``name -> codes`` of ``[B]`` item ids."""
        return {n: getattr(self, f"_feat{k}")[items] for k, n in enumerate(self.field_names)}

    def masks(self, batch_size: int, device, generator: Optional[torch.Generator] = None) -> Tensor:
        """``[B, F]`` view-1 masks (view 2 hides the complement) under ``mode``."""
        f = len(self.field_names)
        if self.mode == "rfm":
            return random_feature_mask(batch_size, f, self.num_masked, generator, device)
        cfm = correlated_feature_mask(batch_size, self.groups, generator, device)
        if self.mode == "cfm":
            return cfm
        rfm = random_feature_mask(batch_size, f, self.num_masked, generator, device)
        pick = torch.rand(batch_size, 1, generator=generator, device=device) < 0.5
        return torch.where(pick, cfm, rfm)

    def encode_view(self, features: Dict[str, Tensor], mask: Tensor,
                    generator: Optional[torch.Generator] = None) -> Tensor:
        """``[B, d]`` tower (+ projection) output of one augmented view."""
        if self.value_dropout > 0:
            features = {n: multi_value_dropout(c, self.value_dropout, generator) if multi else c
                        for (n, c), multi in zip(features.items(), self._multi)}
        z = self.tower(features, mask)
        return self.projection(z) if self.projection is not None else z

    def forward(self, users: Optional[Tensor] = None, pos_items: Optional[Tensor] = None,
                user_emb: Optional[Tensor] = None, item_emb: Optional[Tensor] = None, backbone: Any = None,
                items: Optional[Tensor] = None, generator: Optional[torch.Generator] = None,
                **kwargs: Any) -> Tensor:
        """Weighted feature-masking SSL loss on the unique ``items`` (default: ``pos_items``)."""
        ids = items if items is not None else pos_items
        if not isinstance(ids, Tensor) or ids.is_floating_point() or ids.dtype == torch.bool:
            raise ValueError("pass the SSL items: pos_items or items=... as an integer id tensor")
        ids = torch.unique(ids.reshape(-1).long().to(self._feat0.device))
        if ids.numel() < 2:
            raise ValueError("feature-masking SSL needs at least 2 distinct items (in-batch negatives)")
        if int(ids.min()) < 0 or int(ids.max()) >= self.num_items:
            raise ValueError(f"item ids must lie in [0, {self.num_items})")
        gen = self.generator(ids.device, generator)
        feats = self.features_of(ids)
        mask = self.masks(ids.numel(), ids.device, gen)
        z1 = self.encode_view(feats, mask, gen)
        z2 = self.encode_view(feats, ~mask, gen)
        return self.weight * info_nce(z1, z2, self.temperature)
