"""End-to-end recommendation runs shared by the CLI (`graphssl recommend`) and
``benchmarks/rec.py``: load a dataset, build the backbone and the SSL head of a model from its
preset, train, and report full-ranking metrics on the test split."""
from __future__ import annotations

import argparse
import inspect
import json
import sys
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from ..devices import default_device, device_argument
from .backbones import RecBackbone, build_backbone
from .data import InteractionData, load_interactions
from .presets import preset
from .trainer import EvalCallback, RecHistory, RecTrainer

__all__ = ["RecResult", "BACKBONE_MODELS", "model_names", "build_model_head", "build_trainer", "recommend",
           "add_recommend_arguments", "run_recommend"]

BACKBONE_MODELS = ("mf", "lightgcn")  # models that are a bare backbone; the others name an SSL head


def _heads_registry():
    """``graphssl.rec.heads.HEADS``, or None when the heads package is not there."""
    try:
        from . import heads
    except ImportError:
        return None
    return getattr(heads, "HEADS", None)


def model_names() -> List[str]:
    """Every model name ``recommend`` accepts: the backbones and the registered heads."""
    reg = _heads_registry()
    return sorted(set(BACKBONE_MODELS) | set(reg.names() if reg is not None else []))


def build_model_head(name: str, backbone: RecBackbone, head_cfg: Optional[Dict[str, Any]] = None,
               seed: int = 0) -> nn.Module:
    """Instantiate the SSL head registered as ``name`` in :data:`graphssl.rec.heads.HEADS`.

    ``head_cfg`` goes to the constructor as keyword arguments. Context the constructor asks for
    by name and ``head_cfg`` does not set is filled in: ``seed``, ``generator``, ``num_users``,
    ``num_items``, ``dim``, ``num_layers``, ``include_ego`` (the backbone's, so the head's views
    average the same layers as the main embeddings), ``backbone``.

    Raises:
        ValueError: unknown head, heads package missing, or arguments the head rejects.
    """
    reg = _heads_registry()
    if reg is None:
        raise ValueError(f"model {name!r} needs an SSL head, but graphssl.rec.heads is not available; "
                         f"models available now: {', '.join(BACKBONE_MODELS)}")
    if name.lower() not in reg:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(model_names())}")
    factory = reg.get(name)
    cfg = dict(head_cfg or {})
    context = {"seed": seed, "generator": torch.Generator().manual_seed(seed), "num_users": backbone.num_users,
               "num_items": backbone.num_items, "dim": backbone.dim, "num_layers": backbone.num_layers,
               "include_ego": getattr(backbone, "include_ego", True), "backbone": backbone}
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        params = {}
    for k, v in context.items():
        if k in params and k not in cfg:
            cfg[k] = v
    try:
        return factory(**cfg)
    except TypeError as e:
        raise ValueError(f"head {name!r} rejected its settings {sorted(cfg)}: {e}") from None


@dataclass
class RecResult:
    """Outcome of one run."""

    model: str
    dataset: str
    metrics: Dict[str, float]          # test metrics of the final (or best-validation) weights
    val_metrics: Optional[Dict[str, float]]
    history: RecHistory
    epochs: int                        # epochs actually trained
    seconds: float                     # whole run: build, train, evaluate
    seconds_per_epoch: float           # training time per epoch
    steps_per_epoch: int
    config: Dict[str, Any]
    trainer: RecTrainer


def build_trainer(data: InteractionData, model: str = "lightgcn", cfg: Optional[Dict[str, Any]] = None,
                  seed: int = 0, device: Union[str, torch.device] = "cpu", progress: bool = False,
                  ks: Sequence[int] = (20,), log_test: bool = False,
                  max_steps_per_epoch: Optional[int] = None,
                  on_eval: Optional[EvalCallback] = None) -> Tuple[RecTrainer, Dict[str, Any]]:
    """The :class:`RecTrainer` of ``model`` on ``data`` with its preset (overridden by ``cfg``),
    untrained, and the merged config (``benchmarks/rec.py`` times steps with it).

    Raises:
        ValueError: unknown model or bad settings.
    """
    model = model.lower()
    if model not in BACKBONE_MODELS and _heads_registry() is None:
        raise ValueError(f"model {model!r} needs graphssl.rec.heads, which is not available; "
                         f"models available now: {', '.join(BACKBONE_MODELS)}")
    conf = preset(model, data.name, cfg)
    bcfg = dict(conf["backbone"])
    name = bcfg.pop("name")
    if name == "mf":
        bcfg.pop("num_layers", None)
        bcfg.pop("include_ego", None)
    backbone = build_backbone(name, data, seed=seed, **bcfg)
    heads = [] if model in BACKBONE_MODELS else [build_model_head(model, backbone, conf["head"], seed)]
    tcfg = dict(conf["train"])
    tcfg.setdefault("ks", tuple(ks))
    trainer = RecTrainer(backbone, data, heads, seed=seed, device=device, progress=progress, log_test=log_test,
                         max_steps_per_epoch=max_steps_per_epoch, on_eval=on_eval, **tcfg)
    return trainer, conf


