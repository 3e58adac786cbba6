"""`Trainer`: optimises an SSL method's loss for a number of epochs, with a progress
bar, seeds, an optional cosine schedule, checkpoints that resume exactly, an optional
validation callback for early stopping, mini-batches from a sampler
(``Trainer(..., sampler=...)``) and DistributedDataParallel under ``torchrun``."""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, List, Optional, Union

import numpy as np
import torch
from tqdm.auto import tqdm

from . import distributed as dist_utils
from .atomic_save import atomic_torch_save
from .checks import check_int, check_positive
from .optim import OPTIMIZERS, build_optimizer
from .methods.base import GraphInput, SSLMethod
from .minibatch import SampledInputs
from .sampling import NeighborSampler, Sampler

__all__ = ["Trainer", "TrainHistory", "seed_everything"]



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

    Each step back-propagates ``method.loss(batch)``, unless the method sets
    ``manual_backward = True``: then ``method.backward_step(batch)`` computes the
    gradients itself (e.g. :class:`graphssl.multitask.MultiTask`, one backward pass per
    task) and returns the loss to log.

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
            best weights. (Under DDP every rank runs it on identical weights.)
        sampler: train on mini-batches: a node or subgraph
            :class:`~graphssl.sampling.Sampler` over the graph given to :meth:`fit`. Every
            epoch batches its items (``items``, default every node) ``batch_size`` at a
            time, samples in ``num_workers`` processes, gathers features by global id and
            steps on each :class:`~graphssl.minibatch.BlockInput` (neighbour sampler;
            methods with ``supports_blocks``: GraphMAE, GraphMAE2) or
            :class:`~graphssl.minibatch.SubgraphInput` (local-cluster, random-walk,
            cluster samplers; every node-level method). See :mod:`graphssl.minibatch`.
        batch_size, num_workers, items: the sampler's batching (see ``sampler``).
        distributed: wrap the method in ``DistributedDataParallel`` and give each rank
            its own share of the items; default: when a process group of more than one
            process is initialised (:func:`graphssl.distributed.init_from_env`). Rank 0
            alone writes checkpoints; logged losses are averaged over the ranks.
        find_unused_parameters: DDP's option (True: parameters a step does not use,
            e.g. a token of a branch not taken, are allowed).

    Raises:
        ValueError: unknown optimizer/scheduler, an epoch count, rate or interval that is
            not a number in range (negative epochs, ``lr <= 0``, a string from a config
            typo), a neighbour sampler for a method that does not train on Blocks.
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
        sampler: Optional[Sampler] = None,
        batch_size: int = 512,
        num_workers: int = 0,
        items: Optional[torch.Tensor] = None,
        distributed: Optional[bool] = None,
        find_unused_parameters: bool = True,
    ) -> None:
        # config values arrive unchecked: a typo such as ``lr: 1e-3x`` is a string here
        check_int("epochs", epochs, low=0)
        check_positive("lr", lr)
        check_positive("weight_decay", weight_decay, allow_zero=True)
        if grad_clip is not None:
            check_positive("grad_clip", grad_clip)
        check_int("checkpoint_every", checkpoint_every)
        check_int("validate_every", validate_every)
        if patience is not None:
            check_int("patience", patience)
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {optimizer!r}; expected one of {sorted(OPTIMIZERS)}")
        if scheduler not in (None, "cosine"):
            raise ValueError(f"unknown scheduler {scheduler!r}; expected None or 'cosine'")
        self.method = method
        self.epochs, self.lr, self.weight_decay = epochs, lr, weight_decay
        self.optimizer_name, self.scheduler_name = optimizer, scheduler
        self.grad_clip, self.seed, self.progress = grad_clip, seed, progress
        self.checkpoint = Path(checkpoint) if checkpoint is not None else None
        self.checkpoint_every = checkpoint_every
        self.validate, self.validate_every, self.patience = validate, validate_every, patience
        if sampler is not None and not isinstance(sampler, Sampler):
            raise ValueError(f"sampler must be a graphssl.sampling.Sampler, got {type(sampler).__name__}")
        if isinstance(sampler, NeighborSampler) and not getattr(method, "supports_blocks", False):
            raise ValueError(f"{type(method).__name__} does not train on neighbour-sampled Blocks; use a subgraph "
                             "sampler (local_cluster, random_walk, cluster) for it")
        check_int("batch_size", batch_size)
        self.sampler, self.batch_size, self.num_workers, self.items = sampler, batch_size, num_workers, items
        self.distributed = dist_utils.is_distributed() if distributed is None else bool(distributed)
        if self.distributed and not dist_utils.is_distributed():
            raise ValueError("distributed=True needs an initialised process group of more than one process "
                             "(launch with torchrun; graphssl.distributed.init_from_env)")
        self.find_unused_parameters = find_unused_parameters
        self._ddp: Optional[torch.nn.Module] = None
        self.start_epoch = 0
        self.history = TrainHistory()
        # validation-based selection: best score, evaluations since, the best epoch's weights
        self._best_score, self._bad, self._best_state = -math.inf, 0, None
        if seed is not None:
            seed_everything(seed)
        params = [p for p in method.parameters() if p.requires_grad]
        self.optimizer = (build_optimizer(optimizer, params, lr, weight_decay)
                          if params and method.trainable else None)
        self.scheduler = None
        if self.optimizer is not None and scheduler == "cosine":
            total = max(epochs, 1)
            self.scheduler = torch.optim.lr_scheduler.LambdaLR(
                self.optimizer, lambda e: (1 + math.cos(e * math.pi / total)) * 0.5)

    # ------------------------------------------------------------------ checkpoints
    def save(self, path: Union[str, Path]) -> None:
        """Write method, optimiser, scheduler, RNG state and history to ``path`` (under DDP:
        rank 0 writes, every rank waits for it)."""
        if self.distributed and not dist_utils.is_main_process():
            dist_utils.barrier()
            return
        self._save(path)
        if self.distributed:
            dist_utils.barrier()

    def _save(self, path: Union[str, Path]) -> None:
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
            "early_stopping": {"best": self._best_score, "bad": self._bad, "best_state": self._best_state},
        }
        atomic_torch_save(state, path)

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
            # the rate of the coming epoch on this trainer's schedule: the same as saved when the
            # run resumes as it was, and the longer schedule's when it is extended to more epochs
            # (else a finished cosine run would go on at its final rate of 0)
            for group, base, lam in zip(self.optimizer.param_groups, self.scheduler.base_lrs,
                                        self.scheduler.lr_lambdas):
                group["lr"] = base * lam(self.scheduler.last_epoch)
        torch.set_rng_state(state["rng"])
        gen = getattr(self.method, "generator", None)
        if gen is not None and state.get("method_rng") is not None:
            gen.set_state(state["method_rng"])
        self.history = TrainHistory(**state["history"])
        stop = state.get("early_stopping") or {}  # absent from checkpoints written before it was saved
        self._best_score, self._bad = stop.get("best", -math.inf), stop.get("bad", 0)
        self._best_state = stop.get("best_state")
        self.start_epoch = int(state["epoch"])

    # ------------------------------------------------------------------ training
    def step(self, data: GraphInput) -> float:
        """One optimisation step on one batch ``data``; returns its loss."""
        self.method.train()
        self.optimizer.zero_grad(set_to_none=True)
        # A method with ``manual_backward = True`` (multi-task gradient combination) fills
        # ``.grad`` itself in ``backward_step(data)`` and returns the loss to log.
        manual = getattr(self.method, "manual_backward", False)
        if manual:
            loss = self.method.backward_step(data)
        else:
            loss = self._ddp(data) if self._ddp is not None else self.method.loss(data)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"loss became {float(loss)}; lower the learning rate or check the inputs")
        if not manual:
            loss.backward()  # under DDP the gradients are averaged over the ranks here
        elif self.distributed:
            dist_utils.average_gradients(self.method)
        if self.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(self.method.parameters(), self.grad_clip)
        self.optimizer.step()
        hook = getattr(self.method, "after_step", None)
        if hook is not None:  # e.g. an EMA target update, which follows the epoch schedule
            hook(self.start_epoch, self.epochs)
        return float(loss.detach())

    def _sampled(self, data: GraphInput) -> SampledInputs:
        """The stream of mini-batches the sampler draws from ``data``'s graph."""
        x = getattr(data, "x", None)
        if not isinstance(x, torch.Tensor):
            raise ValueError("with a sampler, fit takes the full graph's input (anything with .graph and .x), "
                             f"got {type(data).__name__}")
        param = next(self.method.parameters(), None)
        rank, world = (dist_utils.get_rank(), dist_utils.get_world_size()) if self.distributed else (0, 1)
        return SampledInputs(self.sampler, x, self.items, batch_size=self.batch_size, shuffle=True,
                             seed=self.seed if self.seed is not None else 0, num_workers=self.num_workers,
                             device=param.device if param is not None else x.device, rank=rank, world_size=world)

    def _setup_distributed(self) -> None:
        """Wrap the method in DDP (which broadcasts rank 0's weights and buffers) and give
        each rank its own random streams for masks, views and dropout."""
        from torch.nn.parallel import DistributedDataParallel

        rank = dist_utils.get_rank()
        if not getattr(self.method, "manual_backward", False) and self._ddp is None:
            param = next(self.method.parameters())
            ids = [param.device] if param.device.type == "cuda" else None
            self._ddp = DistributedDataParallel(dist_utils.LossModule(self.method), device_ids=ids,
                                                find_unused_parameters=self.find_unused_parameters)
        elif self._ddp is None:  # gradients are averaged by hand: start from rank 0's weights
            from torch.distributed import broadcast
            for t in list(self.method.parameters()) + list(self.method.buffers()):
                broadcast(t.data, src=0)
        gen = getattr(self.method, "generator", None)
        if rank > 0:
            if gen is not None:
                gen.manual_seed(int(torch.randint(0, 1 << 62, (1,), generator=gen)) + rank)
            torch.manual_seed(int(torch.randint(0, 1 << 62, (1,))) + rank)

    def _epoch(self, data: Union[GraphInput, Iterable[GraphInput]]) -> float:
        if hasattr(data, "graph"):
            loss = self.step(data)
        else:  # an iterable of mini-batches (list, DataLoader, sampler), re-iterated each epoch
            losses = [self.step(batch) for batch in data]
            if not losses:
                raise ValueError("the batch iterable yielded no batch")
            loss = sum(losses) / len(losses)
        if self.distributed:
            loss = dist_utils.all_reduce_mean(loss)
        if self.scheduler is not None:
            self.scheduler.step()
        return loss

    def fit(self, data: Union[GraphInput, Iterable[GraphInput]]) -> TrainHistory:
        """Train for the remaining epochs (resuming from the checkpoint if present).

        Args:
            data: one full-graph input (anything with ``.graph`` and ``.x``: one step per
                epoch, or the graph the ``sampler`` samples from: one step per batch) or an
                iterable of mini-batches re-iterated every epoch.

        Raises:
            ValueError: a sampler and ``data`` without features, or a graph of another size.
        """
        if self.optimizer is None:  # training-free baseline
            return self.history
        if self.checkpoint is not None and self.checkpoint.is_file():
            self.load(self.checkpoint)
        if self.sampler is not None:
            data = self._sampled(data)
        if self.distributed:
            self._setup_distributed()
        show = self.progress and (not self.distributed or dist_utils.is_main_process())
        last = self.start_epoch if self.history.stopped_early else self.epochs  # a finished run stays finished
        bar = tqdm(range(self.start_epoch, last), disable=not show, desc="pretrain",
                   initial=self.start_epoch, total=self.epochs, leave=False)
        for epoch in bar:
            if isinstance(data, SampledInputs):  # resumed runs continue the epoch's sampling
                data.set_epoch(epoch)
            loss = self._epoch(data)
            self.history.losses.append(loss)
            self.start_epoch = epoch + 1
            bar.set_postfix(loss=f"{loss:.4f}")
            if self.validate is not None and (epoch + 1) % self.validate_every == 0:
                score = float(self.validate(self.method))
                self.history.val_scores.append(score)
                if score > self._best_score:
                    self._best_score, self._bad, self.history.best_epoch = score, 0, epoch
                    self._best_state = {k: v.detach().clone() for k, v in self.method.state_dict().items()}
                else:
                    self._bad += 1
                    if self.patience is not None and self._bad >= self.patience:
                        self.history.stopped_early = True
                        break
            if self.checkpoint is not None and (epoch + 1) % self.checkpoint_every == 0:
                self.save(self.checkpoint)
        if self._best_state is not None:
            self.method.load_state_dict(self._best_state)
        if self.distributed:  # running statistics drift apart on each rank's own batches
            dist_utils.sync_buffers(self.method)
        if self.checkpoint is not None:
            self.save(self.checkpoint)
        return self.history
