"""What the samplers return: `Block` (one sampled layer), `MiniBatch` (a neighbour-sampled
batch) and `Subgraph` (an induced subgraph, or a batch of them)."""
from __future__ import annotations

from typing import List, NamedTuple, Optional, Union

import torch
from torch import Tensor

from ..sparse.graph import Graph

__all__ = ["Block", "MiniBatch", "Subgraph"]

Device = Union[str, torch.device]


class Block(Graph):
    """One layer's sampled bipartite graph: messages flow from ``num_src_nodes`` source
    nodes to ``num_dst_nodes`` destination nodes, and the destination nodes are the first
    ``num_dst_nodes`` source nodes (so a layer can add each node's own features, and the
    next layer's sources are this layer's destinations).

    It is a :class:`~graphssl.sparse.Graph` (CSR indexed by destination, sources as local
    ids ``0..num_src_nodes-1``), so every op and layer accepts it, plus the global ids
    needed to gather features.

    Args:
        rowptr: ``[num_dst + 1]`` CSR offsets (they fix ``num_dst_nodes``).
        col: ``[E]`` local source id of each edge.
        src_nodes: ``[num_src]`` global id of every source node (destinations first).
        edge_ids: optional ``[E]`` CSR position of each edge in the sampled graph.
        value: optional ``[E]`` edge weights (the sampled graph's, when it has them).
        validate: check the CSR and ids (samplers build trusted Blocks and skip it).

    Attributes:
        src_nodes / n_id: ``[num_src]`` global ids; ``x_block = x[block.src_nodes]``.
        dst_nodes: ``[num_dst]`` global ids (a prefix of ``src_nodes``).
        edge_ids: ``[E]`` or None.

    Raises:
        ValueError: ``src_nodes`` not a 1-d integer tensor, fewer source than destination
            nodes, or ``edge_ids`` of the wrong length.
    """

    def __init__(self, rowptr: Tensor, col: Tensor, src_nodes: Tensor, edge_ids: Optional[Tensor] = None,
                 value: Optional[Tensor] = None, validate: bool = True) -> None:
        if validate:
            if not isinstance(src_nodes, Tensor) or src_nodes.dim() != 1 or src_nodes.is_floating_point():
                raise ValueError("Block src_nodes must be a 1-d integer tensor")
            if src_nodes.numel() < rowptr.numel() - 1:
                raise ValueError(f"a Block needs at least as many source nodes ({src_nodes.numel()}) as "
                                 f"destination nodes ({rowptr.numel() - 1}): destinations come first")
            if edge_ids is not None and edge_ids.numel() != col.numel():
                raise ValueError(f"edge_ids has {edge_ids.numel()} entries for {col.numel()} edges")
        super().__init__(rowptr, col, value, num_src_nodes=src_nodes.numel(), validate=validate)
        self.src_nodes = src_nodes
        self.edge_ids = edge_ids

    @property
    def n_id(self) -> Tensor:
        """Alias of ``src_nodes`` (PyG's name)."""
        return self.src_nodes

    @property
    def dst_nodes(self) -> Tensor:
        """``[num_dst_nodes]`` global ids of the destination nodes."""
        return self.src_nodes[:self.num_dst_nodes]

    @property
    def is_bipartite(self) -> bool:
        # A Block stays a Block even when no new source node was sampled.
        return True

    def __repr__(self) -> str:
        return (f"Block(num_src_nodes={self.num_src_nodes}, num_dst_nodes={self.num_dst_nodes}, "
                f"num_edges={self.num_edges}, device={self.device})")

    def to(self, device: Device) -> "Block":
        """A copy on ``device`` (ids travel along)."""
        device = torch.device(device)
        if device == self.device:
            return self
        move = (lambda t: t.to(device) if t is not None else None)
        return Block(self.rowptr.to(device), self.col.to(device), self.src_nodes.to(device),
                     move(self.edge_ids), move(self.value), validate=False)

    def with_value(self, value: Optional[Tensor]) -> "Block":
        """Same structure and ids with other edge weights."""
        g = Graph.with_value(self, value)
        b = Block(self.rowptr, self.col, self.src_nodes, self.edge_ids, g.value, validate=False)
        b._cache.update(g._cache)
        return b

    def graph(self) -> Graph:
        """The plain bipartite :class:`Graph` (without ids)."""
        return Graph(self.rowptr, self.col, self.value, num_src_nodes=self.num_src_nodes, validate=False)


class MiniBatch(NamedTuple):
    """A neighbour-sampled mini-batch, unpackable as ``seeds, blocks, input_nodes``.

    Attributes:
        seeds: ``[B]`` global ids of the output nodes (``blocks[-1].dst_nodes``).
        blocks: one :class:`Block` per layer, **outermost first**: ``blocks[0]`` consumes
            the input features ``x[input_nodes]`` and ``blocks[-1]`` produces the seeds'
            outputs, so ``h = x[input_nodes]; for layer, b in zip(layers, blocks): h =
            layer(b, h)`` (and :class:`graphssl.nn.GNNEncoder` takes the list directly).
        input_nodes: ``[N_in]`` global ids of the nodes whose features the batch needs
            (``blocks[0].src_nodes``).
    """

    seeds: Tensor
    blocks: List[Block]
    input_nodes: Tensor

    def to(self, device: Device) -> "MiniBatch":
        """A copy with every tensor on ``device``."""
        return MiniBatch(self.seeds.to(device), [b.to(device) for b in self.blocks], self.input_nodes.to(device))


class Subgraph(NamedTuple):
    """An induced subgraph (or a disjoint union of several) of a sampled graph.

    Attributes:
        graph: the subgraph, nodes numbered ``0..K-1``.
        nodes: ``[K]`` global id of every node (``x_sub = x[nodes]``).
        edge_ids: ``[E']`` CSR position in the sampled graph of every edge.
        ptr: ``[B + 1]`` node offsets when the batch holds ``B`` separate subgraphs
            (subgraph ``b`` owns nodes ``ptr[b]:ptr[b+1]``), else None.
        roots: ``[B]`` local ids of the nodes the subgraphs were grown from (the seeds of
            ego graphs, the roots of random walks), or None.
    """

    graph: Graph
    nodes: Tensor
    edge_ids: Tensor
    ptr: Optional[Tensor] = None
    roots: Optional[Tensor] = None

    def to(self, device: Device) -> "Subgraph":
        """A copy with every tensor on ``device``."""
        move = (lambda t: t.to(device) if t is not None else None)
        return Subgraph(self.graph.to(device), self.nodes.to(device), self.edge_ids.to(device),
                        move(self.ptr), move(self.roots))
