"""The transfer protocol (Hu et al. 2020; GraphMAE's transfer table): fine-tune a (pretrained)
:class:`MoleculeGIN` with a linear head per task on the scaffold split and report the test
score at the best validation epoch.

Per seed: build the encoder (loading the pretrained ``state_dict`` if given), a linear head
``out_dim -> T`` on mean-pooled node embeddings, Adam (lr 1e-3), batches of 32, binary
cross-entropy over the labelled entries only (missing labels are masked out), ``epochs``
epochs (100 by default). After every epoch the valid and test sets are scored with the
dataset's OGB metric; the reported test score is the one of the epoch with the best valid
score (the first such epoch on ties). Test scores never influence any choice.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..devices import resolve_device
from ..optim import build_optimizer
from .dataset import MoleculeGraphDataset
from .evaluate import MoleculeEvaluator
from .gin import MoleculeGIN

__all__ = ["FinetuneResult", "MoleculeClassifier", "finetune", "finetune_seed", "masked_bce", "summarize_results"]


def masked_bce(logits: Tensor, y: Tensor) -> Tensor:
    """Mean binary cross-entropy over the labelled entries of ``y`` (NaN = missing).

    Args:
        logits, y: ``[B, T]``.

    Returns:
        A scalar; 0 (with a graph to ``logits``) when nothing is labelled.

    Raises:
        ValueError: shapes differ.
    """
    if logits.shape != y.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and labels {tuple(y.shape)} must have the same shape")
    mask = ~torch.isnan(y)
    if not bool(mask.any()):
        return logits.sum() * 0.0
    return F.binary_cross_entropy_with_logits(logits[mask], y[mask].to(logits.dtype))


class MoleculeClassifier(nn.Module):
    """A :class:`MoleculeGIN`, mean pooling and one linear head ``out_dim -> num_tasks``."""

    def __init__(self, encoder: MoleculeGIN, num_tasks: int, pool: str = "mean") -> None:
        super().__init__()
        if num_tasks < 1:
            raise ValueError(f"num_tasks must be >= 1, got {num_tasks}")
        self.encoder, self.pool = encoder, pool
        self.head = nn.Linear(encoder.out_dim, num_tasks)

    def forward(self, batch) -> Tensor:
        """``[B, num_tasks]`` logits."""
        return self.head(self.encoder.graph_embed(batch, self.pool))


@dataclass
class FinetuneResult:
    """One seed of :func:`finetune`.

    Attributes:
        dataset, seed, metric: what was run (``metric`` is ``"rocauc"`` or ``"ap"``).
        best_epoch: 1-based epoch with the best valid score.
        valid: best valid score; test: test score at ``best_epoch``; final_test: after the last epoch.
        history: per epoch ``{"epoch", "loss", "valid", "test"}``.
        seconds: wall time of the run.
        pretrained: whether an encoder state was loaded.
    """

    dataset: str
    seed: int
    metric: str
    best_epoch: int
    valid: float
    test: float
    final_test: float
    history: List[Dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    pretrained: bool = False

    def to_dict(self, history: bool = False) -> Dict[str, Any]:
        """The fields as a dict (without the per-epoch history unless asked)."""
        d = asdict(self)
        if not history:
            d.pop("history")
        return d


@torch.no_grad()
def _predict(model: nn.Module, ds: MoleculeGraphDataset, idx: Tensor, batch_size: int, device: torch.device) -> Tensor:
    model.eval()
    outs = [model(b.to(device)).float().cpu() for b in ds.batches(idx, batch_size)]
    return torch.cat(outs) if outs else torch.zeros(0, ds.num_tasks)


def _load_state(encoder: MoleculeGIN, state: Union[Mapping[str, Any], str, None]) -> bool:
    if state is None:
        return False
    if isinstance(state, str):
        state = torch.load(state, map_location="cpu", weights_only=True)
    if not isinstance(state, Mapping):
        raise ValueError(f"encoder_state must be a state_dict, a path or None, got {type(state).__name__}")
    missing, unexpected = encoder.load_state_dict(dict(state), strict=False)
    if missing or unexpected:
        raise ValueError(f"encoder_state does not fit MoleculeGIN({encoder.extra_repr()}): missing keys "
                         f"{list(missing)[:5]}, unexpected keys {list(unexpected)[:5]}")
    return True


def finetune_seed(encoder_state: Union[Mapping[str, Any], str, None], dataset: MoleculeGraphDataset, seed: int,
                  epochs: int = 100, batch_size: int = 32, lr: float = 1e-3, weight_decay: float = 0.0,
                  encoder_kwargs: Optional[Dict[str, Any]] = None, device: Union[str, torch.device] = "cpu",
                  eval_batch_size: int = 256, evaluator: Optional[MoleculeEvaluator] = None,
                  progress: bool = False) -> FinetuneResult:
    """Fine-tune once (one seed); see :func:`finetune`."""
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if dataset.num_tasks < 1:
        raise ValueError(f"dataset {dataset.name!r} has no label columns to fine-tune on")
    split = dataset.get_idx_split()
    evaluator = evaluator or MoleculeEvaluator(dataset.name)
    device = resolve_device(device)
    t0 = time.perf_counter()
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        encoder = MoleculeGIN(**(encoder_kwargs or {}))
        pretrained = _load_state(encoder, encoder_state)
        model = MoleculeClassifier(encoder, dataset.num_tasks).to(device)
        opt = build_optimizer("adam", model.parameters(), lr, weight_decay)
        gen = torch.Generator().manual_seed(seed)
        y_valid, y_test = dataset.y[split["valid"]], dataset.y[split["test"]]
        history: List[Dict[str, float]] = []
        best = (-math.inf, 0, math.nan)  # (valid, epoch, test)
        it = range(1, epochs + 1)
        if progress:
            from tqdm.auto import tqdm
            it = tqdm(it, desc=f"finetune {dataset.name} seed {seed}", unit="epoch")
        for epoch in it:
            model.train()
            total, steps = 0.0, 0
            for b in dataset.batches(split["train"], batch_size, shuffle=True, generator=gen):
                if b.num_nodes < 2:  # BatchNorm cannot normalise a single atom
                    continue
                b = b.to(device)
                loss = masked_bce(model(b), b.y)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach())
                steps += 1
            v = evaluator.score(y_valid, _predict(model, dataset, split["valid"], eval_batch_size, device))
            t = evaluator.score(y_test, _predict(model, dataset, split["test"], eval_batch_size, device))
            history.append({"epoch": epoch, "loss": total / max(steps, 1), "valid": v, "test": t})
            if not math.isnan(v) and v > best[0]:
                best = (v, epoch, t)
        if best[1] == 0:  # valid never scorable (tiny subsets): fall back to the last epoch
            best = (math.nan, epochs, history[-1]["test"])
    return FinetuneResult(dataset=dataset.name, seed=seed, metric=evaluator.metric, best_epoch=best[1],
                          valid=best[0], test=best[2], final_test=history[-1]["test"], history=history,
                          seconds=time.perf_counter() - t0, pretrained=pretrained)


def finetune(encoder_state: Union[Mapping[str, Any], str, None], dataset: MoleculeGraphDataset,
             seeds: Sequence[int] = (0, 1, 2), epochs: int = 100, batch_size: int = 32, lr: float = 1e-3,
             weight_decay: float = 0.0, encoder_kwargs: Optional[Dict[str, Any]] = None,
             device: Union[str, torch.device] = "cpu", eval_batch_size: int = 256,
             progress: bool = False) -> List[FinetuneResult]:
    """Fine-tune a pretrained (or fresh) :class:`MoleculeGIN` on ``dataset``'s scaffold split, once per seed.

    Args:
        encoder_state: a ``MoleculeGIN`` ``state_dict`` (or a path to one saved with
            ``torch.save``), or None for the no-pretraining baseline.
        dataset: a :class:`MoleculeGraphDataset` with labels and a split.
        seeds: one run per seed (seeds the model init, dropout and batch order; the caller's
            global RNG state is restored afterwards).
        epochs: fine-tuning epochs (Hu et al.: 100).
        batch_size, lr, weight_decay: Adam fine-tuning settings (Hu et al.: 32, 1e-3, 0).
        encoder_kwargs: ``MoleculeGIN`` arguments (must match the pretrained state).
        device: where to train.
        eval_batch_size: molecules per batch when scoring.
        progress: a progress bar per seed.

    Returns:
        One :class:`FinetuneResult` per seed.

    Raises:
        ValueError: no seeds, ``epochs < 1``, a dataset without labels or split, or a
        state_dict that does not fit the encoder.
    """
    if not seeds:
        raise ValueError("finetune needs at least one seed")
    evaluator = MoleculeEvaluator(dataset.name)
    return [finetune_seed(encoder_state, dataset, int(s), epochs=epochs, batch_size=batch_size, lr=lr,
                          weight_decay=weight_decay, encoder_kwargs=encoder_kwargs, device=device,
                          eval_batch_size=eval_batch_size, evaluator=evaluator, progress=progress)
            for s in seeds]


def summarize_results(results: Sequence[FinetuneResult]) -> Dict[str, float]:
    """Mean and (population) standard deviation of the test scores over seeds.

    Seeds whose test split could not be scored (NaN: no task with both classes, tiny
    subsets only) are left out of the mean and counted in ``n_unscored``.

    Returns:
        ``{"mean", "std", "n", "n_unscored"}`` (scores as fractions, e.g. 0.72; mean and std
        are NaN when no seed was scored).

    Raises:
        ValueError: no results.
    """
    if not results:
        raise ValueError("no results to summarise")
    vals = torch.tensor([r.test for r in results if not math.isnan(r.test)], dtype=torch.float64)
    n = int(vals.numel())
    mean = float(vals.mean()) if n else math.nan
    std = (float(vals.std(unbiased=False)) if n > 1 else 0.0) if n else math.nan
    return {"mean": mean, "std": std, "n": n, "n_unscored": len(results) - n}
