"""`RecTrainer`: trains a backbone with BPR (or sampled softmax) plus any number of SSL heads,
evaluates with full ranking every few epochs, early-stops on the validation split when there
is one (never on the test split), and saves the final embeddings.

The head contract (:class:`graphssl.rec.heads.RecSSLHead`): an ``nn.Module`` called as
``head(users, pos_items, user_emb, item_emb, backbone=backbone) -> scalar`` with the batch's
``[B]`` user and positive-item ids and the full ``[U, d]`` / ``[I, d]`` embedding tables of
this step; the returned loss is already weighted. Optional parts the trainer honours:

- ``head.new_epoch(backbone)``: before each epoch, without gradients (SGL re-drops edges,
  NCL re-clusters, LightGCL computes its SVD once).
- ``head.propagate(backbone) -> (user_emb, item_emb, views)``: the step's main embeddings
  come from the head instead of ``backbone()`` and ``views`` is passed back to the head's
  forward as ``views=`` (XSimGCL trains BPR on its noisy propagation and contrasts it with a
  layer of the same pass; SimGCL returns the clean propagation and shares its first layer
  with its noisy views); a ``views["all"]`` of ``[U + I, d]`` is used for the main loss's
  gather. At most one head may define it. Evaluation always uses ``backbone()``, the clean
  propagation.
- ``head.layers_needed(backbone) -> int``: the head's forward takes ``layers=[E_0, ..., E_L]``
  of the backbone's clean propagation (NCL, LightGCL) and needs at least that many layers
  beyond ``E_0``; the trainer passes the step's layers instead of letting it propagate again.
- ``head.uses_host_embeddings = False``: the head's forward ignores ``user_emb`` / ``item_emb``
  (SGL contrasts its own views). When no head reads them or propagates, the step computes the
  main embeddings only at its batch's rows (``backbone.propagate(rows=...)``: the last layer
  is propagated for those rows alone) and passes None for both. An encoder head whose
  ``propagate`` takes ``rows=`` (SimGCL, XSimGCL) is asked for the same, and returns
  ``(None, None, views)`` with ``views["all"]`` at ``views["rows"]``.
- ``main_loss="none"`` (the DirectAU preset): the heads' losses are the whole objective,
  with no BPR / softmax term and no L2 term.

Long runs (LightGCN trains 1,000 epochs) can be checkpointed: with ``checkpoint=PATH`` the
trainer writes its whole state every ``checkpoint_every`` epochs and at the end, and a later
trainer built the same way resumes from that file where the run stopped, with the same
sampling, noise and early-stopping state as an uninterrupted run.
"""
from __future__ import annotations

import copy
import inspect
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from ..atomic_save import atomic_torch_save
from ..checks import check_int, check_positive
from ..devices import resolve_device
from ..optim import build_optimizer
from .backbones import RecBackbone
from .data import InteractionData
from .losses import bpr_loss, l2_reg_loss, sampled_softmax_loss
from .metrics import full_ranking_metrics
from .sampler import BPRSampler

__all__ = ["RecTrainer", "RecHistory", "EvalCallback", "save_embeddings", "load_embeddings"]

_CHECKPOINT_FORMAT = "graphssl-rec-checkpoint-1"

#: Called with each evaluation's record (``epoch``, ``loss``, ``val_*`` / ``test_*`` metrics).
EvalCallback = Callable[[Dict[str, float]], None]

_MAIN_LOSSES = ("bpr", "softmax", "none")


@dataclass
class RecHistory:
    """What happened during :meth:`RecTrainer.fit`."""

    losses: List[float] = field(default_factory=list)           # mean total loss per epoch
    epoch_seconds: List[float] = field(default_factory=list)    # training time per epoch (no evaluation)
    evals: List[Dict[str, float]] = field(default_factory=list)  # {"epoch", "split", metrics...}
    best_epoch: int = -1
    stopped_early: bool = False

    @property
    def seconds_per_epoch(self) -> float:
        return sum(self.epoch_seconds) / len(self.epoch_seconds) if self.epoch_seconds else float("nan")


