"""Link-level sampling: seed edges, negative edges (uniform or by degree, optionally never
an existing edge), and the neighbour-sampled Blocks of every node they touch."""
from __future__ import annotations

from typing import List, NamedTuple, Optional

import torch
from torch import Tensor

from ..sparse.graph import Graph
from ..checks import check_int
from ._validation import check_graph, check_ids
from .base import Sampler, register_sampler
from .block import Block, MiniBatch
from .neighbor_sampler import NeighborSampler

__all__ = ["LinkSampler", "LinkBatch", "negative_targets"]

_NEGATIVES = ("uniform", "degree")
_EXCLUDE = (None, "self", "reverse")


class LinkBatch(NamedTuple):
    """A batch of positive and negative edges, with the nodes they touch.

    Attributes:
        edge_ids: ``[B]`` CSR positions of the positive (seed) edges.
        pos_edges: ``[2, B]`` global ``(source, target)`` of the positive edges.
        neg_edges: ``[2, B * k]`` global negative edges: positive ``i``'s source paired
            with ``k`` drawn targets at columns ``i*k .. i*k+k-1`` (fewer when
            ``exclude_existing`` could not find enough non-edges; see ``neg_index``).
        neg_index: ``[M]`` which positive each negative corrupts.
        nodes: ``[U]`` sorted unique global ids of all endpoints.
        pos_local / neg_local: the edges with endpoints as indices into ``nodes``.
        blocks: the Blocks (outermost first) computing the outputs of ``nodes``, when the
            sampler has a neighbour sampler; else None.
        input_nodes: ``blocks[0].src_nodes``, or ``nodes`` without blocks.
    """

    edge_ids: Tensor
    pos_edges: Tensor
    neg_edges: Tensor
    neg_index: Tensor
    nodes: Tensor
    pos_local: Tensor
    neg_local: Tensor
    blocks: Optional[List[Block]]
    input_nodes: Tensor

    def to(self, device) -> "LinkBatch":
        """A copy with every tensor on ``device``."""
        blocks = [b.to(device) for b in self.blocks] if self.blocks is not None else None
        return self._replace(**{f: getattr(self, f).to(device) for f in self._fields if f != "blocks"},
                             blocks=blocks)


def _sorted_edge_keys(graph: Graph) -> Tensor:
    """``[E]`` sorted keys ``target * N_src + source`` of every edge (cached on the graph)."""
    key_name = "sampling.edge_keys"
    if key_name not in graph._cache:
        keys = graph.row() * max(graph.num_src_nodes, 1) + graph.col
        if keys.numel() > 1 and bool((keys[1:] < keys[:-1]).any()):
            keys = torch.sort(keys).values
        graph._cache[key_name] = keys
    return graph._cache[key_name]


def _is_edge(graph: Graph, src: Tensor, dst: Tensor) -> Tensor:
    """``[M]`` bool: whether ``src[i] -> dst[i]`` is an edge of ``graph``."""
    keys = _sorted_edge_keys(graph)
    if keys.numel() == 0:
        return torch.zeros(src.numel(), dtype=torch.bool, device=src.device)
    q = dst * max(graph.num_src_nodes, 1) + src
    at = torch.searchsorted(keys, q).clamp_max(keys.numel() - 1)
    return keys.index_select(0, at) == q


def _drop_edges(block: Block, num_nodes: int, excluded: Tensor) -> Block:
    """``block`` without the edges whose key ``target * N + source`` (global ids) is in
    ``excluded``; node sets unchanged."""
    src, dst = block.src_nodes.index_select(0, block.col), block.src_nodes.index_select(0, block.row())
    keep = ~torch.isin(dst * num_nodes + src, excluded)
    if bool(keep.all()):
        return block
    kept = keep.nonzero().view(-1)
    before = torch.zeros(keep.numel() + 1, dtype=torch.long, device=keep.device)
    torch.cumsum(keep, 0, out=before[1:])
    pick = (lambda t: t.index_select(0, kept) if t is not None else None)
    return Block(before[block.rowptr], block.col.index_select(0, kept), block.src_nodes, pick(block.edge_ids),
                 pick(block.value), validate=False)