def recommend(data: Union[InteractionData, str], model: str = "lightgcn", cfg: Optional[Dict[str, Any]] = None,
              seed: int = 0, device: Union[str, torch.device] = "cpu", progress: bool = False,
              root: Optional[str] = None, ks: Sequence[int] = (20,), log_test: bool = False,
              max_steps_per_epoch: Optional[int] = None, save_embeddings: Optional[str] = None,
              on_eval: Optional[EvalCallback] = None) -> RecResult:
    """Train ``model`` on ``data`` with its preset (overridden by ``cfg``) and test it.

    Args:
        data: an :class:`InteractionData` or a dataset name (loaded from ``root``).
        model: ``"mf"``, ``"lightgcn"`` or an SSL head name (``"simgcl"``, ``"sgl"``, ...)
            trained on the preset's backbone.
        cfg: overrides of the preset (sections ``backbone``, ``head``, ``train``).
        seed: seeds initialisation, sampling and the head.
        ks: metric cut-offs.
        log_test: record test metrics at every evaluation (monitoring only).
        max_steps_per_epoch: cut epochs short (timing runs).
        save_embeddings: path to write the final user/item embeddings to.
        on_eval: called with each evaluation's record as training goes (see
            :class:`RecTrainer`).

    Raises:
        ValueError: unknown model or bad settings.
    """
    t0 = time.perf_counter()
    if isinstance(data, str):
        data = load_interactions(data, root=root)
    trainer, conf = build_trainer(data, model, cfg, seed=seed, device=device, progress=progress, ks=ks,
                                  log_test=log_test, max_steps_per_epoch=max_steps_per_epoch, on_eval=on_eval)
    history = trainer.fit()
    test = trainer.evaluate("test", ks)
    val = trainer.evaluate("val", ks) if data.val is not None else None
    if save_embeddings:
        trainer.save_embeddings(save_embeddings)
    steps = len(trainer.sampler) if max_steps_per_epoch is None else min(max_steps_per_epoch, len(trainer.sampler))
    return RecResult(model.lower(), data.name, test, val, history, trainer.epoch, time.perf_counter() - t0,
                     history.seconds_per_epoch, steps, conf, trainer)


# ---------------------------------------------------------------------------- command line
def _parse_value(v: str) -> Any:
    import yaml
    from ..config import load_yaml
    try:
        return load_yaml(v)
    except yaml.YAMLError:
        return v


def parse_overrides(items: Sequence[str]) -> Dict[str, Any]:
    """``["train.lr=0.01", "head.eps=0.2"]`` -> ``{"train": {"lr": 0.01}, "head": {"eps": 0.2}}``.

    Raises:
        ValueError: an item is not ``section.key=value``.
    """
    out: Dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        section, dot, name = key.partition(".")
        if not sep or not dot or not name:
            raise ValueError(f"bad --set {item!r}: use section.key=value, e.g. train.lr=0.002 or head.eps=0.2")
        out.setdefault(section.strip(), {})[name.strip()] = _parse_value(value.strip())
    return out