def save_embeddings(user_emb: Tensor, item_emb: Tensor, path: Union[str, Path]) -> Path:
    """Write ``{"user": [U, d], "item": [I, d]}`` to ``path`` (``.npz`` for numpy, else torch)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    u, i = user_emb.detach().cpu(), item_emb.detach().cpu()
    if path.suffix == ".npz":
        import numpy as np
        np.savez(path, user=u.numpy(), item=i.numpy())
    else:
        torch.save({"user": u, "item": i}, path)
    return path


def load_embeddings(path: Union[str, Path]) -> Tuple[Tensor, Tensor]:
    """Read what :func:`save_embeddings` wrote.

    Raises:
        FileNotFoundError: no file. ValueError: the file holds something else.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no embeddings file at {path}")
    if path.suffix == ".npz":
        import numpy as np
        with np.load(path) as z:
            if "user" not in z or "item" not in z:
                raise ValueError(f"{path} has no 'user' and 'item' arrays")
            return torch.from_numpy(z["user"]), torch.from_numpy(z["item"])
    obj = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(obj, dict) or "user" not in obj or "item" not in obj:
        raise ValueError(f"{path} does not hold {{'user': tensor, 'item': tensor}}")
    return obj["user"], obj["item"]


class RecTrainer:
    """Mini-batch training of a recommendation backbone with optional SSL heads.

    Args:
        backbone: an :class:`MF` / :class:`LightGCN` (anything with ``forward() -> (U, I)``
            embeddings and an ``ego`` table of ``U + I`` rows).
        data: the :class:`InteractionData` (train / val / test).
        heads: SSL heads whose losses are added to the main loss.
        epochs: maximum number of epochs.
        batch_size: triples per step (2048 in LightGCN, SGL, SimGCL).
        lr: Adam learning rate (1e-3).
        reg: weight of the L2 term on the batch's ego embeddings (1e-4).
        main_loss: ``"bpr"``, ``"softmax"`` (sampled softmax over in-batch positives and the
            sampled negatives) or ``"none"`` (heads only).
        softmax_temperature: temperature of the sampled softmax.
        num_negatives: negatives per positive.
        eval_every: evaluate every this many epochs (and after the last).
        ks: cut-offs of the metrics.
        monitor: metric used for early stopping / model selection on the validation split.
        patience: stop after this many evaluations without improvement (validation only).
        log_test: also evaluate the test split at each evaluation, for monitoring only (never
            used for selection).
        max_steps_per_epoch: cut every epoch after this many steps (timing and smoke runs).
        seed: seeds the sampler (shuffling and negatives); the backbone and heads take their own.
        device: where to train.
        progress: show a progress bar.
        on_eval: called with each evaluation's record (``epoch``, ``loss``, ``val_*`` and
            ``test_*`` metrics) as soon as it is computed, for logging long runs.
        checkpoint: path of a checkpoint written every ``checkpoint_every`` epochs and at the
            end (atomically); if it exists when :meth:`fit` starts, training resumes from it.
        checkpoint_every: epochs between checkpoints.

    Raises:
        ValueError: bad settings, or several heads define ``propagate``.
    """

    def __init__(self, backbone: RecBackbone, data: InteractionData, heads: Sequence[nn.Module] = (),
                 epochs: int = 1000, batch_size: int = 2048, lr: float = 1e-3, reg: float = 1e-4,
                 main_loss: str = "bpr", softmax_temperature: float = 0.2, num_negatives: int = 1,
                 eval_every: int = 5, ks: Sequence[int] = (20,), monitor: str = "recall@20",
                 patience: Optional[int] = 10, log_test: bool = False, max_steps_per_epoch: Optional[int] = None,
                 seed: int = 0, device: Union[str, torch.device] = "cpu", progress: bool = True,
                 on_eval: Optional[EvalCallback] = None, checkpoint: Union[str, Path, None] = None,
                 checkpoint_every: int = 10) -> None:
        epochs, batch_size = check_int("epochs", epochs, low=0), check_int("batch_size", batch_size)
        lr, reg = check_positive("lr", lr), check_positive("reg", reg, allow_zero=True)
        softmax_temperature = check_positive("softmax_temperature", softmax_temperature)
        if main_loss not in _MAIN_LOSSES:
            raise ValueError(f"unknown main_loss {main_loss!r}; expected one of {_MAIN_LOSSES}")
        check_int("num_negatives", num_negatives)
        check_int("eval_every", eval_every)
        if max_steps_per_epoch is not None:
            check_int("max_steps_per_epoch", max_steps_per_epoch)
        if patience is not None:
            check_int("patience", patience)
        self.checkpoint = Path(checkpoint) if checkpoint is not None else None
        self.checkpoint_every = check_int("checkpoint_every", checkpoint_every)
        self.device = resolve_device(device)
        self.backbone = backbone.to(self.device)
        self.heads = nn.ModuleList(list(heads)).to(self.device)
        encoders = [h for h in self.heads if callable(getattr(h, "propagate", None))]
        if len(encoders) > 1:
            raise ValueError("at most one head may define propagate(backbone) (it supplies the main embeddings)")
        self.encoder_head = encoders[0] if encoders else None
        # heads that can reuse the backbone's clean layers (``layers_needed``: how many beyond E_0)
        self._layer_heads = {id(h): int(h.layers_needed(self.backbone)) for h in self.heads
                             if h is not self.encoder_head and callable(getattr(h, "layers_needed", None))}
        # With no head reading the full tables, a step needs the final embeddings only at its
        # batch's rows: the backbone then propagates the last layer for those rows alone.
        # (An encoder head takes ``rows=`` too: SimGCL.)
        source = self.encoder_head.propagate if self.encoder_head is not None else self.backbone.propagate
        self.batch_rows_only = (not self._layer_heads and main_loss != "none"
                                and not any(getattr(h, "uses_host_embeddings", True) for h in self.heads
                                            if h is not self.encoder_head)
                                and "rows" in inspect.signature(source).parameters)
        if main_loss == "none" and not len(self.heads):
            raise ValueError("main_loss='none' needs at least one head")
        self.data = data
        self.epochs, self.batch_size, self.lr, self.reg = int(epochs), int(batch_size), float(lr), float(reg)
        self.main_loss, self.softmax_temperature = main_loss, float(softmax_temperature)
        self.eval_every, self.ks, self.monitor = int(eval_every), tuple(ks), monitor
        self.patience, self.log_test, self.max_steps = patience, log_test, max_steps_per_epoch
        self.progress, self.on_eval = progress, on_eval
        self.generator = torch.Generator().manual_seed(seed)
        self.sampler = BPRSampler(data.train, batch_size, num_negatives, generator=self.generator)
        # Deduplicated: a head may share parameters with the backbone (a shared item tower).
        params = list({id(p): p for p in list(self.backbone.parameters()) + list(self.heads.parameters())
                       if p.requires_grad}.values())
        self.optimizer = build_optimizer("adam", params, lr)
        self.history = RecHistory()
        self.epoch = 0
        # early stopping on the validation split: best score, evaluations since, best weights
        self._best, self._bad, self._best_state = -math.inf, 0, None

    # ------------------------------------------------------------------ one step
    def _encode(self) -> Tuple[Optional[Tensor], Tensor, Tensor, object, Optional[List[Tensor]]]:
        """``(all [U + I, d] or None, user table, item table, views or None, layers or None)``
        of this step; ``layers`` (``E_0..E_L``) only when a head takes them."""
        if self.encoder_head is not None:
            out = self.encoder_head.propagate(self.backbone)
            views = out[2] if len(out) > 2 else None
            full = views.get("all") if isinstance(views, dict) else None
            # clean layers the encoder head kept (SimGCL) serve the layer heads too
            layers = views.get("layers") if isinstance(views, dict) and self._layer_heads else None
            return full, out[0], out[1], views, layers
        layers = None
        if self._layer_heads:
            all_emb, layers = self.backbone.propagate(return_layers=True)
        else:
            all_emb = self.backbone.propagate()
        u, i = self.backbone.split(all_emb)
        return all_emb, u, i, None, layers

    def loss(self, users: Tensor, pos: Tensor, neg: Tensor) -> Tensor:
        """The total loss of one batch (main loss + L2 on the batch's ego rows + heads)."""
        U, B = self.backbone.num_users, users.numel()
        # One gather over the concatenated table: one sparse gradient instead of three
        # dense [N, d] ones (index_select backward materialises its whole input).
        rows = torch.cat([users, pos + U, neg.reshape(-1) + U])
        all_emb = user_all = item_all = views = layers = picked = None
        if self.batch_rows_only:
            uniq, inverse = torch.unique(rows, return_inverse=True)
            if self.encoder_head is None:
                picked = self.backbone.propagate(rows=uniq).index_select(0, inverse)
            else:
                user_all, item_all, views = self.encoder_head.propagate(self.backbone, rows=uniq)
                if isinstance(views, dict) and isinstance(views.get("rows"), Tensor):
                    picked = views["all"].index_select(0, inverse)
                else:  # the head declined (it returned full tables)
                    full = views.get("all") if isinstance(views, dict) else None
                    all_emb = full if isinstance(full, Tensor) else None
        else:
            all_emb, user_all, item_all, views, layers = self._encode()
        total = self.backbone.ego.new_zeros(())
        if self.main_loss != "none":
            if picked is None:
                if all_emb is None:  # a head's tables: one concatenation is cheaper than three dense gradients
                    all_emb = torch.cat([user_all, item_all])
                picked = all_emb.index_select(0, rows)
            ue, pe, ne = picked[:B], picked[B:2 * B], picked[2 * B:]
            ne = ne.view(*neg.shape, -1)
            if self.main_loss == "bpr":
                total = total + bpr_loss(ue, pe, ne)
            else:
                total = total + sampled_softmax_loss(ue, pe, ne.reshape(-1, ne.shape[-1]),
                                                     temperature=self.softmax_temperature, pos_items=pos)
            if self.reg > 0:
                total = total + self.reg * l2_reg_loss(self.backbone.ego.index_select(0, rows), batch_size=B)
        for head in self.heads:
            extra = {}
            if head is self.encoder_head and views is not None:
                extra["views"] = views
            elif layers is not None and id(head) in self._layer_heads and len(layers) > self._layer_heads[id(head)]:
                extra["layers"] = layers  # the host's clean layers: the head need not propagate again
            total = total + head(users, pos, user_all, item_all, backbone=self.backbone, **extra)
        return total

    def step(self, users: Tensor, pos: Tensor, neg: Tensor) -> float:
        """One optimisation step; returns the loss."""
        self.backbone.train()
        self.heads.train()
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss(users.to(self.device), pos.to(self.device), neg.to(self.device))
        if not torch.isfinite(loss):
            raise FloatingPointError(f"loss became {float(loss)} at epoch {self.epoch}; lower the learning rate")
        loss.backward()
        self.optimizer.step()
        return float(loss.detach())

    def train_epoch(self) -> float:
        """One pass over the shuffled training pairs (cut at ``max_steps_per_epoch``)."""
        with torch.no_grad():
            for head in self.heads:
                hook = getattr(head, "new_epoch", None)
                if callable(hook):
                    hook(self.backbone)
        n_steps = len(self.sampler) if self.max_steps is None else min(self.max_steps, len(self.sampler))
        bar = tqdm(total=n_steps, disable=not self.progress, leave=False, desc=f"epoch {self.epoch + 1}/{self.epochs}")
        total, n = 0.0, 0
        for users, pos, neg in self.sampler:
            total += self.step(users, pos, neg)
            n += 1
            bar.update(1)
            if n % 20 == 0:
                bar.set_postfix(loss=f"{total / n:.4f}")
            if n >= n_steps:
                break
        bar.close()
        self.epoch += 1
        return total / max(n, 1)

    # ------------------------------------------------------------------ evaluation
    @torch.no_grad()
    def embeddings(self) -> Tuple[Tensor, Tensor]:
        """The backbone's final ``(user_emb, item_emb)`` in eval mode, without gradients."""
        self.backbone.eval()
        u, i = self.backbone()
        return u.detach(), i.detach()

    def evaluate(self, split: str = "test", ks: Optional[Sequence[int]] = None) -> Dict[str, float]:
        """Full-ranking metrics on ``"val"`` or ``"test"`` (known items masked).

        Raises:
            ValueError: unknown split or no validation split.
        """
        truth, exclude = self.data.eval_split(split)
        u, i = self.embeddings()
        return full_ranking_metrics(u, i, truth, exclude, ks=ks or self.ks)

    # ------------------------------------------------------------------ training
    def _state(self) -> Dict[str, Dict[str, Tensor]]:
        return {"backbone": copy.deepcopy(self.backbone.state_dict()), "heads": copy.deepcopy(self.heads.state_dict())}

    def fit(self) -> RecHistory:
        """Train for ``epochs`` (fewer when early-stopped on validation).

        With a validation split, evaluates it every ``eval_every`` epochs, keeps the weights of
        the best ``monitor`` score and restores them at the end. Without one, trains all epochs
        and keeps the last weights: the test split is never used to choose.
        """
        has_val = self.data.val is not None
        if self.checkpoint is not None and self.checkpoint.is_file():
            self.load(self.checkpoint)
        last_epoch = self.epoch if self.history.stopped_early else self.epochs  # a finished run stays finished
        for _ in range(self.epoch, last_epoch):
            t0 = time.perf_counter()
            loss = self.train_epoch()
            self.history.epoch_seconds.append(time.perf_counter() - t0)
            self.history.losses.append(loss)
            last = self.epoch == self.epochs
            if (has_val or self.log_test) and (self.epoch % self.eval_every == 0 or last):
                self._evaluate_epoch(loss, has_val)
                if has_val and self.patience is not None and self._bad >= self.patience:
                    self.history.stopped_early = True
                    break
            if self.checkpoint is not None and self.epoch % self.checkpoint_every == 0 and not last:
                self.save(self.checkpoint)
        if self.checkpoint is not None:
            self.save(self.checkpoint)  # the weights of the run's end, before the best ones are restored
        if self._best_state is not None:
            self.backbone.load_state_dict(self._best_state["backbone"])
            self.heads.load_state_dict(self._best_state["heads"])
        elif self.epoch:
            self.history.best_epoch = self.epoch
        return self.history

    def _evaluate_epoch(self, loss: float, has_val: bool) -> None:
        """Score the validation split (keeping the best weights) and, with ``log_test``, the
        test split; record the evaluation and hand it to ``on_eval``."""
        rec: Dict[str, float] = {"epoch": self.epoch, "loss": loss}
        if has_val:
            val = self.evaluate("val")
            rec.update({f"val_{k}": v for k, v in val.items() if k != "num_users"})
            if self.monitor not in val:
                raise ValueError(f"monitor {self.monitor!r} is not a computed metric; have {sorted(val)}")
            score = float(val[self.monitor])
            if score > self._best:
                self._best, self._bad, self._best_state = score, 0, self._state()
                self.history.best_epoch = self.epoch
            else:
                self._bad += 1
        if self.log_test:
            rec.update({f"test_{k}": v for k, v in self.evaluate("test").items() if k != "num_users"})
        self.history.evals.append(rec)
        if self.on_eval is not None:
            self.on_eval(rec)

    # ------------------------------------------------------------------ checkpoints
    def _head_generators(self) -> Dict[str, Dict[str, Tensor]]:
        """The RNG states of the heads' own generators, by head index and device."""
        return {str(k): {dev: g.get_state() for dev, g in getattr(h, "_generators", {}).items()}
                for k, h in enumerate(self.heads)}

    def save(self, path: Union[str, Path]) -> Path:
        """Write everything a resumed run needs to ``path``: weights, optimiser, epoch, the
        sampler's and heads' random states, torch's global RNG, history and early-stopping
        state. The file is replaced atomically (a crash never leaves half a checkpoint)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {
            "format": _CHECKPOINT_FORMAT,
            "epoch": self.epoch,
            "backbone": self.backbone.state_dict(),
            "heads": self.heads.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "sampler_rng": self.generator.get_state(),
            "head_rngs": self._head_generators(),
            "rng": torch.get_rng_state(),
            "history": dict(self.history.__dict__),
            "early_stopping": {"best": self._best, "bad": self._bad, "best_state": self._best_state},
        }
        atomic_torch_save(state, path)
        return path

    def load(self, path: Union[str, Path]) -> None:
        """Restore a checkpoint written by :meth:`save` into this trainer (built with the same
        model, data and settings); :meth:`fit` then continues from its epoch.

        Raises:
            FileNotFoundError: no file at ``path``.
            ValueError: not a recommendation checkpoint, or one of another model.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no checkpoint at {path}")
        try:
            state = torch.load(path, map_location="cpu", weights_only=False)
        except Exception as e:  # a truncated or foreign file: name it, not torch's unpickler
            raise ValueError(f"{path} is not a readable checkpoint: {e}") from None
        if not isinstance(state, dict) or state.get("format") != _CHECKPOINT_FORMAT:
            raise ValueError(f"{path} is not a graphssl recommendation checkpoint")
        try:
            self.backbone.load_state_dict(state["backbone"])
            self.heads.load_state_dict(state["heads"])
        except RuntimeError as e:
            raise ValueError(f"{path} is a checkpoint of another model or dataset: {e}") from None
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["sampler_rng"])
        for k, head in enumerate(self.heads):
            saved = state["head_rngs"].get(str(k), {})
            if saved:
                head._generators = {dev: torch.Generator(device=dev) for dev in saved}
                for dev, g in head._generators.items():
                    g.set_state(saved[dev])
        torch.set_rng_state(state["rng"])
        self.history = RecHistory(**state["history"])
        stop = state["early_stopping"]
        self._best, self._bad, self._best_state = stop["best"], stop["bad"], stop["best_state"]
        self.epoch = int(state["epoch"])

    def save_embeddings(self, path: Union[str, Path]) -> Path:
        """Write the final user and item embeddings (see :func:`save_embeddings`)."""
        return save_embeddings(*self.embeddings(), path)
