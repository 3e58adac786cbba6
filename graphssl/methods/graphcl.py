"""GraphCL (You et al., NeurIPS 2020): graph-level contrastive learning with augmentations.

Two views of every graph of a batch are encoded (:class:`~graphssl.methods.infograph.InfoGraphEncoder`,
the GIN backbone of GraphCL's unsupervised TU experiments), pooled, projected by a small
MLP and contrasted with a normalised-temperature cross-entropy over the graphs of the
batch: a graph's other view is its positive, the other graphs' views its negatives.

Augmentations are graphssl augmenters applied batch-wise (each graph within itself). A
*pool* (a list) draws one of its augmenters independently for every graph, as GraphCL's
``random2`` / ``random3`` / ``random4`` settings do; :data:`GRAPHCL_AUGMENTATIONS` names the
settings of the official unsupervised TU code.
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..checks import check_int, check_positive
from ..augment import Augmenter, GraphView, build_augmenter
from ..losses import chunked_similarity
from ..sparse import GraphItem, collate
from .base import GraphInput, SSLMethod, register_method
from .infograph import InfoGraphEncoder, graph_pointers, xavier_init_

__all__ = ["GraphCL", "GRAPHCL_AUGMENTATIONS", "graphcl_loss"]

_NODE_DROP = {"name": "node_drop", "p": 0.1}
# The official code drops 10% of the edges for "edge perturbation" (the random edges it
# draws are never inserted), so that is what reproduces its numbers.
_EDGE_PERTURB = {"name": "edge_drop", "p": 0.1}
# About 20% of the nodes, as a connected piece around random roots (official: 20%).
_SUBGRAPH = {"name": "random_walk_subgraph", "root_ratio": 0.05, "walk_length": 4}
# The official code overwrites the features of 10% of the nodes (with Gaussian noise).
_ATTR_MASK = {"name": "feature_mask", "p": 0.1, "mode": "row"}

#: Named augmentation settings of GraphCL's unsupervised TU code (``--aug``): single
#: augmentations and the per-graph random pools ``random2`` = {NodeDrop, Subgraph},
#: ``random3`` = + EdgePert, ``random4`` = + AttrMask. The paper picks ``random2`` for
#: biochemical molecules (MUTAG, PROTEINS, NCI1).
GRAPHCL_AUGMENTATIONS: Dict[str, Any] = {
    "none": None,
    "dnodes": _NODE_DROP,
    "pedges": _EDGE_PERTURB,
    "subgraph": _SUBGRAPH,
    "mask_nodes": _ATTR_MASK,
    "random2": [_NODE_DROP, _SUBGRAPH],
    "random3": [_NODE_DROP, _EDGE_PERTURB, _SUBGRAPH],
    "random4": [_NODE_DROP, _EDGE_PERTURB, _SUBGRAPH, _ATTR_MASK],
}

AugmentationSpec = Union[None, str, Mapping[str, Any], Augmenter, Sequence[Any]]


def graphcl_loss(z1: Tensor, z2: Tensor, tau: float = 0.2, symmetric: bool = False) -> Tensor:
    """GraphCL's NT-Xent over a batch of graph embeddings.

    With ``s_ij = cos(z1_i, z2_j) / tau``, ``loss = mean_i [log sum_{j != i} exp(s_ij) - s_ii]``:
    the other graphs' second views are the negatives and, as in the official code, the
    positive is not part of the denominator. Similarities are reduced in chunks
    (:func:`graphssl.losses.chunked_similarity`).

    Args:
        z1, z2: ``[B, D]`` projected embeddings of the two views, row ``i`` = graph ``i``.
        tau: temperature ``> 0``.
        symmetric: average with the same loss taking ``z2`` as anchors.

    Returns:
        A scalar to minimise.

    Raises:
        ValueError: shapes that differ, fewer than two graphs, ``tau <= 0``.
    """
    if z1.shape != z2.shape or z1.dim() != 2:
        raise ValueError(f"graphcl_loss needs two [B, D] views of the same shape, got {tuple(z1.shape)} "
                         f"and {tuple(z2.shape)}")
    if z1.size(0) < 2:
        raise ValueError("graphcl_loss needs at least two graphs (the others are the negatives)")
    u, v = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    pos = (u * v).sum(1) / tau
    if not symmetric:
        return (chunked_similarity(u, v, tau, exclude_diagonal=True) - pos).mean()
    rows, cols = chunked_similarity(u, v, tau, exclude_diagonal=True, return_columns=True)
    return 0.5 * ((rows - pos).mean() + (cols - pos).mean())


class _Augmentation:
    """One view's augmentation: none, one augmenter for the whole batch, or a pool from
    which every graph draws its own augmenter."""

    def __init__(self, spec: AugmentationSpec, which: str) -> None:
        if isinstance(spec, str) and spec.lower() in GRAPHCL_AUGMENTATIONS:
            spec = GRAPHCL_AUGMENTATIONS[spec.lower()]
        if spec is None or (isinstance(spec, str) and spec.lower() == "identity"):
            self.augmenters: List[Augmenter] = []
        elif isinstance(spec, (str, Mapping, Augmenter)):
            self.augmenters = [build_augmenter(spec)]
        elif isinstance(spec, Sequence):
            if len(spec) == 0:
                raise ValueError(f"{which}: an augmentation pool needs at least one augmenter")
            self.augmenters = [build_augmenter(_single(s, which)) for s in spec]
        else:
            raise ValueError(f"{which} must be None, a name ({', '.join(GRAPHCL_AUGMENTATIONS)} or an augmenter), "
                             f"an augmenter config, or a list of them; got {type(spec).__name__}")
        self.spec = spec

    def __call__(self, view: GraphView, generator: Optional[torch.Generator]) -> Tuple[GraphView, Optional[Tensor]]:
        """The augmented view and the order of its graphs (None: the input order)."""
        if not self.augmenters:
            return view, None
        if len(self.augmenters) == 1:
            return self.augmenters[0].apply(view, generator), None
        choice = torch.randint(len(self.augmenters), (view.num_graphs,), generator=generator).to(view.device)
        parts, order = [], []
        for k, aug in enumerate(self.augmenters):
            chosen = choice == k
            if bool(chosen.any()):
                parts.append(aug.apply(_select_graphs(view, chosen), generator))
                order.append(chosen.nonzero().view(-1))
        return _concat_views(parts), torch.cat(order)


def _single(spec: Any, which: str) -> Any:
    """A pool member: a preset name of one augmenter resolves to its config."""
    if isinstance(spec, str) and spec.lower() in GRAPHCL_AUGMENTATIONS:
        resolved = GRAPHCL_AUGMENTATIONS[spec.lower()]
        if not isinstance(resolved, Mapping):
            raise ValueError(f"{which}: {spec!r} is not a single augmentation and cannot be a pool member")
        return resolved
    return spec


def _select_graphs(view: GraphView, graph_mask: Tensor) -> GraphView:
    """The view of the graphs where ``graph_mask [B]`` is True (kept in order)."""
    node_mask = graph_mask[view.batch]
    new_id = torch.cumsum(graph_mask.long(), 0) - 1
    x = view.x[node_mask] if view.x is not None else None
    return GraphView(view.graph.subgraph(node_mask), x, None, new_id[view.batch[node_mask]], int(graph_mask.sum()))


def _concat_views(views: List[GraphView]) -> GraphView:
    """The disjoint union of batch views, graphs of ``views[0]`` first."""
    if len(views) == 1:
        return views[0]
    union = collate([GraphItem(v.graph, v.x) for v in views], y_level="graph")
    offsets = torch.tensor([0] + [v.num_graphs for v in views]).cumsum(0).tolist()
    batch = torch.cat([v.batch + off for v, off in zip(views, offsets)])
    return GraphView(union.graph, union.x, None, batch, offsets[-1])


@register_method("graphcl")
class GraphCL(SSLMethod):
    """GraphCL: contrast two augmented views of every graph of a batch.

    Args:
        in_dim: input feature width.
        hidden_dim, num_layers, conv, norm, activation, pooling: the encoder; see
            :class:`~graphssl.methods.infograph.InfoGraphEncoder` (graph embeddings are
            ``hidden_dim * num_layers`` wide).
        augment_1, augment_2: the two views' augmentations. Each is None (the graph
            itself: the official unsupervised TU code contrasts the original graph with one
            augmented view), a name of :data:`GRAPHCL_AUGMENTATIONS` (``"random2"``...), an
            augmenter name or config for :func:`graphssl.augment.build_augmenter`
            (``{"name": "node_drop", "p": 0.2}``, applied to every graph), or a list of them
            (every graph draws one).
        tau: temperature of :func:`graphcl_loss`.
        symmetric: contrast in both directions.
        proj_dim: width of the projection head (default: the embedding width).
        seed: seeds the method's generator (augmentations and pool draws); else the
            global RNG.

    Raises:
        ValueError: bad encoder arguments, an unknown augmentation, ``tau <= 0``.
    """

    levels = ("graph",)

    def __init__(self, in_dim: int, hidden_dim: int = 32, num_layers: int = 3, conv: str = "gin",
                 norm: Optional[str] = "batchnorm", activation: str = "relu", pooling: str = "sum",
                 augment_1: AugmentationSpec = None, augment_2: AugmentationSpec = "random2", tau: float = 0.2,
                 symmetric: bool = False, proj_dim: Optional[int] = None, seed: Optional[int] = None) -> None:
        super().__init__()
        check_positive("tau", tau)
        self.encoder = InfoGraphEncoder(in_dim, hidden_dim, num_layers, conv, norm, activation, pooling)
        dim = self.encoder.out_dim
        proj_dim = dim if proj_dim is None else proj_dim
        check_int("proj_dim", proj_dim)
        self.projector = nn.Sequential(nn.Linear(dim, proj_dim), nn.ReLU(), nn.Linear(proj_dim, proj_dim))
        self.augment_1 = _Augmentation(augment_1, "augment_1")
        self.augment_2 = _Augmentation(augment_2, "augment_2")
        self.tau, self.symmetric = float(tau), bool(symmetric)
        self.generator = torch.Generator().manual_seed(seed) if seed is not None else None
        xavier_init_(self)

    @property
    def out_dim(self) -> int:
        """Width of the graph embeddings :meth:`embed` returns."""
        return self.encoder.out_dim

    def _project_view(self, view: GraphView) -> Tensor:
        g, _ = self.encoder(view.graph, view.x, view.ptr())
        return self.projector(g)

    def views(self, data: GraphInput) -> Tuple[GraphView, Optional[Tensor], GraphView, Optional[Tensor]]:
        """The two augmented views of a batch, each with the order of its graphs
        (None: the batch order; else ``order[k]`` is the batch index of the view's graph ``k``).

        Raises:
            ValueError: no features, or inputs the augmenters reject.
        """
        ptr, batch = graph_pointers(data)
        view = GraphView(data.graph, data.x, None, batch, ptr.numel() - 1)
        v1, o1 = self.augment_1(view, self.generator)
        v2, o2 = self.augment_2(view, self.generator)
        return v1, o1, v2, o2

    def loss(self, data: GraphInput) -> Tensor:
        """GraphCL's contrastive loss on a batch of graphs.

        A batch of one graph has no negative: its loss is a zero that carries no gradient.
        """
        v1, o1, v2, o2 = self.views(data)
        z1, z2 = self._project_view(v1), self._project_view(v2)
        if z1.size(0) < 2:
            return z1.sum() * 0.0
        # Put both views in batch order so that row i of each is graph i.
        if o1 is not None:
            z1 = z1[torch.argsort(o1)]
        if o2 is not None:
            z2 = z2[torch.argsort(o2)]
        return graphcl_loss(z1, z2, self.tau, self.symmetric)

    @torch.no_grad()
    def embed(self, data: GraphInput) -> Tensor:
        """``[B, hidden_dim * num_layers]`` graph embeddings of the un-augmented graphs
        (the encoder's output, before the projection head; eval mode)."""
        was = self.training
        self.eval()
        ptr, _ = graph_pointers(data)
        g, _ = self.encoder(data.graph, data.x, ptr)
        self.train(was)
        return g