def negative_targets(graph: Graph, src: Tensor, num_negatives: int = 1, mode: str = "uniform",
                     degree_power: float = 0.75, exclude_existing: bool = False, max_tries: int = 10,
                     generator: Optional[torch.Generator] = None, _cdf: Optional[Tensor] = None):
    """Draw ``num_negatives`` random targets for every source in ``src``.

    Args:
        graph: a square graph.
        src: ``[B]`` source node ids.
        num_negatives: targets per source (``k >= 1``).
        mode: ``"uniform"`` over all nodes, or ``"degree"``: proportional to
            ``in_degree ** degree_power`` (word2vec's unigram^0.75 by default).
        exclude_existing: redraw targets ``t`` for which ``src -> t`` is an edge, up to
            ``max_tries`` rounds; negatives still colliding after that are dropped.
        generator: source of randomness.

    Returns:
        ``(neg_edges [2, M], neg_index [M])``: ``M = B * k`` unless some were dropped;
        ``neg_index[m]`` is the position in ``src`` that negative ``m`` belongs to.

    Raises:
        ValueError: unknown mode, ``k < 1``, a graph without nodes, or a degree mode
            on a graph without edges.
    """
    if mode not in _NEGATIVES:
        raise ValueError(f"negative mode must be one of {_NEGATIVES}, got {mode!r}")
    k = check_int("num_negatives", num_negatives)
    n = graph.num_nodes
    if n == 0:
        raise ValueError("cannot draw negatives from a graph without nodes")
    dev = graph.device
    gdev = generator.device if generator is not None else dev
    index = torch.arange(src.numel(), device=dev).repeat_interleave(k)
    s = src.repeat_interleave(k)
    cdf = _cdf
    if mode == "degree" and cdf is None:
        cdf = degree_cdf(graph, degree_power)

    def draw(m: int) -> Tensor:
        if mode == "uniform":
            return torch.randint(0, n, (m,), generator=generator, device=gdev).to(dev)
        u = torch.rand(m, generator=generator, dtype=torch.float64, device=gdev).to(dev) * cdf[-1]
        return torch.searchsorted(cdf, u, right=True).clamp_max(n - 1)

    t = draw(s.numel())
    if exclude_existing:
        bad = _is_edge(graph, s, t).nonzero().view(-1)
        for _ in range(max_tries):
            if bad.numel() == 0:
                break
            t = t.index_copy(0, bad, draw(bad.numel()))
            still = _is_edge(graph, s.index_select(0, bad), t.index_select(0, bad))
            bad = bad[still]
        if bad.numel():
            keep = torch.ones(s.numel(), dtype=torch.bool, device=dev)
            keep[bad] = False
            s, t, index = s[keep], t[keep], index[keep]
    return torch.stack([s, t]), index


def degree_cdf(graph: Graph, power: float = 0.75) -> Tensor:
    """``[N]`` float64 cumulative sum of ``in_degree ** power``.

    Raises:
        ValueError: the graph has no edges (all weights zero).
    """
    w = graph.in_degree().to(torch.float64).pow(float(power))
    w = torch.where(graph.in_degree() > 0, w, torch.zeros_like(w))
    cdf = torch.cumsum(w, 0)
    if cdf.numel() == 0 or float(cdf[-1]) <= 0:
        raise ValueError("degree-based negatives need a graph with edges")
    return cdf