def add_recommend_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``graphssl recommend`` options to ``parser`` (and set ``func=run_recommend``)."""
    parser.add_argument("--model", default="lightgcn",
                        help="mf, lightgcn, or an SSL head: simgcl, sgl, xsimgcl, ncl, lightgcl, directau")
    parser.add_argument("--dataset", default="gowalla", help="gowalla, yelp2018, amazon-book, movielens-*")
    parser.add_argument("--root", help="data root (default: $GRAPHSSL_DATA or ~/.cache/graphssl)")
    parser.add_argument("--no-download", action="store_true", help="fail instead of downloading missing files")
    parser.add_argument("--epochs", type=int, help="override the preset's number of epochs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", type=device_argument, default=default_device(), help="cpu, cuda or cuda:N")
    parser.add_argument("--topk", default="20", help="metric cut-offs, e.g. 10,20")
    parser.add_argument("--val-fraction", type=float,
                        help="hold out this fraction of each user's training items for early stopping")
    parser.add_argument("--users", type=int, help="train on the first N users only (a quick real-data run)")
    parser.add_argument("--max-steps-per-epoch", type=int, help="cut every epoch after this many steps (quick runs)")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="override a preset value, e.g. --set train.lr=0.002 --set head.eps=0.2")
    parser.add_argument("--save-embeddings", help="write the final user/item embeddings (.pt or .npz)")
    parser.add_argument("--checkpoint", help="write the trainer's state to this file every --checkpoint-every "
                        "epochs; if it exists, resume from it")
    parser.add_argument("--checkpoint-every", type=int, default=10, help="epochs between checkpoints (default 10)")
    parser.add_argument("--log-test", action="store_true",
                        help="also evaluate the test split at every evaluation (monitoring only, never for selection)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.set_defaults(func=run_recommend)
    return parser


def _parse_ks(spec: str) -> List[int]:
    try:
        ks = sorted({int(v) for v in str(spec).split(",") if v.strip()})
    except ValueError:
        raise ValueError(f"bad --topk {spec!r}: use e.g. 20 or 10,20") from None
    if not ks or ks[0] < 1:
        raise ValueError(f"bad --topk {spec!r}: cut-offs must be positive integers")
    return ks


def run_recommend(args: argparse.Namespace) -> int:
    """``graphssl recommend``: train a model and print its test metrics (JSON lines with ``--json``:
    ``command, dataset, impl, model, metric, value, epochs, seconds, seconds_per_epoch``).

    Raises:
        ValueError: unknown model or dataset, bad options.
    """
    if args.model.lower() not in model_names():  # before the dataset is loaded (or downloaded)
        raise ValueError(f"unknown model {args.model!r}; known: {', '.join(model_names())}")
    ks = _parse_ks(args.topk)
    over = parse_overrides(args.set)
    if args.epochs is not None:
        over.setdefault("train", {})["epochs"] = args.epochs
    if getattr(args, "checkpoint", None):
        over.setdefault("train", {}).update(checkpoint=args.checkpoint, checkpoint_every=args.checkpoint_every)
    data = load_interactions(args.dataset, root=args.root, download=not getattr(args, "no_download", False))
    if args.users:
        data = data.slice_users(args.users)
    if args.val_fraction:
        data = data.with_validation(args.val_fraction, seed=args.seed)
    show = not args.json and sys.stderr.isatty()
    log_test = bool(getattr(args, "log_test", False))

    def report(rec: Dict[str, float]) -> None:
        """One evaluation during training: a JSON line per metric (``monitoring: true``) with
        --json, else one line on stderr."""
        scores = {k: v for k, v in rec.items() if k.startswith(("val_", "test_"))}  # the trainer drops num_users
        if args.json:
            for k, v in scores.items():
                print(json.dumps({"command": "recommend", "dataset": args.dataset, "impl": "graphssl",
                                  "model": args.model, "metric": k, "value": v, "epoch": rec["epoch"],
                                  "loss": rec["loss"], "monitoring": True}), flush=True)
        else:
            shown = "  ".join(f"{k} {v:.4f}" for k, v in scores.items())
            print(f"epoch {rec['epoch']}: loss {rec['loss']:.4f}  {shown}", file=sys.stderr, flush=True)

    r = recommend(data, args.model, over, seed=args.seed, device=args.device, progress=show, ks=ks,
                  max_steps_per_epoch=args.max_steps_per_epoch, save_embeddings=args.save_embeddings,
                  log_test=log_test, on_eval=report)
    common = {"command": "recommend", "dataset": args.dataset, "impl": "graphssl", "model": args.model,
              "epochs": r.epochs, "seconds": round(r.seconds, 2), "seconds_per_epoch": round(r.seconds_per_epoch, 3)}
    records = [dict(common, metric=k, value=v) for k, v in r.metrics.items() if k != "num_users"]
    if args.json:
        for rec in records:
            print(json.dumps(rec), flush=True)
    else:
        print(f"{args.model} on {data.name}: {r.epochs} epochs, {r.seconds_per_epoch:.2f} s/epoch, "
              f"{r.seconds:.1f} s in all")
        for rec in records:
            print(f"  test {rec['metric']:<14} {rec['value']:.4f}")
        if r.val_metrics:
            print("  (best validation epoch {}: {})".format(
                r.history.best_epoch, ", ".join(f"{k} {v:.4f}" for k, v in r.val_metrics.items() if k != "num_users")))
    return 0
