"""The molecule pretext tasks as SSL methods (each with its own :class:`MoleculeGIN`),
registered by name in :data:`graphssl.methods.METHODS`, and the loop that pretrains them
on a molecule corpus.

Registered methods: ``mol_attr_masking``, ``mol_context_prediction``, ``mol_context_property``,
``mol_motif_prediction``, ``mol_dsla``, ``mol_graphmae``, ``mol_graphcl``. Any of their tasks
also runs in :class:`graphssl.multitask.MultiTask` with a shared ``MoleculeGIN``.
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable, Dict, List, Mapping, Optional

import torch
from torch import Tensor, nn

from ...methods.base import GraphInput, SSLMethod, register_method
from ...multitask.multi_task import MultiTask
from ...multitask.task import PretextTask
from ...nn.pool import global_pool
from ...optim import build_optimizer
from ...sparse.batch import GraphBatch
from ..gin import MoleculeGIN
from .attribute_masking import AttributeMasking
from .common import check_molecules
from .context_prediction import ContextPrediction
from .dsla import DSLA
from .graphcl import MoleculeGraphCL
from .graphmae import MoleculeGraphMAE
from .grover import ContextualProperty
from .motifs import MotifPrediction, motif_labels

__all__ = ["MoleculePretextMethod", "MoleculeAttrMasking", "MoleculeContextPrediction",
           "MoleculeContextProperty", "MoleculeMotifPrediction", "MoleculeDSLA", "MoleculeGraphMAEMethod",
           "MoleculeGraphCLMethod", "needs_motif_labels", "attach_motif_labels", "train_pretext"]


def _encoder(encoder: Optional[nn.Module], encoder_kwargs: Optional[Mapping[str, Any]]) -> nn.Module:
    if encoder is not None:
        if encoder_kwargs:
            raise ValueError("pass either encoder or encoder_kwargs, not both")
        return encoder
    kw = {"dropout": 0.0}
    kw.update(encoder_kwargs or {})
    return MoleculeGIN(**kw)


class MoleculePretextMethod(SSLMethod):
    """A molecule :class:`PretextTask` with its own encoder, as an :class:`SSLMethod`.

    Args:
        task: the pretext task (its heads are this method's parameters too).
        encoder: the molecule encoder; default ``MoleculeGIN(**encoder_kwargs)`` (5 layers,
            300 wide, no dropout while pretraining, as Hu et al.).
        encoder_kwargs: options of the default encoder.
        seed: seeds the method's generator (masks, centres, perturbations, views).

    Raises:
        ValueError: ``task`` is not a PretextTask, or both ``encoder`` and ``encoder_kwargs``.
    """

    def __init__(self, task: PretextTask, encoder: Optional[nn.Module] = None,
                 encoder_kwargs: Optional[Mapping[str, Any]] = None, seed: Optional[int] = None) -> None:
        super().__init__()
        if not isinstance(task, PretextTask):
            raise ValueError(f"MoleculePretextMethod wraps a PretextTask, got {type(task).__name__}")
        self.encoder = _encoder(encoder, encoder_kwargs)
        self.task = task
        self.generator = torch.Generator().manual_seed(int(seed)) if seed is not None else None

    def loss(self, data: GraphInput) -> Tensor:
        return self.task.loss(self.encoder, data, self.generator)

    @torch.no_grad()
    def embed(self, data: GraphInput) -> Tensor:
        """``[B, D]`` mean-pooled molecule embeddings (eval mode)."""
        batch = check_molecules(data, "embed")
        was = self.training
        self.eval()
        h = global_pool(self.encoder(batch), batch, "mean")
        self.train(was)
        return h


def _emb_dim(encoder: Optional[nn.Module], encoder_kwargs: Optional[Mapping[str, Any]]) -> int:
    if encoder is not None:
        return int(getattr(encoder, "out_dim"))
    kw = dict(encoder_kwargs or {})
    hidden, layers = int(kw.get("hidden", 300)), int(kw.get("num_layers", 5))
    return hidden * (layers + 1) if kw.get("JK", "last") == "concat" else hidden


_DOC = """{what} as an SSL method: ``{cls}(in_dim=9, encoder=None, encoder_kwargs=None, seed=None,
**task_options)``; the options are those of :class:`{task}`."""


def _method(key: str, name: str, task_cls: type, what: str) -> type:
    """A :class:`MoleculePretextMethod` subclass ``name`` around ``task_cls``, registered as ``key``."""
    def __init__(self, in_dim: int = 9, encoder: Optional[nn.Module] = None,
                 encoder_kwargs: Optional[Mapping[str, Any]] = None, seed: Optional[int] = None,
                 **task_options: Any) -> None:
        task = task_cls(in_dim, _emb_dim(encoder, encoder_kwargs), **task_options)
        MoleculePretextMethod.__init__(self, task, encoder, encoder_kwargs, seed)

    doc = _DOC.format(what=what, cls=name, task=task_cls.__name__)
    cls = type(name, (MoleculePretextMethod,), {"__init__": __init__, "__doc__": doc, "task_class": task_cls})
    return register_method(key)(cls)


MoleculeAttrMasking = _method("mol_attr_masking", "MoleculeAttrMasking", AttributeMasking, "Attribute masking")
MoleculeContextPrediction = _method("mol_context_prediction", "MoleculeContextPrediction", ContextPrediction,
                                    "Context prediction")
MoleculeContextProperty = _method("mol_context_property", "MoleculeContextProperty", ContextualProperty,
                                  "GROVER's contextual property prediction")
MoleculeMotifPrediction = _method("mol_motif_prediction", "MoleculeMotifPrediction", MotifPrediction,
                                  "GROVER's motif prediction")
MoleculeDSLA = _method("mol_dsla", "MoleculeDSLA", DSLA, "D-SLA")
MoleculeGraphMAEMethod = _method("mol_graphmae", "MoleculeGraphMAEMethod", MoleculeGraphMAE, "GraphMAE on molecules")
MoleculeGraphCLMethod = _method("mol_graphcl", "MoleculeGraphCLMethod", MoleculeGraphCL, "GraphCL on molecules")


def needs_motif_labels(method: nn.Module) -> bool:
    """Whether ``method`` contains a :class:`MotifPrediction` task."""
    return any(isinstance(m, MotifPrediction) for m in method.modules())


def attach_motif_labels(batch: GraphBatch, labels: Tensor) -> GraphBatch:
    """Set ``batch.motif_labels`` (``[B, M]``) for :class:`MotifPrediction`; returns ``batch``.

    Raises:
        ValueError: ``labels`` does not have one row per molecule.
    """
    if labels.dim() != 2 or labels.size(0) != batch.num_graphs:
        raise ValueError(f"motif labels need {batch.num_graphs} rows, got {tuple(labels.shape)}")
    batch.motif_labels = labels
    return batch


def train_pretext(method: SSLMethod, corpus: Any, epochs: int, seed: int = 0, batch_size: int = 256,
                  lr: float = 1e-3, weight_decay: float = 0.0, device: Any = "cpu", progress: bool = False,
                  log: Optional[Callable[[str], None]] = None) -> List[float]:
    """Pretrain ``method`` on a molecule corpus with Adam (Hu et al.'s protocol: batch 256,
    learning rate 1e-3, no weight decay).

    Args:
        method: an SSL method whose ``loss(batch)`` takes a molecule :class:`GraphBatch`
            (a :class:`MoleculePretextMethod` or a :class:`MultiTask` of molecule tasks).
        corpus: a :class:`~graphssl.molecules.dataset.MoleculeGraphDataset` (``len``,
            ``batch(idx)``, ``smiles``).
        epochs: passes over the corpus (0: no training).
        seed: seeds the batch order (and nothing else: seed the method yourself).
        batch_size, lr, weight_decay: optimisation.
        device: where to train.
        progress: print one line per epoch (or call ``log``).

    Returns:
        The mean loss of every epoch.

    Raises:
        ValueError: ``epochs < 0``, ``batch_size < 1``, an empty corpus, or a loss that is
            not finite.
    """
    if epochs < 0 or batch_size < 1:
        raise ValueError(f"need epochs >= 0 and batch_size >= 1, got {epochs} and {batch_size}")
    n = len(corpus)
    if n == 0:
        raise ValueError("the pretraining corpus is empty")
    method.to(device).train()
    motifs = motif_labels(list(corpus.smiles)) if needs_motif_labels(method) else None
    params = [p for p in method.parameters() if p.requires_grad]
    opt = build_optimizer("adam", params, lr, weight_decay)
    order_gen = torch.Generator().manual_seed(int(seed))
    manual = bool(getattr(method, "manual_backward", False))
    history: List[float] = []
    for epoch in range(epochs):
        t0, total, steps = time.perf_counter(), 0.0, 0
        perm = torch.randperm(n, generator=order_gen)
        for s in range(0, n, batch_size):
            idx = perm[s:s + batch_size]
            if idx.numel() < 2:  # a lone molecule has no negatives and breaks batch norm
                continue
            batch = corpus.batch(idx).to(device)
            if motifs is not None:
                attach_motif_labels(batch, motifs[idx].to(device))
            opt.zero_grad(set_to_none=True)
            if manual:
                loss = method.backward_step(batch)
            else:
                loss = method.loss(batch)
                loss.backward()
            value = float(loss.detach())
            if not math.isfinite(value):
                raise ValueError(f"pretraining loss became {value} at epoch {epoch}; lower the learning rate")
            opt.step()
            hook = getattr(method, "after_step", None)
            if hook is not None:
                hook(epoch, epochs)
            total, steps = total + value, steps + 1
        history.append(total / max(steps, 1))
        if progress or log is not None:
            line = f"epoch {epoch + 1}/{epochs}: loss {history[-1]:.4f} ({time.perf_counter() - t0:.1f}s)"
            (log or print)(line)
    return history


def grover_method(vocab: Any, bond_vocab: Any = None, encoder: Optional[nn.Module] = None,
                  encoder_kwargs: Optional[Mapping[str, Any]] = None, seed: Optional[int] = None,
                  mask_rate: float = 0.15) -> MultiTask:
    """GROVER's two pretext tasks (contextual property with atom and bond dictionaries +
    motif prediction) on one :class:`MoleculeGIN`, summed (a fixed-weight :class:`MultiTask`)."""
    enc = _encoder(encoder, encoder_kwargs)
    dim = int(enc.out_dim)
    tasks = [ContextualProperty(9, dim, vocab=vocab, bond_vocab=bond_vocab, mask_rate=mask_rate),
             MotifPrediction(9, dim)]
    return MultiTask(enc, tasks=tasks, weighting="fixed", in_dim=9, emb_dim=dim, seed=seed)


def method_output(method: nn.Module) -> Dict[str, Any]:
    """The pretrained encoder's ``state_dict`` (what the molecule pretrainers return)."""
    return {k: v.detach().cpu().clone() for k, v in method.encoder.state_dict().items()}
