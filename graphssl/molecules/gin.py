"""The molecule GIN of the transfer protocol (Hu et al. 2020; OGB's ``GNN_node``).

Atoms and bonds are categorical (:mod:`graphssl.molecules.features`): an atom is the sum of
one embedding per atom feature, a bond the sum of one embedding per bond feature (a new
bond embedding in every layer). A layer is GIN with edge features (GINE):

    ``h_t' = MLP((1 + eps) h_t + sum_{s -> t} relu(h_s + e_st))``,
    ``MLP = Linear(d, 2d) -> BatchNorm -> ReLU -> Linear(2d, d)``,

followed by BatchNorm, ReLU (not after the last layer) and dropout: OGB's ``GNN_node`` with
``gnn_type="gin"`` (``examples/graphproppred/mol``). Hu et al.'s ``pretrain-gnns`` differs in
one detail: it adds a self-loop edge with a dedicated bond type instead of the ``(1 + eps) h_t``
term; with OGB's 9 atom / 3 bond features (rather than Hu et al.'s 2 + 2) OGB's form is used.
"""
from __future__ import annotations

from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..nn.dropout import dropout
from ..nn.pool import global_pool
from ..sparse.batch import GraphBatch
from .features import ATOM_FEATURE_DIMS, BOND_FEATURE_DIMS

__all__ = ["CategoricalEncoder", "GINEConv", "MoleculeGIN", "pool_nodes"]

_JK = ("last", "sum", "concat", "max")


def pool_nodes(h: Tensor, batch: GraphBatch, reduce: str = "mean") -> Tensor:
    """``[N, F]`` node rows -> ``[B, F]`` per-graph sum / mean / max (empty graphs give 0).

    ``"sum"`` and ``"mean"`` use one ``index_add_`` over ``batch.batch`` (cheaper on CPU than
    the general segment reduction for the small graphs of a molecule batch).
    """
    if reduce == "max":
        return global_pool(h, batch, "max")
    if reduce not in ("sum", "mean"):
        raise ValueError(f"reduce must be 'sum', 'mean' or 'max', got {reduce!r}")
    if h.size(0) != batch.num_nodes:
        raise ValueError(f"expected {batch.num_nodes} node rows, got {h.size(0)}")
    out = h.new_zeros(batch.num_graphs, h.size(1)).index_add_(0, batch.batch, h)
    if reduce == "mean":
        counts = (batch.ptr[1:] - batch.ptr[:-1]).clamp(min=1).to(h.dtype)
        out = out / counts.unsqueeze(1)
    return out


class CategoricalEncoder(nn.Module):
    """Sum of one embedding per categorical column: ``[*, K] int64 -> [*, dim]``.

    Each table has ``dims[k] + 1`` rows: index ``dims[k]`` is a mask token (pretext tasks).

    Args:
        dims: vocabulary size of each column.
        dim: embedding width.
    """

    def __init__(self, dims: Sequence[int], dim: int) -> None:
        super().__init__()
        self.dims = list(dims)
        self.tables = nn.ModuleList([nn.Embedding(d + 1, dim) for d in self.dims])
        # where each column's table starts in the tables stacked end to end (not saved: it
        # follows from dims, and the state dict keeps one table per column)
        self.register_buffer("offsets", torch.tensor([0] + [d + 1 for d in self.dims[:-1]]).cumsum(0),
                             persistent=False)
        self.register_buffer("limits", torch.tensor(self.dims), persistent=False)  # largest code: the mask
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for t in self.tables:
            nn.init.xavier_uniform_(t.weight)

    def forward(self, codes: Tensor) -> Tensor:
        """Raises: ValueError for a non-integer tensor, the wrong number of columns, or a code
        outside its column's vocabulary (``0 .. dims[k]``, the last being the mask token)."""
        if codes.dtype not in (torch.int64, torch.int32) or codes.dim() < 1 or codes.size(-1) != len(self.dims):
            raise ValueError(f"expected int64 codes [*, {len(self.dims)}], got {codes.dtype} {tuple(codes.shape)}")
        bad = (codes < 0) | (codes > self.limits)
        if bool(bad.any()):
            col = int(bad.reshape(-1, len(self.dims)).any(0).nonzero()[0])
            raise ValueError(f"column {col} holds codes outside 0..{self.dims[col]} (its vocabulary and the mask "
                             f"token), e.g. {int(codes[..., col][bad[..., col]][0])}")
        # one bag-sum over the stacked tables: 3-4x faster, forward and backward, than a lookup
        # per column (the backward of each lookup scatters into its own table)
        stacked = torch.cat([t.weight for t in self.tables])
        flat = (codes.long() + self.offsets).reshape(-1, len(self.dims))
        return F.embedding_bag(flat, stacked, mode="sum").reshape(*codes.shape[:-1], stacked.size(1))


class GINEConv(nn.Module):
    """GIN layer with categorical bond features (see the module docstring).

    Args:
        dim: node width (input = output).
        bond_dims: bond vocabulary sizes (default OGB's ``[5, 6, 2]``).
    """

    def __init__(self, dim: int, bond_dims: Sequence[int] = tuple(BOND_FEATURE_DIMS)) -> None:
        super().__init__()
        self.dim = dim
        self.bond_encoder = CategoricalEncoder(bond_dims, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.BatchNorm1d(2 * dim), nn.ReLU(),
                                 nn.Linear(2 * dim, dim))
        self.eps = nn.Parameter(torch.zeros(1))

    def forward(self, batch: GraphBatch, h: Tensor, edge_attr: Tensor) -> Tensor:
        """``h [N, dim]``, ``edge_attr [E, 3]`` int64 (union CSR order) -> ``[N, dim]``."""
        g = batch.graph
        msg = F.relu(h[g.col] + self.bond_encoder(edge_attr))
        agg = torch.zeros_like(h).index_add_(0, g.row(), msg)
        return self.mlp((1 + self.eps) * h + agg)


