"""What the loaders return: node, graph, interaction and molecule datasets (dataclasses)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union, overload

import torch
from torch import Tensor

from ..sparse import Graph
from ..sparse.graph_sizes import GraphSizes

__all__ = ["NodeDataset", "LinkDataset", "GraphSample", "GraphDataset", "InteractionDataset", "MoleculeDataset",
           "MoleculeSizes"]


def _check_mask(name: str, m: Optional[Tensor], n: int, dataset: str) -> None:
    if m is None:
        return
    if not isinstance(m, Tensor) or m.dtype != torch.bool or m.shape != (n,):
        shape = tuple(m.shape) if isinstance(m, Tensor) else type(m).__name__
        raise ValueError(f"dataset {dataset!r}: {name} must be a bool tensor of shape ({n},), got {shape}")


@dataclass
class NodeDataset(GraphSizes):
    """One graph with node features, labels and (optionally) a public split.

    Attributes:
        name: dataset name.
        graph: undirected (both directions stored), coalesced, no self-loops.
        x: ``[N, F]`` float32 dense features.
        y: ``[N]`` int64 labels; ``-1`` marks a node without a label.
        train_mask, val_mask, test_mask: ``[N]`` bool masks, or None when the dataset has no
            public split (see :func:`graphssl.datasets.random_split`).
        num_classes: number of classes.
        extras: further per-dataset tensors (e.g. WikiCS's 20 splits as ``[N, 20]`` masks).
    """

    name: str
    graph: Graph
    x: Tensor
    y: Tensor
    train_mask: Optional[Tensor]
    val_mask: Optional[Tensor]
    test_mask: Optional[Tensor]
    num_classes: int
    extras: Dict[str, Tensor] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = self.graph.num_nodes
        if self.x.dim() != 2 or self.x.size(0) != n or self.x.dtype != torch.float32:
            raise ValueError(f"dataset {self.name!r}: x must be float32 [{n}, F], got "
                             f"{self.x.dtype} {tuple(self.x.shape)}")
        if self.y.shape != (n,) or self.y.dtype != torch.int64:
            raise ValueError(f"dataset {self.name!r}: y must be int64 [{n}], got {self.y.dtype} {tuple(self.y.shape)}")
        for k in ("train_mask", "val_mask", "test_mask"):
            _check_mask(k, getattr(self, k), n, self.name)

    def __repr__(self) -> str:
        split = ""
        if self.train_mask is not None:
            split = (f", split={int(self.train_mask.sum())}/{int(self.val_mask.sum())}/"
                     f"{int(self.test_mask.sum())}")
        return (f"NodeDataset({self.name!r}, num_nodes={self.num_nodes}, num_edges={self.num_edges}, "
                f"num_features={self.num_features}, num_classes={self.num_classes}{split})")


@dataclass
class LinkDataset(GraphSizes):
    """One graph with node features and an official link-prediction edge split (OGB's
    ``ogbl-*`` layout).

    Attributes:
        name: dataset name.
        graph: the message-passing graph (the training edges): undirected (both directions
            stored), coalesced, unweighted, no self-loops.
        x: ``[N, F]`` float32 dense features.
        train, valid, test: the split as the source ships it: ``"edge"`` ``[M, 2]`` int64
            node pairs, plus per-edge tensors of length ``M`` (ogbl-collab: ``"weight"``,
            ``"year"``) and, where shipped, ``"edge_neg"`` ``[K, 2]`` negative pairs.
        extras: further tensors (e.g. the raw per-edge files).
    """

    name: str
    graph: Graph
    x: Tensor
    train: Dict[str, Tensor]
    valid: Dict[str, Tensor]
    test: Dict[str, Tensor]
    extras: Dict[str, Tensor] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = self.graph.num_nodes
        if self.x.dim() != 2 or self.x.size(0) != n or self.x.dtype != torch.float32:
            raise ValueError(f"dataset {self.name!r}: x must be float32 [{n}, F], got "
                             f"{self.x.dtype} {tuple(self.x.shape)}")
        for part in ("train", "valid", "test"):
            d = getattr(self, part)
            if not isinstance(d, dict) or "edge" not in d:
                raise ValueError(f"dataset {self.name!r}: {part} must be a dict with an 'edge' entry")
            m = None
            for k, t in d.items():
                if not isinstance(t, Tensor):
                    raise ValueError(f"dataset {self.name!r}: {part}[{k!r}] must be a tensor")
                if k in ("edge", "edge_neg"):
                    if t.dtype != torch.int64 or t.dim() != 2 or t.size(1) != 2:
                        raise ValueError(f"dataset {self.name!r}: {part}[{k!r}] must be int64 [M, 2], got "
                                         f"{t.dtype} {tuple(t.shape)}")
                    if t.numel() and (int(t.min()) < 0 or int(t.max()) >= n):
                        raise ValueError(f"dataset {self.name!r}: {part}[{k!r}] has node ids outside 0..{n - 1}")
                    if k == "edge":
                        m = t.size(0)
            for k, t in d.items():
                if k not in ("edge", "edge_neg") and (t.dim() == 0 or t.size(0) != m):
                    rows = t.size(0) if t.dim() else "no"
                    raise ValueError(f"dataset {self.name!r}: {part}[{k!r}] has {rows} rows for {m} edges")

    def __repr__(self) -> str:
        sizes = "/".join(str(getattr(self, p)["edge"].size(0)) for p in ("train", "valid", "test"))
        return (f"LinkDataset({self.name!r}, num_nodes={self.num_nodes}, num_edges={self.num_edges}, "
                f"num_features={self.num_features}, split_edges={sizes})")


@dataclass
class GraphSample(GraphSizes):
    """One graph of a graph-classification dataset.

    Attributes:
        graph: the graph, nodes numbered ``0..n-1``.
        x: ``[n, F]`` float32 node features, or None (e.g. IMDB; see ``degree_features``).
        y: 0-d int64 class id.
        edge_attr: ``[e, D]`` float32 edge features in ``graph``'s CSR edge order, or None.
    """

    graph: Graph
    x: Optional[Tensor]
    y: Tensor
    edge_attr: Optional[Tensor] = None



@dataclass
class GraphDataset(Sequence[GraphSample]):
    """A list of graphs with one class label each.

    Indexing with an int gives a :class:`GraphSample`; with a slice, a list/tensor of indices
    or a bool mask it gives a :class:`GraphDataset` of those graphs (folds are dropped).

    Attributes:
        name: dataset name.
        samples: the graphs.
        num_classes: number of graph classes (labels are ``0..num_classes-1``).
        num_features: node feature width (0 when ``x`` is None).
        num_edge_features: edge feature width (0 when ``edge_attr`` is None).
        folds: optional published cross-validation folds, a list of ``(train_idx, test_idx)``
            int64 tensors.
    """

    name: str
    samples: List[GraphSample]
    num_classes: int
    num_features: int
    num_edge_features: int = 0
    folds: Optional[List[Tuple[Tensor, Tensor]]] = None

    def __len__(self) -> int:
        return len(self.samples)

    @overload
    def __getitem__(self, idx: int) -> GraphSample: ...

    @overload
    def __getitem__(self, idx: Union[slice, Sequence[int], Tensor]) -> "GraphDataset": ...

    def __getitem__(self, idx):
        if isinstance(idx, int) or (isinstance(idx, Tensor) and idx.dim() == 0 and not idx.is_floating_point()):
            return self.samples[int(idx)]
        if isinstance(idx, slice):
            picked = self.samples[idx]
        else:
            t = torch.as_tensor(idx)
            if t.dtype == torch.bool:
                if t.numel() != len(self):
                    raise ValueError(f"bool mask has length {t.numel()}, expected {len(self)}")
                t = t.nonzero().view(-1)
            if t.is_floating_point():
                raise ValueError("graph indices must be integers or a bool mask")
            picked = [self.samples[int(i)] for i in t.view(-1).tolist()]
        return GraphDataset(self.name, picked, self.num_classes, self.num_features, self.num_edge_features)

    def __iter__(self) -> Iterator[GraphSample]:
        return iter(self.samples)

    @property
    def num_graphs(self) -> int:
        """Number of graphs (``len(self)``)."""
        return len(self.samples)

    @property
    def y(self) -> Tensor:
        """``[num_graphs]`` int64 labels."""
        return torch.stack([s.y for s in self.samples]) if self.samples else torch.zeros(0, dtype=torch.long)

    @property
    def total_nodes(self) -> int:
        """Nodes summed over all graphs."""
        return sum(s.graph.num_nodes for s in self.samples)

    @property
    def total_edges(self) -> int:
        """Directed edges summed over all graphs."""
        return sum(s.graph.num_edges for s in self.samples)

    def __repr__(self) -> str:
        folds = f", folds={len(self.folds)}" if self.folds else ""
        return (f"GraphDataset({self.name!r}, num_graphs={len(self)}, num_classes={self.num_classes}, "
                f"num_features={self.num_features}{folds})")


@dataclass
class InteractionDataset:
    """User-item interactions for recommendation.

    Attributes:
        num_users, num_items: id ranges (users ``0..num_users-1``, items ``0..num_items-1``).
        train, test: ``[nnz, 2]`` int64 rows ``(user, item)``.
        val: optional validation interactions, same layout.
        user_features, item_features: optional dicts of int64 categorical codes: ``[U]`` /
            ``[I]`` for single-valued fields, ``[U, K]`` / ``[I, K]`` for multi-valued ones.
            Code 0 means missing / padding; real values start at 1.
        feature_vocab: for each feature field, the value of each code (``vocab[0] == "<pad>"``),
            so ``len(vocab)`` is the embedding-table size.
        name: dataset name.
    """

    num_users: int
    num_items: int
    train: Tensor
    test: Tensor
    val: Optional[Tensor] = None
    user_features: Optional[Dict[str, Tensor]] = None
    item_features: Optional[Dict[str, Tensor]] = None
    feature_vocab: Optional[Dict[str, List[str]]] = None
    name: str = ""

    def __post_init__(self) -> None:
        for k in ("train", "test", "val"):
            t = getattr(self, k)
            if t is None:
                continue
            if t.dtype != torch.int64 or t.dim() != 2 or t.size(1) != 2:
                raise ValueError(f"dataset {self.name!r}: {k} must be int64 [nnz, 2], got {t.dtype} {tuple(t.shape)}")
            if t.numel() and (int(t.min()) < 0 or int(t[:, 0].max()) >= self.num_users
                              or int(t[:, 1].max()) >= self.num_items):
                raise ValueError(f"dataset {self.name!r}: {k} has ids outside {self.num_users} users / "
                                 f"{self.num_items} items")

    @property
    def num_interactions(self) -> int:
        """All interactions: train + test (+ val)."""
        return sum(int(t.size(0)) for t in (self.train, self.test, self.val) if t is not None)

    def __repr__(self) -> str:
        val = f", val={self.val.size(0)}" if self.val is not None else ""
        return (f"InteractionDataset({self.name!r}, num_users={self.num_users}, num_items={self.num_items}, "
                f"train={self.train.size(0)}, test={self.test.size(0)}{val})")


class MoleculeSizes:
    """Mixin giving ``len()``, ``num_molecules`` and ``num_tasks`` to a molecule dataset with
    ``smiles`` (one per molecule) and ``task_names`` attributes."""

    def __len__(self) -> int:
        return len(self.smiles)

    @property
    def num_molecules(self) -> int:
        """Number of molecules ``M``."""
        return len(self.smiles)

    @property
    def num_tasks(self) -> int:
        """Number of label columns ``T``."""
        return len(self.task_names)


@dataclass
class MoleculeDataset(MoleculeSizes):
    """Molecules as SMILES strings with (possibly missing) binary task labels.

    Attributes:
        smiles: ``n`` SMILES strings.
        y: ``[n, T]`` float32 labels, NaN where missing.
        task_names: the ``T`` task (column) names.
        name: dataset name.
    """

    smiles: List[str]
    y: Tensor
    task_names: List[str]
    name: str = ""

    def __post_init__(self) -> None:
        if self.y.dim() != 2 or self.y.size(0) != len(self.smiles) or self.y.size(1) != len(self.task_names):
            raise ValueError(f"dataset {self.name!r}: y must be [{len(self.smiles)}, {len(self.task_names)}], "
                             f"got {tuple(self.y.shape)}")

    def __repr__(self) -> str:
        return f"MoleculeDataset({self.name!r}, num_molecules={self.num_molecules}, num_tasks={self.num_tasks})"