@register_sampler("link")
class LinkSampler(Sampler):
    """Seed edges plus negatives, and Blocks for all their endpoints.

    Each positive edge ``s -> t`` (a CSR position of ``graph``) gets ``num_negatives``
    negatives ``s -> t'`` with ``t'`` drawn uniformly or by degree. With a neighbour
    sampler (``fanouts`` or ``neighbor_sampler``), every endpoint's output is computed by
    sampled Blocks, so a model scores pairs from ``h = encoder(blocks, x[input_nodes])``:
    ``(h[pos_local[0]] * h[pos_local[1]]).sum(-1)``.

    Args:
        graph: a square graph.
        num_negatives: negatives per positive (0 for none).
        negative: ``"uniform"`` or ``"degree"`` (``in_degree ** degree_power``).
        degree_power: exponent of the degree distribution.
        exclude_existing: never return an existing edge as a negative (redrawn up to
            ``max_tries`` times, then dropped).
        fanouts: build a :class:`NeighborSampler` with these fan-outs (and ``replace``).
        neighbor_sampler: or pass one (its graph may differ, e.g. without test edges).
        exclude: ``"self"`` removes the seed edges from the sampled Blocks (so a model
            cannot read the edge it must predict), ``"reverse"`` also their reverses
            ``t -> s`` (for undirected graphs); every parallel copy of an edge goes.
            None keeps them.
        seed: seeds the sampler's own generator.

    Raises:
        ValueError: bad arguments (both ``fanouts`` and ``neighbor_sampler``, unknown mode,
            negative counts).
    """

    def __init__(self, graph: Graph, num_negatives: int = 1, negative: str = "uniform", degree_power: float = 0.75,
                 exclude_existing: bool = False, fanouts: Optional[List[int]] = None, replace: bool = False,
                 neighbor_sampler: Optional[NeighborSampler] = None, max_tries: int = 10,
                 exclude: Optional[str] = None, seed: Optional[int] = None) -> None:
        super().__init__(seed)
        self.graph = check_graph(graph, "LinkSampler")
        self.num_negatives = check_int("num_negatives", num_negatives, low=0)
        if negative not in _NEGATIVES:
            raise ValueError(f"negative must be one of {_NEGATIVES}, got {negative!r}")
        self.negative, self.degree_power = negative, float(degree_power)
        self.exclude_existing = bool(exclude_existing)
        self.max_tries = check_int("max_tries", max_tries, low=0)
        if fanouts is not None and neighbor_sampler is not None:
            raise ValueError("give either fanouts or neighbor_sampler, not both")
        if neighbor_sampler is not None and not isinstance(neighbor_sampler, NeighborSampler):
            raise ValueError(f"neighbor_sampler must be a NeighborSampler, got {type(neighbor_sampler).__name__}")
        if neighbor_sampler is not None and neighbor_sampler.graph.num_nodes != graph.num_nodes:
            raise ValueError(f"neighbor_sampler's graph has {neighbor_sampler.graph.num_nodes} nodes, "
                             f"this graph {graph.num_nodes}")
        if exclude not in _EXCLUDE:
            raise ValueError(f"exclude must be one of {_EXCLUDE}, got {exclude!r}")
        if exclude is not None and fanouts is None and neighbor_sampler is None:
            raise ValueError("exclude removes edges from sampled Blocks: give fanouts or a neighbor_sampler")
        self.exclude = exclude
        self.neighbor_sampler = neighbor_sampler if fanouts is None else NeighborSampler(graph, fanouts, replace)
        self._cdf = degree_cdf(graph, self.degree_power) if (negative == "degree" and self.num_negatives) else None

    def default_items(self) -> Tensor:
        """Every edge (CSR positions ``0..E-1``)."""
        return torch.arange(self.graph.num_edges)

    def sample(self, edge_ids: Tensor, generator: Optional[torch.Generator] = None) -> LinkBatch:
        """Positives ``edge_ids`` (CSR positions), their negatives, and Blocks.

        Raises:
            ValueError: edge ids not 1-d integers or out of range.
        """
        generator = self._generator(generator)
        g = self.graph
        eid = check_ids(edge_ids, g.num_edges, "edge_ids", g.device)
        pos = torch.stack([g.col.index_select(0, eid), g.row().index_select(0, eid)])
        if self.num_negatives:
            neg, neg_index = negative_targets(g, pos[0], self.num_negatives, self.negative, self.degree_power,
                                              self.exclude_existing, self.max_tries, generator, self._cdf)
        else:
            neg = torch.zeros(2, 0, dtype=torch.long, device=g.device)
            neg_index = torch.zeros(0, dtype=torch.long, device=g.device)
        nodes, inv = torch.unique(torch.cat([pos.reshape(-1), neg.reshape(-1)]), return_inverse=True)
        b = pos.size(1)
        pos_local = inv[:2 * b].view(2, b)
        neg_local = inv[2 * b:].view(2, -1)
        blocks, input_nodes = None, nodes
        if self.neighbor_sampler is not None:
            mb: MiniBatch = self.neighbor_sampler.sample(nodes, generator)
            blocks, input_nodes = mb.blocks, mb.input_nodes
            if self.exclude is not None:
                n = max(g.num_nodes, 1)
                excluded = pos[1] * n + pos[0]
                if self.exclude == "reverse":
                    excluded = torch.cat([excluded, pos[0] * n + pos[1]])
                blocks = [_drop_edges(b, n, excluded) for b in blocks]
        return LinkBatch(eid, pos, neg, neg_index, nodes, pos_local, neg_local, blocks, input_nodes)
