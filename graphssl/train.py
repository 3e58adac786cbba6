"""`Trainer`: optimises an SSL method's loss for a number of epochs, with a progress
bar, seeds, an optional cosine schedule, checkpoints that resume exactly, and an optional
validation callback for early stopping."""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, List, Optional, Union

import numpy as np
import torch
from tqdm.auto import tqdm

from .methods.base import GraphInput, SSLMethod

__all__ = ["Trainer", "TrainHistory", "seed_everything"]

_OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}


def seed_everything(seed: int) -> torch.Generator:
    """Seed python, numpy and torch; return a ``torch.Generator`` seeded the same way."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


@dataclass
class TrainHistory:
    """Per-epoch losses and, when a validation callback ran, its scores."""

    losses: List[float] = field(default_factory=list)
    val_scores: List[float] = field(default_factory=list)
    best_epoch: int = -1
    stopped_early: bool = False


class Trainer:
    """Trainer for an :class:`SSLMethod`, full-graph or over mini-batches.

    Args:
        method: the method to train.
        epochs: number of passes over the data (the schedule steps once per epoch).
        lr, weight_decay: optimiser settings.
        optimizer: ``"adam"``, ``"adamw"`` or ``"sgd"``.
        scheduler: ``None`` or ``"cosine"`` (the lr decays to 0 along a half cosine).
        grad_clip: max gradient norm (None: no clipping).
        seed: seeds everything before training.
        progress: show a tqdm progress bar with the loss.
        checkpoint: path of a checkpoint written every ``checkpoint_every`` epochs and at
            the end; if it exists when :meth:`fit` starts, training resumes from it.
        validate: optional ``callback(method) -> float`` (higher is better) run every
            ``validate_every`` epochs; with ``patience`` it stops early and restores the
            best weights.

    Raises:
        ValueError: unknown optimizer/scheduler, non-positive epochs or lr.
    """

    def __init__(
        self,
        method: SSLMethod,
        epochs: int = 100,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        optimizer: str = "adam",
        scheduler: Optional[str] = None,
        grad_clip: Optional[float] = None,
        seed: Optional[int] = 0,
        progress: bool = True,
        checkpoint: Union[str, Path, None] = None,
        checkpoint_every: int = 50,
        validate: Optional[Callable[[SSLMethod], float]] = None,
        validate_every: int = 10,
        patience: Optional[int] = None,
    ) -> None:
        if epochs < 0:
            raise ValueError(f"epochs must be >= 0, got {epochs}")
        if lr <= 0:
            raise ValueError(f"lr must be > 0, got {lr}")
        if optimizer not in _OPTIMIZERS:
            raise ValueError(f"unknown optimizer {optimizer!r}; expected one of {sorted(_OPTIMIZERS)}")
        if scheduler not in (None, "cosine"):
            raise ValueError(f"unknown scheduler {scheduler!r}; expected None or 'cosine'")
        self.method = method
        self.epochs, self.lr, self.weight_decay = epochs, lr, weight_decay
        self.optimizer_name, self.scheduler_name = optimizer, scheduler
        self.grad_clip, self.seed, self.progress = grad_clip, seed, progress
        self.checkpoint = Path(checkpoint) if checkpoint is not None else None
        self.checkpoint_every = max(1, checkpoint_every)
        self.validate, self.validate_every, self.patience = validate, max(1, validate_every), patience
        self.start_epoch = 0
        self.history = TrainHistory()
        if seed is not None:
            seed_everything(seed)
        params = [p for p in method.parameters() if p.requires_grad]
        self.optimizer = (_OPTIMIZERS[optimizer](params, lr=lr, weight_decay=weight_decay)
                          if params and method.trainable else None)
        self.scheduler = None
        if self.optimizer is not None and scheduler == "cosine":
            total = max(epochs, 1)
            self.scheduler = torch.optim.lr_scheduler.LambdaLR(
                self.optimizer, lambda e: (1 + math.cos(e * math.pi / total)) * 0.5)

    # ------------------------------------------------------------------ checkpoints
    def save(self, path: Union[str, Path]) -> None:
        """Write method, optimiser, scheduler, RNG state and history to ``path``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {
            "epoch": self.start_epoch,
            "method": self.method.state_dict(),
            "optimizer": self.optimizer.state_dict() if self.optimizer else None,
            "scheduler": self.scheduler.state_dict() if self.scheduler else None,
            "rng": torch.get_rng_state(),
            "method_rng": gen.get_state() if (gen := getattr(self.method, "generator", None)) is not None else None,
            "history": self.history.__dict__,
        }
        tmp = path.with_suffix(path.suffix + ".tmp")
        torch.save(state, tmp)
        tmp.replace(path)  # atomic: a crash never leaves a half-written checkpoint

    def load(self, path: Union[str, Path]) -> None:
        """Restore a checkpoint written by :meth:`save`.

        Raises:
            FileNotFoundError: no file at ``path``.
            ValueError: the file is not a graphssl checkpoint or does not match the method.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no checkpoint at {path}")
        try:
            state = torch.load(path, map_location="cpu", weights_only=False)
            self.method.load_state_dict(state["method"])
        except (KeyError, RuntimeError, EOFError) as e:
            raise ValueError(f"{path} is not a checkpoint of this method: {e}") from None
        if self.optimizer is not None and state.get("optimizer"):
            self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler"):
            self.scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng"])
        gen = getattr(self.method, "generator", None)
        if gen is not None and state.get("method_rng") is not None:
            gen.set_state(state["method_rng"])
        self.history = TrainHistory(**state["history"])
        self.start_epoch = int(state["epoch"])

    # ------------------------------------------------------------------ training
    def step(self, data: GraphInput) -> float:
        """One optimisation step on one batch ``data``; returns its loss."""
        self.method.train()
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.method.loss(data)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"loss became {float(loss)}; lower the learning rate or check the inputs")
        loss.backward()
        if self.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(self.method.parameters(), self.grad_clip)
        self.optimizer.step()
        hook = getattr(self.method, "after_step", None)
        if hook is not None:  # e.g. an EMA target update, which follows the epoch schedule
            hook(self.start_epoch, self.epochs)
        return float(loss.detach())

    def _epoch(self, data: Union[GraphInput, Iterable[GraphInput]]) -> float:
        if hasattr(data, "graph"):
            loss = self.step(data)
        else:  # an iterable of mini-batches (list, DataLoader, sampler), re-iterated each epoch
            losses = [self.step(batch) for batch in data]
            if not losses:
                raise ValueError("the batch iterable yielded no batch")
            loss = sum(losses) / len(losses)
        if self.scheduler is not None:
            self.scheduler.step()
        return loss

    def fit(self, data: Union[GraphInput, Iterable[GraphInput]]) -> TrainHistory:
        """Train for the remaining epochs (resuming from the checkpoint if present).

        Args:
            data: one full-graph input (anything with ``.graph`` and ``.x``: one step per
                epoch) or an iterable of mini-batches re-iterated every epoch.
        """
        if self.optimizer is None:  # training-free baseline
            return self.history
        if self.checkpoint is not None and self.checkpoint.is_file():
            self.load(self.checkpoint)
        best_score, best_state, bad = -math.inf, None, 0
        bar = tqdm(range(self.start_epoch, self.epochs), disable=not self.progress, desc="pretrain",
                   initial=self.start_epoch, total=self.epochs, leave=False)
        for epoch in bar:
            loss = self._epoch(data)
            self.history.losses.append(loss)
            self.start_epoch = epoch + 1
            bar.set_postfix(loss=f"{loss:.4f}")
            if self.validate is not None and (epoch + 1) % self.validate_every == 0:
                score = float(self.validate(self.method))
                self.history.val_scores.append(score)
                if score > best_score:
                    best_score, bad, self.history.best_epoch = score, 0, epoch
                    best_state = {k: v.detach().clone() for k, v in self.method.state_dict().items()}
                else:
                    bad += 1
                    if self.patience is not None and bad >= self.patience:
                        self.history.stopped_early = True
                        break
            if self.checkpoint is not None and (epoch + 1) % self.checkpoint_every == 0:
                self.save(self.checkpoint)
        if best_state is not None:
            self.method.load_state_dict(best_state)
        if self.checkpoint is not None:
            self.save(self.checkpoint)
        return self.history
