"""Mutual information between categorical feature fields, estimated from data (the
statistic correlated feature masking groups features by)."""
from __future__ import annotations

from typing import List, Mapping, Tuple, Union

import torch
from torch import Tensor

__all__ = ["feature_mutual_information", "as_fields"]

Codes = Union[Tensor, Mapping[str, Tensor]]


def as_fields(codes: Codes) -> Tuple[List[str], List[Tensor]]:
    """Names and ``[N, K]`` int64 code matrices of the fields of ``codes``.

    ``codes`` is a ``[N, F]`` integer tensor (F single-valued fields, named ``"0".."F-1"``)
    or a mapping ``name -> [N]`` (single-valued) / ``[N, K]`` (multi-valued, 0 = padding).

    Raises:
        ValueError: no fields, non-integer or negative codes, fields of different lengths.
    """
    if isinstance(codes, Tensor):
        if codes.dim() != 2:
            raise ValueError(f"codes must be [N, F] or a dict of fields, got shape {tuple(codes.shape)}")
        names, mats = [str(f) for f in range(codes.size(1))], [codes[:, f:f + 1] for f in range(codes.size(1))]
    elif isinstance(codes, Mapping):
        names, mats = [str(k) for k in codes], []
        for k, t in codes.items():
            if not isinstance(t, Tensor) or t.dim() not in (1, 2):
                raise ValueError(f"feature {k!r} must be an [N] or [N, K] tensor")
            mats.append(t.view(-1, 1) if t.dim() == 1 else t)
    else:
        raise ValueError(f"codes must be a tensor or a dict of tensors, got {type(codes).__name__}")
    if not mats:
        raise ValueError("no feature fields given")
    n = mats[0].size(0)
    for name, m in zip(names, mats):
        if m.is_floating_point() or m.dtype == torch.bool:
            raise ValueError(f"feature {name!r} must hold integer codes, got {m.dtype}")
        if m.size(0) != n:
            raise ValueError(f"feature {name!r} has {m.size(0)} rows, expected {n}")
        if m.numel() and int(m.min()) < 0:
            raise ValueError(f"feature {name!r} has negative codes")
    return names, [m.long() for m in mats]


def _values_and_weights(m: Tensor) -> Tuple[Tensor, Tensor]:
    """Each row spreads unit mass evenly over its values; multi-valued rows skip padding (0),
    and a row with no value counts as the value 0 ("missing")."""
    if m.size(1) == 1:
        return m, torch.ones(m.shape, dtype=torch.float64, device=m.device)
    valid = m != 0
    empty = ~valid.any(1)
    valid[:, 0] |= empty
    w = valid.double()
    return m, w / w.sum(1, keepdim=True)


def _mi_pair(va: Tensor, wa: Tensor, vb: Tensor, wb: Tensor) -> float:
    n = va.size(0)
    a = va.unsqueeze(2).expand(-1, -1, vb.size(1)).reshape(-1)
    b = vb.unsqueeze(1).expand(-1, va.size(1), -1).reshape(-1)
    w = (wa.unsqueeze(2) * wb.unsqueeze(1)).reshape(-1) / n
    keep = w > 0
    a, b, w = a[keep], b[keep], w[keep]
    nb = int(b.max()) + 1
    keys, inv = torch.unique(a * nb + b, return_inverse=True)
    p_ab = torch.zeros(keys.numel(), dtype=torch.float64, device=w.device).index_add_(0, inv, w)
    ua, ia = torch.unique(keys // nb, return_inverse=True)
    ub, ib = torch.unique(keys % nb, return_inverse=True)
    p_a = torch.zeros(ua.numel(), dtype=torch.float64, device=w.device).index_add_(0, ia, p_ab)
    p_b = torch.zeros(ub.numel(), dtype=torch.float64, device=w.device).index_add_(0, ib, p_ab)
    mi = (p_ab * (p_ab.log() - p_a[ia].log() - p_b[ib].log())).sum()
    return max(float(mi), 0.0)


def feature_mutual_information(codes: Codes) -> Tensor:
    """``[F, F]`` mutual information (nats) between every pair of categorical fields.

    For single-valued fields this is the plug-in estimate from the joint value counts
    (the diagonal is each field's entropy). A multi-valued row spreads unit mass evenly over
    its values (and over value pairs in the joint), so it still defines one joint distribution.

    Args:
        codes: ``[N, F]`` int codes, or a dict ``name -> [N]`` / ``[N, K]`` (0 = padding in
            multi-valued fields; in single-valued ones 0 is just another value, "missing").

    Returns:
        Symmetric float64 ``[F, F]`` tensor, in the order of ``codes``' fields.

    Raises:
        ValueError: see :func:`as_fields`, or no rows.
    """
    names, mats = as_fields(codes)
    if mats[0].size(0) == 0:
        raise ValueError("feature_mutual_information needs at least one row")
    vw = [_values_and_weights(m) for m in mats]
    f = len(mats)
    out = torch.zeros(f, f, dtype=torch.float64)
    for i in range(f):
        for j in range(i, f):
            out[i, j] = out[j, i] = _mi_pair(vw[i][0], vw[i][1], vw[j][0], vw[j][1])
    return out
