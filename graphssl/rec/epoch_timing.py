"""Seconds per training epoch of several recommenders, measured side by side in one process.

A full epoch of every model on a shared, busy CPU takes long and is timed under different
loads; here each model's trainer is built once, and rounds of a few training steps run
interleaved (model A, B, C, A, B, C, ...), so every model sees the same conditions. An epoch
is extrapolated as the per-epoch work (drawing the epoch's triples, the heads' ``new_epoch``:
SGL's graphs, NCL's k-means) plus ``steps_per_epoch`` times the median step. Wall time and
process CPU time are both kept: on a machine shared with other jobs, CPU time is the steadier
measure of the work a model does.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Union

import torch

from .data import InteractionData
from .pipeline import build_trainer

__all__ = ["EpochTiming", "time_epochs"]


@dataclass
class EpochTiming:
    """Timing of one model: per-step samples (one per round) and the per-epoch work."""

    model: str
    steps_per_epoch: int                 # batches in a full epoch
    steps_per_round: int
    epoch_work_seconds: float            # sampler epoch + heads' new_epoch (wall)
    epoch_work_cpu_seconds: float
    step_seconds: List[float] = field(default_factory=list)      # wall seconds per step, per round
    step_cpu_seconds: List[float] = field(default_factory=list)  # process CPU seconds per step, per round

    @property
    def measured_steps(self) -> int:
        """Steps timed in all (the extrapolation's base)."""
        return self.steps_per_round * len(self.step_seconds)

    def seconds_per_epoch(self, stat: str = "median") -> float:
        """Extrapolated wall seconds of a full epoch (``stat``: ``"median"`` or ``"min"`` step)."""
        return self.epoch_work_seconds + self.steps_per_epoch * _stat(self.step_seconds, stat)

    def cpu_seconds_per_epoch(self, stat: str = "median") -> float:
        """Extrapolated process CPU seconds of a full epoch."""
        return self.epoch_work_cpu_seconds + self.steps_per_epoch * _stat(self.step_cpu_seconds, stat)


def _stat(values: Sequence[float], stat: str) -> float:
    if not values:
        return float("nan")
    if stat == "median":
        return statistics.median(values)
    if stat == "min":
        return min(values)
    raise ValueError(f"stat must be 'median' or 'min', got {stat!r}")


def _epoch_work(trainer) -> None:
    """What a trainer does once per epoch besides its steps, in the steady state."""
    trainer.sampler.epoch()
    with torch.no_grad():
        for head in trainer.heads:
            hook = getattr(head, "new_epoch", None)
            if not callable(hook):
                continue
            # Heads with a warm-up (NCL) do their per-epoch work (k-means) only after it: time that.
            if hasattr(head, "warmup_epochs") and hasattr(head, "epoch"):
                head.epoch = max(int(head.epoch), int(head.warmup_epochs))
            hook(trainer.backbone)


def time_epochs(data: InteractionData, models: Sequence[str], steps: int = 3, rounds: int = 3, warmup: int = 1,
                seed: int = 0, device: Union[str, torch.device] = "cpu",
                cfg: Optional[Dict[str, Dict[str, Any]]] = None) -> Dict[str, EpochTiming]:
    """Time ``models`` (preset settings) on ``data``, interleaved, and extrapolate an epoch.

    Args:
        data: the interaction data (every model trains on all of it).
        models: model names (:func:`graphssl.rec.model_names`).
        steps: training steps per model per round.
        rounds: interleaved rounds (each gives one per-step sample).
        warmup: untimed steps per model first (kernel compilation, caches).
        seed: seeds models and samplers.
        device: where to train.
        cfg: per-model preset overrides, ``{model: {"train": {...}, ...}}``.

    Returns:
        ``{model: EpochTiming}`` in the order of ``models``.

    Raises:
        ValueError: no model, ``steps`` / ``rounds`` < 1, ``warmup`` < 0, or an unknown model.
    """
    if not models:
        raise ValueError("time_epochs needs at least one model")
    if steps < 1 or rounds < 1 or warmup < 0:
        raise ValueError(f"steps and rounds must be >= 1 and warmup >= 0, got {steps}, {rounds}, {warmup}")
    runs = {}
    for m in models:
        trainer, _ = build_trainer(data, m, (cfg or {}).get(m), seed=seed, device=device)
        _epoch_work(trainer)  # once untimed: one-time set-up (LightGCL's SVD) is not per-epoch work
        c0, t0 = time.process_time(), time.perf_counter()
        _epoch_work(trainer)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        runs[m] = [trainer, iter(trainer.sampler),
                   EpochTiming(m, len(trainer.sampler), steps, wall, cpu)]

    def one_step(run) -> None:
        trainer = run[0]
        batch = next(run[1], None)
        if batch is None:  # a small dataset ran out of batches: start another epoch
            run[1] = iter(trainer.sampler)
            batch = next(run[1])
        trainer.step(*batch)

    for run in runs.values():
        for _ in range(warmup):
            one_step(run)
    for _ in range(rounds):
        for run in runs.values():
            c0, t0 = time.process_time(), time.perf_counter()
            for _ in range(steps):
                one_step(run)
            run[2].step_seconds.append((time.perf_counter() - t0) / steps)
            run[2].step_cpu_seconds.append((time.process_time() - c0) / steps)
    return {m: run[2] for m, run in runs.items()}
