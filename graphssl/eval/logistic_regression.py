"""L2-regularised logistic regression on frozen embeddings, with the regularisation
strength chosen on the validation split: the protocol of the random-split benchmarks
(Amazon-Photo/Computers, Coauthor-CS/Physics, WikiCS) used by BGRL and its successors.

Embeddings are L2-normalised row-wise (optional), then one multinomial classifier is
fitted per value of the inverse regularisation strength ``C`` by full-batch L-BFGS
(deterministic: no seed needed), warm-started from the previous ``C``. The test accuracy is
read for the ``C`` with the best validation accuracy, so the test split never drives
selection. BGRL fits one-vs-rest liblinear classifiers and picks ``C`` by cross-validation
on the training split; this module fits one multinomial classifier and picks ``C`` on the
validation split, as the 10%/10%/80% protocol provides one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from ..devices import resolve_device
from .linear_probe import check_probe_inputs

__all__ = ["LogisticRegressionResult", "logistic_regression", "DEFAULT_C_GRID"]

#: BGRL's grid of inverse regularisation strengths: 2^-10 ... 2^10.
DEFAULT_C_GRID = tuple(2.0 ** k for k in range(-10, 11))


@dataclass
class LogisticRegressionResult:
    """Accuracies at the ``C`` with the best validation accuracy."""

    test_acc: float
    val_acc: float
    train_acc: float
    best_c: float


def _fit(x: Tensor, onehot: Tensor, w: Tensor, b: Tensor, l2: float, max_iter: int, tol: float) -> None:
    """Minimise ``mean CE + l2 / 2 * ||W||^2`` over ``(w, b)`` in place by L-BFGS.

    The gradient is written by hand (``X^T (softmax - Y) / n``): on small problems
    autograd's bookkeeping would cost more than the arithmetic.
    """
    opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=max_iter, tolerance_grad=tol, tolerance_change=tol * 1e-3,
                            history_size=10, line_search_fn="strong_wolfe")
    n = x.size(0)

    def closure() -> Tensor:
        logits = torch.addmm(b, x, w)
        logp = torch.log_softmax(logits, dim=1)
        diff = (logp.exp() - onehot) / n
        w.grad = x.t() @ diff + l2 * w
        b.grad = diff.sum(0)
        return -(logp * onehot).sum() / n + 0.5 * l2 * (w * w).sum()

    opt.step(closure)


def logistic_regression(
    embeddings: Tensor,
    labels: Tensor,
    train_mask: Tensor,
    val_mask: Tensor,
    test_mask: Tensor,
    c_grid: Optional[Sequence[float]] = None,
    normalize: bool = True,
    max_iter: int = 100,
    tol: float = 1e-5,
    device: Union[str, torch.device, None] = None,
) -> LogisticRegressionResult:
    """Fit L2-regularised multinomial logistic regression for every ``C`` in ``c_grid`` on
    the training nodes and report the test accuracy at the best validation ``C``.

    The objective for one ``C`` is sklearn's ``C * sum_i CE_i + ||W||^2 / 2`` (bias not
    penalised), scaled by ``1 / (C * n_train)``.

    Args:
        embeddings: ``[N, D]`` float node embeddings (detached).
        labels: ``[N]`` int64 class ids (entries outside the masks may be -1).
        train_mask, val_mask, test_mask: ``[N]`` bool masks.
        c_grid: inverse regularisation strengths (default :data:`DEFAULT_C_GRID`, BGRL's).
        normalize: L2-normalise each embedding first (the protocol's default).
        max_iter: L-BFGS iterations per ``C``.
        tol: L-BFGS gradient tolerance.
        device: where to fit (default: the embeddings' device).

    Returns:
        A :class:`LogisticRegressionResult`; ties in validation accuracy go to the
        smaller ``C`` (the stronger regularisation).

    Raises:
        ValueError: shapes disagree, a mask is empty, embeddings hold NaN/inf, a masked
            node has no label, ``c_grid`` is empty or holds a non-positive value, or ``device`` is not usable
            here (:func:`graphssl.devices.resolve_device`).

    Example:
        >>> emb = torch.cat([torch.randn(50, 4) + 3, torch.randn(50, 4) - 3])
        >>> y = torch.cat([torch.zeros(50), torch.ones(50)]).long()
        >>> tr = torch.zeros(100, dtype=torch.bool); tr[::5] = True
        >>> va = torch.zeros(100, dtype=torch.bool); va[1::5] = True
        >>> logistic_regression(emb, y, tr, va, ~(tr | va)).test_acc > 0.9
        True
    """
    masks = check_probe_inputs(embeddings, labels, train_mask, val_mask, test_mask)
    grid = [float(c) for c in (DEFAULT_C_GRID if c_grid is None else c_grid)]
    if not grid or min(grid) <= 0:
        raise ValueError(f"c_grid must hold positive values, got {c_grid!r}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter}")
    device = resolve_device(device) if device is not None else embeddings.device
    x = embeddings.detach().to(device, torch.float64)
    if normalize:
        x = F.normalize(x, dim=1)
    y = labels.to(device)
    tr, va, te = (m.to(device) for m in masks)
    num_classes = int(y[tr | va | te].max()) + 1
    x_tr, y_tr = x[tr], y[tr]
    w = torch.zeros(x.size(1), num_classes, dtype=x.dtype, device=device)
    b = torch.zeros(num_classes, dtype=x.dtype, device=device)
    onehot = F.one_hot(y_tr, num_classes).to(x.dtype)
    best: Optional[LogisticRegressionResult] = None
    for c in sorted(grid):  # strong to weak regularisation, each fit warm-started from the last
        _fit(x_tr, onehot, w, b, 1.0 / (c * x_tr.size(0)), max_iter, tol)
        pred = (x @ w + b).argmax(1)
        acc = [float((pred[m] == y[m]).double().mean()) for m in (tr, va, te)]
        if best is None or acc[1] > best.val_acc:
            best = LogisticRegressionResult(test_acc=acc[2], val_acc=acc[1], train_acc=acc[0], best_c=c)
    assert best is not None
    return best