class MoleculeGIN(nn.Module):
    """5-layer GIN over molecule graphs with atom and bond features (the pretraining backbone).

    Args:
        num_layers: message-passing layers (>= 1).
        hidden: width of every layer.
        dropout: dropout after every layer (training only).
        JK: jumping knowledge: ``"last"`` (output of the last layer), ``"sum"``, ``"max"``
            (over the input embedding and all layers) or ``"concat"`` (width
            ``(num_layers + 1) * hidden``).
        atom_dims, bond_dims: vocabulary sizes (OGB's by default).

    Shapes:
        ``forward(batch)``: a :class:`GraphBatch` with ``x [N, 9]`` int64 and
        ``edge_attr [E, 3]`` int64 -> ``[N, out_dim]`` node embeddings.

    Example:
        >>> from graphssl.molecules import smiles_to_graph
        >>> from graphssl.sparse import collate
        >>> b = collate([smiles_to_graph("CCO"), smiles_to_graph("c1ccccc1")])  # doctest: +SKIP
        >>> MoleculeGIN().eval().graph_embed(b).shape                           # doctest: +SKIP
        torch.Size([2, 300])
    """

    def __init__(self, num_layers: int = 5, hidden: int = 300, dropout: float = 0.5, JK: str = "last",
                 atom_dims: Sequence[int] = tuple(ATOM_FEATURE_DIMS),
                 bond_dims: Sequence[int] = tuple(BOND_FEATURE_DIMS)) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"MoleculeGIN needs num_layers >= 1, got {num_layers}")
        if hidden <= 0:
            raise ValueError(f"hidden must be positive, got {hidden}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if JK not in _JK:
            raise ValueError(f"JK must be one of {_JK}, got {JK!r}")
        self.num_layers, self.hidden, self.dropout, self.JK = num_layers, hidden, dropout, JK
        self.atom_encoder = CategoricalEncoder(atom_dims, hidden)
        self.convs = nn.ModuleList([GINEConv(hidden, bond_dims) for _ in range(num_layers)])
        self.norms = nn.ModuleList([nn.BatchNorm1d(hidden) for _ in range(num_layers)])

    @property
    def out_dim(self) -> int:
        """Width of the node embeddings."""
        return self.hidden * (self.num_layers + 1) if self.JK == "concat" else self.hidden

    def forward(self, batch: GraphBatch, x: Optional[Tensor] = None, edge_attr: Optional[Tensor] = None) -> Tensor:
        """Node embeddings ``[N, out_dim]``.

        Args:
            batch: the molecules (union graph, ``x``, ``edge_attr``).
            x, edge_attr: optional replacements for ``batch.x`` / ``batch.edge_attr``
                (e.g. with masked atoms), same shapes.

        Raises:
            ValueError: missing or malformed atom / bond features.
        """
        if not isinstance(batch, GraphBatch):
            raise ValueError(f"MoleculeGIN takes a GraphBatch, got {type(batch).__name__}")
        x = batch.x if x is None else x
        edge_attr = batch.edge_attr if edge_attr is None else edge_attr
        if x is None or x.dim() != 2 or x.size(0) != batch.num_nodes:
            raise ValueError(f"MoleculeGIN needs atom features x [{batch.num_nodes}, "
                             f"{len(self.atom_encoder.dims)}], got {None if x is None else tuple(x.shape)}")
        if edge_attr is None or edge_attr.dim() != 2 or edge_attr.size(0) != batch.num_edges:
            raise ValueError(f"MoleculeGIN needs bond features edge_attr [{batch.num_edges}, "
                             f"{len(self.convs[0].bond_encoder.dims)}], got "
                             f"{None if edge_attr is None else tuple(edge_attr.shape)}")
        h = self.atom_encoder(x)
        hs: List[Tensor] = [h]
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms)):
            h = norm(conv(batch, h, edge_attr))
            if i < self.num_layers - 1:
                h = F.relu(h)
            h = dropout(h, self.dropout, self.training)
            hs.append(h)
        if self.JK == "last":
            return h
        if self.JK == "sum":
            return torch.stack(hs).sum(0)
        if self.JK == "max":
            return torch.stack(hs).max(0).values
        return torch.cat(hs, dim=1)

    def graph_embed(self, batch: GraphBatch, reduce: str = "mean", **kw) -> Tensor:
        """``[B, out_dim]`` pooled graph embeddings (mean of the node embeddings by default;
        ``"sum"`` and ``"max"`` also work). Keyword arguments go to :meth:`forward`."""
        return pool_nodes(self(batch, **kw), batch, reduce)

    def embed_input(self, data: GraphBatch) -> Tensor:
        """``[B, out_dim]`` mean-pooled embeddings of a batch of molecules: what
        :meth:`graphssl.methods.SSLMethod.embed` returns for a method built on this encoder
        (a molecule pretext method, or a :class:`~graphssl.multitask.MultiTask` sharing it)."""
        return self.graph_embed(data)

    def extra_repr(self) -> str:
        return f"num_layers={self.num_layers}, hidden={self.hidden}, dropout={self.dropout}, JK={self.JK!r}"
