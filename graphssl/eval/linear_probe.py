"""Linear probe on frozen embeddings: the standard node-classification protocol of
graph SSL papers (a logistic-regression layer trained with Adam; the test accuracy is
read at the epoch with the best validation accuracy, so the test split never drives
selection), or DGI's variant (the last epoch's test accuracy, averaged over many
classifiers)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Union

import torch
from torch import Tensor, nn

from ..devices import resolve_device
from ..checks import check_int

__all__ = ["ProbeResult", "linear_probe", "PROBE_SELECTIONS"]

#: Which epoch a probe reports: the best validation epoch, or the last one (DGI's execute.py).
PROBE_SELECTIONS = ("best_val", "last")


@dataclass
class ProbeResult:
    """Outcome of one probe: accuracies (or the ``score`` given to :func:`linear_probe`)
    at the selected epoch (means over the classifiers when several were trained)."""

    test_acc: float
    val_acc: float
    train_acc: float
    best_epoch: int


def check_probe_inputs(embeddings: Tensor, labels: Tensor, train_mask: Tensor, val_mask: Tensor,
                       test_mask: Tensor) -> List[Tensor]:
    """Validate a node-classification protocol's inputs: ``[N, D]`` finite embeddings,
    ``[N]`` labels, three non-empty ``[N]`` bool masks whose nodes all have a label (>= 0).

    Returns:
        The three masks.

    Raises:
        ValueError: naming the first problem found.
    """
    if not isinstance(embeddings, Tensor) or embeddings.dim() != 2:
        raise ValueError(f"embeddings must be [N, D], got {getattr(embeddings, 'shape', type(embeddings).__name__)}")
    n = embeddings.size(0)
    if not isinstance(labels, Tensor) or labels.dim() != 1 or labels.numel() != n:
        raise ValueError(f"labels must have shape ({n},), got {getattr(labels, 'shape', None)}")
    masks = []
    for name, mask in (("train_mask", train_mask), ("val_mask", val_mask), ("test_mask", test_mask)):
        if not isinstance(mask, Tensor) or mask.dtype != torch.bool or mask.dim() != 1 or mask.numel() != n:
            raise ValueError(f"{name} must be a bool tensor of shape ({n},)")
        if not bool(mask.any()):
            raise ValueError(f"{name} selects no node")
        masks.append(mask)
    if not bool(torch.isfinite(embeddings).all()):
        raise ValueError("embeddings contain NaN or inf")
    used = masks[0] | masks[1] | masks[2]
    if bool((labels[used] < 0).any()):
        raise ValueError("a node in the train/val/test masks has no label (label < 0)")
    return masks


def linear_probe(
    embeddings: Tensor,
    labels: Tensor,
    train_mask: Tensor,
    val_mask: Tensor,
    test_mask: Tensor,
    epochs: int = 300,
    lr: float = 0.01,
    weight_decay: float = 1e-4,
    seed: int = 0,
    device: Union[str, torch.device, None] = None,
    score: Optional[Callable[[Tensor, Tensor], float]] = None,
    select: str = "best_val",
    repeats: int = 1,
) -> ProbeResult:
    """Train a linear classifier on frozen ``embeddings`` and report test accuracy at the
    best validation epoch (or at the last epoch, averaged over ``repeats`` classifiers).

    Args:
        embeddings: ``[N, D]`` float node embeddings (detached).
        labels: ``[N]`` int64 class ids (entries outside the masks may be -1).
        train_mask, val_mask, test_mask: ``[N]`` bool masks.
        epochs, lr, weight_decay: Adam settings of the probe.
        seed: seeds the classifier's initialisation.
        device: where to train (default: the embeddings' device).
        score: ``score(logits[mask], labels[mask]) -> float`` (higher is better) used for
            every split and for selection instead of accuracy, e.g. OGB's official
            Evaluator (:meth:`graphssl.eval.OGBEvaluator.probe_score`).
        select: ``"best_val"`` (the epoch with the best validation score; ties go to the
            later epoch) or ``"last"`` (the final epoch, as DGI's ``execute.py`` reads it:
            100 epochs, Adam lr 0.01, no weight decay, 50 classifiers).
        repeats: classifiers trained one after another from the seeded generator (fresh
            initialisations); the result holds the means of their accuracies and the
            rounded mean of their selected epochs.

    Raises:
        ValueError: shapes disagree, a mask is empty, embeddings hold NaN/inf, or a
            masked node has no label, ``device`` is not usable here
            (:func:`graphssl.devices.resolve_device`), an unknown ``select``, ``epochs`` or
            ``repeats`` below 1.
    """
    masks = check_probe_inputs(embeddings, labels, train_mask, val_mask, test_mask)
    if select not in PROBE_SELECTIONS:
        raise ValueError(f"unknown probe select {select!r}; expected one of {PROBE_SELECTIONS}")
    check_int("probe epochs", epochs)
    check_int("probe repeats", repeats)
    device = resolve_device(device) if device is not None else embeddings.device
    x = embeddings.detach().to(device, torch.float32)
    y = labels.to(device)
    tr, va, te = (m.to(device) for m in masks)
    num_classes = int(y[tr | va | te].max()) + 1
    gen = torch.Generator().manual_seed(seed)
    runs = [_train_classifier(x, y, (tr, va, te), num_classes, epochs, lr, weight_decay, gen, device, score,
                              select == "last") for _ in range(repeats)]
    if repeats == 1:
        return runs[0]
    n = float(repeats)
    return ProbeResult(test_acc=sum(r.test_acc for r in runs) / n, val_acc=sum(r.val_acc for r in runs) / n,
                       train_acc=sum(r.train_acc for r in runs) / n,
                       best_epoch=int(round(sum(r.best_epoch for r in runs) / n)))


def _train_classifier(x: Tensor, y: Tensor, masks: tuple, num_classes: int, epochs: int, lr: float,
                      weight_decay: float, gen: torch.Generator, device: torch.device,
                      score: Optional[Callable[[Tensor, Tensor], float]], last: bool) -> ProbeResult:
    """One classifier from ``gen``'s next initialisation; the scores at the best validation
    epoch, or at the last epoch with ``last`` (then only that epoch is scored)."""
    tr, va, te = masks
    clf = nn.Linear(x.size(1), num_classes)
    with torch.no_grad():  # seeded init, independent of the global RNG
        bound = 1.0 / max(x.size(1), 1) ** 0.5
        clf.weight.copy_(torch.rand(clf.weight.shape, generator=gen) * 2 * bound - bound)
        clf.bias.copy_(torch.rand(clf.bias.shape, generator=gen) * 2 * bound - bound)
    clf = clf.to(device)
    opt = torch.optim.Adam(clf.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    best = ProbeResult(0.0, -1.0, 0.0, -1)
    for epoch in range(epochs):
        clf.train()
        opt.zero_grad()
        loss_fn(clf(x[tr]), y[tr]).backward()
        opt.step()
        if last and epoch < epochs - 1:
            continue
        clf.eval()
        with torch.no_grad():
            logits = clf(x)
            if score is None:
                pred = logits.argmax(1)
                acc = [float((pred[m] == y[m]).float().mean()) for m in (tr, va, te)]
            else:
                acc = [float(score(logits[m], y[m])) for m in (tr, va, te)]
        if acc[1] >= best.val_acc:  # ties go to the later epoch, as in GraphMAE's protocol
            best = ProbeResult(test_acc=acc[2], val_acc=acc[1], train_acc=acc[0], best_epoch=epoch)
    return best
