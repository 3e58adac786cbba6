"""Linear probe on frozen embeddings: the standard node-classification protocol of
graph SSL papers (a logistic-regression layer trained with Adam; the test accuracy is
read at the epoch with the best validation accuracy, so the test split never drives
selection)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Union

import torch
from torch import Tensor, nn

from ..devices import resolve_device

__all__ = ["ProbeResult", "linear_probe"]


@dataclass
class ProbeResult:
    """Outcome of one probe: accuracies (or the ``score`` given to :func:`linear_probe`)
    at the best validation epoch."""

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
) -> ProbeResult:
    """Train a linear classifier on frozen ``embeddings`` and report test accuracy at the
    best validation epoch.

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

    Raises:
        ValueError: shapes disagree, a mask is empty, embeddings hold NaN/inf, or a
            masked node has no label, or ``device`` is not usable here
            (:func:`graphssl.devices.resolve_device`).
    """
    masks = check_probe_inputs(embeddings, labels, train_mask, val_mask, test_mask)
    device = resolve_device(device) if device is not None else embeddings.device
    x = embeddings.detach().to(device, torch.float32)
    y = labels.to(device)
    tr, va, te = (m.to(device) for m in masks)
    num_classes = int(y[tr | va | te].max()) + 1
    gen = torch.Generator().manual_seed(seed)
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
