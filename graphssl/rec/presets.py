"""Published training settings of the recommendation models, kept as data.

Sources: LightGCN (He et al., SIGIR 2020) and its reference code (Adam, lr 1e-3, batch 2048,
L2 1e-4 on the batch's ego embeddings, 3 layers, 1000 epochs); SGL (Wu et al., SIGIR 2021),
SimGCL (Yu et al., SIGIR 2022) and XSimGCL (Yu et al., TKDE 2023) as run in SELFRec (batch 2048,
dim 64, lr 1e-3, reg 1e-4, xavier-uniform init, 3 layers in the published Yelp2018 table;
20 epochs for SGL/SimGCL/XSimGCL, 120 for NCL, 50 for DirectAU). SimGCL's and XSimGCL's
encoders average the propagated layers without ``E_0``.

A preset has three sections: ``backbone`` (:func:`build_backbone` arguments), ``head``
(keyword arguments of the SSL head; empty means the head's own published defaults) and
``train`` (:class:`RecTrainer` arguments). Per-dataset entries override the model's.
"""
from __future__ import annotations

import copy
from typing import Any, Dict, Optional

__all__ = ["preset", "MODEL_PRESETS", "DATASET_PRESETS", "BASE_PRESET"]

BASE_PRESET: Dict[str, Dict[str, Any]] = {
    "backbone": {"name": "lightgcn", "dim": 64, "num_layers": 3, "include_ego": True, "init": "xavier"},
    "head": {},
    "train": {"epochs": 1000, "batch_size": 2048, "lr": 1e-3, "reg": 1e-4, "main_loss": "bpr",
              "eval_every": 5, "patience": 10},
}

MODEL_PRESETS: Dict[str, Dict[str, Dict[str, Any]]] = {
    "mf": {"backbone": {"name": "mf", "num_layers": 0}},
    "lightgcn": {},
    "sgl": {"train": {"epochs": 20, "eval_every": 1}},
    "simgcl": {"backbone": {"include_ego": False}, "train": {"epochs": 20, "eval_every": 1}},
    "xsimgcl": {"backbone": {"include_ego": False}, "train": {"epochs": 20, "eval_every": 1}},
    "ncl": {"train": {"epochs": 120}},
    "lightgcl": {"backbone": {"num_layers": 2}, "train": {"epochs": 100}},
    "directau": {"train": {"epochs": 50, "main_loss": "none"}},
}

# (model, dataset) -> overrides, e.g. depth or head settings that differ per dataset.
DATASET_PRESETS: Dict[tuple, Dict[str, Dict[str, Any]]] = {}


def _merge(base: Dict[str, Any], over: Dict[str, Any]) -> Dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def preset(model: str, dataset: Optional[str] = None, overrides: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """The settings of ``model`` (on ``dataset``), with ``overrides`` merged last.

    Models without an entry (a head registered by a user) get the LightGCN backbone and
    training defaults.

    Returns:
        ``{"backbone": {...}, "head": {...}, "train": {...}}``.

    Raises:
        ValueError: ``overrides`` has a section other than backbone / head / train.
    """
    cfg = _merge(BASE_PRESET, MODEL_PRESETS.get(model.lower(), {}))
    if dataset is not None:
        cfg = _merge(cfg, DATASET_PRESETS.get((model.lower(), dataset.lower()), {}))
    if overrides:
        unknown = set(overrides) - set(BASE_PRESET)
        if unknown:
            raise ValueError(f"unknown preset sections {sorted(unknown)}; expected {sorted(BASE_PRESET)}")
        cfg = _merge(cfg, overrides)
    return cfg
