"""An item tower over categorical features: one embedding table per field (multi-valued
fields mean-pooled), concatenated, then an MLP. Masked fields contribute zeros."""
from __future__ import annotations

from typing import Mapping, Optional, Sequence

import torch
from torch import Tensor, nn

__all__ = ["ItemFeatureTower"]


class ItemFeatureTower(nn.Module):
    """Item tower for two-tower retrieval with feature masking support.

    Args:
        vocab_sizes: ``field name -> number of codes`` (code 0 is padding / missing and
            embeds to zeros); e.g. ``{k: len(v) for k, v in dataset.feature_vocab.items()}``.
        embedding_dim: width of each field's embedding.
        hidden_dims: hidden widths of the MLP (ReLU between layers).
        out_dim: output width.

    Raises:
        ValueError: no fields, or a vocabulary smaller than 2 / non-positive widths.

    Example:
        >>> tower = ItemFeatureTower({"genre": 5, "tags": 9}, embedding_dim=4, out_dim=8)
        >>> tower({"genre": torch.tensor([1, 2]), "tags": torch.tensor([[1, 3], [0, 0]])}).shape
        torch.Size([2, 8])
    """

    def __init__(self, vocab_sizes: Mapping[str, int], embedding_dim: int = 32,
                 hidden_dims: Sequence[int] = (64,), out_dim: int = 32) -> None:
        super().__init__()
        if not vocab_sizes:
            raise ValueError("ItemFeatureTower needs at least one feature field")
        for k, v in vocab_sizes.items():
            if int(v) < 2:
                raise ValueError(f"field {k!r} needs a vocabulary of at least 2 codes (0 is padding), got {v}")
        dims = [embedding_dim, out_dim, *hidden_dims]
        if any(int(d) < 1 for d in dims):
            raise ValueError(f"widths must be positive, got embedding_dim={embedding_dim}, "
                             f"hidden_dims={tuple(hidden_dims)}, out_dim={out_dim}")
        self.field_names = [str(k) for k in vocab_sizes]
        self.embeddings = nn.ModuleList(nn.Embedding(int(v), embedding_dim, padding_idx=0)
                                        for v in vocab_sizes.values())
        widths = [len(self.field_names) * embedding_dim, *hidden_dims, out_dim]
        layers = []
        for i in range(len(widths) - 1):
            layers.append(nn.Linear(widths[i], widths[i + 1]))
            if i < len(widths) - 2:
                layers.append(nn.ReLU())
        self.mlp = nn.Sequential(*layers)

    def embed_field(self, index: int, codes: Tensor) -> Tensor:
        """``[B, embedding_dim]`` embedding of one field: ``[B]`` codes, or ``[B, K]`` mean-pooled
        over the non-padding values (zeros when none)."""
        table = self.embeddings[index]
        if codes.dim() == 1:
            return table(codes)
        valid = (codes != 0).unsqueeze(-1).to(table.weight.dtype)
        return (table(codes) * valid).sum(1) / valid.sum(1).clamp(min=1.0)

    def forward(self, features: Mapping[str, Tensor], feature_mask: Optional[Tensor] = None) -> Tensor:
        """``[B, out_dim]`` item representations.

        Args:
            features: ``field name -> [B]`` or ``[B, K]`` int64 codes, one entry per field.
            feature_mask: optional ``[B, F]`` bool, ``True`` hides field ``f`` of example ``b``
                (its embedding becomes zeros), fields in ``field_names`` order.

        Raises:
            ValueError: a missing field, codes out of the vocabulary, a mask of the wrong shape.
        """
        parts = []
        for f, name in enumerate(self.field_names):
            if name not in features:
                raise ValueError(f"feature field {name!r} is missing (tower fields: {self.field_names})")
            codes = features[name].long()
            if codes.numel() and (int(codes.min()) < 0 or int(codes.max()) >= self.embeddings[f].num_embeddings):
                raise ValueError(f"codes of field {name!r} must lie in [0, {self.embeddings[f].num_embeddings})")
            parts.append(self.embed_field(f, codes))
        x = torch.stack(parts, 1)  # [B, F, e]
        if feature_mask is not None:
            if feature_mask.shape != x.shape[:2]:
                raise ValueError(f"feature_mask must be [B, F] = {tuple(x.shape[:2])}, got {tuple(feature_mask.shape)}")
            x = x.masked_fill(feature_mask.to(x.device).unsqueeze(-1), 0.0)
        return self.mlp(x.flatten(1))
