"""`MultiTask`: several pretext tasks (or SSL methods) training one shared encoder, their
gradients reconciled by a weighting (fixed, uncertainty, MGDA/Pareto, PCGrad); and
`ParetoGNN`, its preset with ParetoGNN's five tasks and MGDA."""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import torch
from torch import Tensor, nn

from ..methods.base import GraphInput, SSLMethod, register_method
from ..nn import build_encoder
from ._random import seeded_generator
from .gradients import accumulate_flat_grad, accumulate_grads, task_gradients
from .method_task import MethodTask
from .task import PretextTask, build_task
from .tasks import PARETOGNN_TASKS
from .weighting import Weighting, build_weighting

__all__ = ["MultiTask", "ParetoGNN", "DEFAULT_ENCODER"]

#: The encoder built when none is given: ParetoGNN's two-layer GCN (512 -> 256, batch
#: norm, PReLU) for the co-purchase and co-author graphs.
DEFAULT_ENCODER: Dict[str, Any] = {"name": "gcn", "hidden_dim": 512, "out_dim": 256, "num_layers": 2,
                                   "norm": "batchnorm", "activation": "prelu"}

TaskSpec = Union[str, Mapping[str, Any], PretextTask, SSLMethod]


@register_method("multitask")
class MultiTask(SSLMethod):
    """Train one encoder on several self-supervised tasks at once.

    Each step computes every task's loss with the shared encoder. Loss-based weightings
    (``fixed``, ``uncertainty``) back-propagate their weighted objective once.
    Gradient-based ones (``mgda``, ``pcgrad``) take one backward pass per task with
    ``torch.autograd.grad`` on the shared parameters and the task's own ones, keep the
    shared gradients as rows of a ``[T, P]`` matrix on the parameters' device, let the
    weighting turn their ``T x T`` Gram matrix into coefficients, and set the encoder's
    ``.grad`` to the combination; each task's heads get the gradient of their own loss.

    :class:`graphssl.train.Trainer` calls :meth:`backward_step` (``manual_backward``).

    Args:
        encoder: the shared encoder (any module called as ``encoder(graph, x) ->
            [N, emb_dim]``), a config for :func:`graphssl.nn.build_encoder`
            (``{"name": "gcn", "hidden_dim": 512, ...}``, built for ``in_dim``), or None
            for :data:`DEFAULT_ENCODER`.
        tasks: pretext tasks: registered names (``"subgraph_mi"``), configs
            (``{"name": "subgraph_mi", "tau": 0.2}``), :class:`PretextTask` instances, or
            :class:`SSLMethod` instances (wrapped in :class:`MethodTask`, their encoder
            replaced by the shared one).
        weighting: ``"mgda"`` (default), ``"fixed"``, ``"uncertainty"``, ``"pcgrad"``, a
            config (``{"name": "mgda", "normalization": "loss+"}``) or a Weighting.
        in_dim: input feature width (needed unless ``encoder`` is a module with ``in_dim``).
        emb_dim: encoder output width (default: the encoder's ``out_dim``).
        task_options: per-task options by task name, merged into named tasks' configs.
        seed: seeds the generator all tasks draw their masks, views and samples from.

    Raises:
        ValueError: no task, an unknown task or weighting name, bad options, or unknown
            widths.

    Example:
        >>> from graphssl.nn import build_encoder
        >>> enc = build_encoder("gcn", 16, 32, num_layers=2)
        >>> mt = MultiTask(enc, tasks=["feature_reconstruction", "graph_mi"], weighting="mgda", seed=0)
        >>> mt.task_names
        ['feature_reconstruction', 'graph_mi']
    """

    manual_backward = True

    def __init__(self, encoder: Union[nn.Module, Mapping[str, Any], None] = None, tasks: Sequence[TaskSpec] = (),
                 weighting: Union[str, Mapping[str, Any], Weighting] = "mgda", in_dim: Optional[int] = None,
                 emb_dim: Optional[int] = None, task_options: Optional[Mapping[str, Mapping[str, Any]]] = None,
                 seed: Optional[int] = None) -> None:
        super().__init__()
        self.encoder = self._build_encoder(encoder, in_dim)
        in_dim = in_dim if in_dim is not None else getattr(self.encoder, "in_dim", None)
        emb_dim = emb_dim if emb_dim is not None else getattr(self.encoder, "out_dim", None)
        if not isinstance(in_dim, int) or not isinstance(emb_dim, int):
            raise ValueError("MultiTask needs in_dim and emb_dim (pass them when the encoder has no "
                             "in_dim/out_dim attributes)")
        if isinstance(tasks, (str, Mapping)) or not tasks:
            raise ValueError("MultiTask needs a non-empty list of tasks")
        task_options = dict(task_options or {})
        built: Dict[str, PretextTask] = {}
        for spec in tasks:
            task = self._build_task(spec, in_dim, emb_dim, task_options)
            name, k = task.name or type(task).__name__.lower(), 2
            base = name
            while name in built:
                name, k = f"{base}_{k}", k + 1
            built[name] = task
        unknown = sorted(set(task_options) - {t.name for t in built.values()})
        if unknown:
            raise ValueError(f"task_options for tasks that are not in the task list: {unknown}")
        self.tasks = nn.ModuleDict(built)
        for task in self.tasks.values():
            if isinstance(task, MethodTask):
                task.bind(self.encoder)
        self.weighting = build_weighting(weighting, len(self.tasks))
        self.in_dim, self.emb_dim = in_dim, emb_dim
        self.generator = seeded_generator(seed)
        self.last_losses: Dict[str, float] = {}
        self.last_weights: Dict[str, float] = {}

    # ------------------------------------------------------------------ construction
    @staticmethod
    def _build_encoder(encoder: Union[nn.Module, Mapping[str, Any], None], in_dim: Optional[int]) -> nn.Module:
        if isinstance(encoder, nn.Module):
            return encoder
        if encoder is not None and not isinstance(encoder, Mapping):
            raise ValueError(f"encoder must be a module, a config mapping or None, got {type(encoder).__name__}")
        cfg = dict(DEFAULT_ENCODER if encoder is None else encoder)
        if in_dim is None:
            raise ValueError("MultiTask needs in_dim to build its encoder from a config")
        if "name" not in cfg or "hidden_dim" not in cfg:
            raise ValueError(f"an encoder config needs 'name' and 'hidden_dim', got keys {sorted(cfg)}")
        name, hidden = cfg.pop("name"), cfg.pop("hidden_dim")
        return build_encoder(name, in_dim, hidden, **cfg)

    @staticmethod
    def _build_task(spec: TaskSpec, in_dim: int, emb_dim: int, options: Dict[str, Mapping[str, Any]]) -> PretextTask:
        if isinstance(spec, SSLMethod):
            return MethodTask(spec)
        if isinstance(spec, PretextTask):
            return spec
        name = spec if isinstance(spec, str) else spec.get("name") if isinstance(spec, Mapping) else None
        extra = dict(options.get(str(name).lower(), {})) if name is not None else {}
        return build_task(spec, in_dim, emb_dim, **extra)

    # ------------------------------------------------------------------ pieces
    @property
    def task_names(self) -> List[str]:
        """The tasks' names, in order."""
        return list(self.tasks.keys())

    def shared_parameters(self) -> List[nn.Parameter]:
        """The encoder's trainable parameters (reconciled across tasks)."""
        return [p for p in self.encoder.parameters() if p.requires_grad]

    def _own_parameters(self, task: PretextTask, shared_ids: set) -> List[nn.Parameter]:
        return [p for p in task.parameters() if p.requires_grad and id(p) not in shared_ids]

    def _task_loss(self, name: str, task: PretextTask, data: GraphInput) -> Tensor:
        loss = task.loss(self.encoder, data, self.generator)
        if not isinstance(loss, Tensor) or loss.dim() != 0:
            raise ValueError(f"task {name!r} returned {type(loss).__name__} "
                             f"{tuple(getattr(loss, 'shape', ()))}, expected a scalar tensor")
        if not bool(torch.isfinite(loss)):
            raise FloatingPointError(f"the loss of task {name!r} became {float(loss)}; lower the learning rate "
                                     "or check the inputs")
        return loss

    def task_losses(self, data: GraphInput) -> Tensor:
        """``[T]`` every task's loss on ``data`` (with autograd graphs)."""
        return torch.stack([self._task_loss(n, t, data) for n, t in self.tasks.items()])

    def _record(self, losses: Tensor) -> None:
        self.last_losses = dict(zip(self.task_names, losses.detach().tolist()))
        self.last_weights = dict(zip(self.task_names, self.weighting.weights.tolist()))

    # ------------------------------------------------------------------ interface
    def loss(self, data: GraphInput) -> Tensor:
        """The weighted objective: a loss-based weighting's own, else ``sum_t w_t L_t`` with
        the gradient-based weighting's last weights (uniform before the first step).
        Back-propagating it is *not* a Pareto step; :meth:`backward_step` is."""
        losses = self.task_losses(data)
        if self.weighting.needs_gradients:
            total = (self.weighting.weights.to(losses) * losses).sum()
        else:
            total = self.weighting.combine_losses(losses)
        self._record(losses)
        return total

    def backward_step(self, data: GraphInput) -> Tensor:
        """Compute every task's loss and accumulate the combined update into ``.grad``.

        Returns:
            The detached sum of the raw task losses (for logging; per-task values are in
            :attr:`last_losses`, the weights in :attr:`last_weights`).

        Raises:
            FloatingPointError: a task loss is NaN or inf.
            ValueError: a task does not depend on the shared encoder (gradient-based
                weightings), or a weighting rejects the losses.
        """
        if not self.weighting.needs_gradients:
            losses = self.task_losses(data)
            self.weighting.combine_losses(losses).backward()
            self._record(losses)
            return losses.detach().sum()
        shared = self.shared_parameters()
        if not shared:
            raise ValueError("the shared encoder has no trainable parameter")
        shared_ids = {id(p) for p in shared}
        num_tasks = len(self.tasks)
        grads = torch.zeros(num_tasks, sum(p.numel() for p in shared), dtype=shared[0].dtype, device=shared[0].device)
        used_any = [False] * len(shared)
        own, own_grads, losses = [], [], []
        for t, (name, task) in enumerate(self.tasks.items()):
            params = self._own_parameters(task, shared_ids)
            loss = self._task_loss(name, task, data)
            used, g_own = task_gradients(loss, shared, params, grads[t])
            if not any(used):
                raise ValueError(f"task {name!r} does not depend on the shared encoder's parameters")
            used_any = [a or b for a, b in zip(used_any, used)]
            own.append(params)
            own_grads.append(g_own)
            losses.append(loss.detach())
        loss_vec = torch.stack(losses)
        gram = (grads @ grads.t()).to(torch.float64).cpu()  # T x T: the only thing leaving the device
        coef = self.weighting.coefficients(gram, loss_vec.cpu(), self.generator)
        accumulate_flat_grad(shared, coef.to(grads.device, grads.dtype) @ grads, used_any)
        for t in range(num_tasks):
            scale = float(coef[t]) if self.weighting.scale_heads else 1.0
            accumulate_grads(own[t], own_grads[t], scale)
        self._record(loss_vec)
        return loss_vec.sum()

    def after_step(self, epoch: int, total_epochs: int) -> None:
        """Forward the trainer's per-step hook to the tasks that have one."""
        for task in self.tasks.values():
            hook = getattr(task, "after_step", None)
            if hook is not None:
                hook(epoch, total_epochs)


@register_method("paretognn")
class ParetoGNN(MultiTask):
    """ParetoGNN (Ju et al., ICLR 2023): the five pretext tasks (feature reconstruction,
    graph- and subgraph-level mutual information, decorrelation, link prediction) on one
    encoder, reconciled by MGDA with l2-normalised gradients.

    Args:
        as :class:`MultiTask`, with ParetoGNN's tasks and weighting as defaults.
    """

    levels = ("node",)

    def __init__(self, encoder: Union[nn.Module, Mapping[str, Any], None] = None,
                 tasks: Sequence[TaskSpec] = PARETOGNN_TASKS,
                 weighting: Union[str, Mapping[str, Any], Weighting] = "mgda",
                 in_dim: Optional[int] = None, emb_dim: Optional[int] = None,
                 task_options: Optional[Mapping[str, Mapping[str, Any]]] = None, seed: Optional[int] = None) -> None:
        super().__init__(encoder, tasks, weighting, in_dim, emb_dim, task_options, seed)
