"""Mini-batch inputs for SSL methods: what a sampler returns, turned into what a method's
``loss`` takes, and the re-iterable stream of them a :class:`graphssl.train.Trainer`
trains on (``Trainer(..., sampler=...)``).

- A subgraph sample (:class:`~graphssl.sampling.Subgraph` from the local-cluster,
  random-walk or cluster samplers) becomes a :class:`SubgraphInput`: an ordinary
  ``(graph, x)`` input, so every node-level method (GRACE, BGRL, GraphMAE/GraphMAE2, the
  multi-task trainer, ...) trains on it unchanged.
- A neighbour-sampled :class:`~graphssl.sampling.MiniBatch` becomes a :class:`BlockInput`
  (Blocks plus the input nodes' features); methods that declare ``supports_blocks``
  (GraphMAE, GraphMAE2) train on it.
- :func:`embed_layerwise` embeds a large graph layer by layer after training.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

import torch
from torch import Tensor

from .checks import check_int
from .devices import resolve_device
from .nn.graph_views import attach_global_degrees
from .nn.layerwise import layerwise_inference
from .sampling import Block, MiniBatch, SampleLoader, Sampler, Subgraph
from .sparse.graph import Graph
from .sparse.graph_sizes import GraphSizes

__all__ = ["BlockInput", "SubgraphInput", "make_input", "SampledInputs", "shard_items", "embed_layerwise",
           "sampler_from_config"]

Device = Union[str, torch.device, None]


@dataclass
class SubgraphInput(GraphSizes):
    """A sampled subgraph with its nodes' features: a method input like a full graph.

    Attributes:
        graph: the subgraph (or the disjoint union of several), nodes ``0..K-1``.
        x: ``[K, F]`` features of its nodes.
        nodes: ``[K]`` global id of every node.
        roots: ``[B]`` local ids of the nodes the subgraphs grew from, or None.
        subgraph_ptr: ``[B + 1]`` node offsets of the separate subgraphs, or None (not
            named ``ptr``: the subgraphs are node-level samples, not a graph batch to pool).
    """

    graph: Graph
    x: Tensor
    nodes: Tensor
    roots: Optional[Tensor] = None
    subgraph_ptr: Optional[Tensor] = None


@dataclass
class BlockInput:
    """A neighbour-sampled mini-batch with its input features.

    Attributes:
        blocks: one :class:`~graphssl.sampling.Block` per layer, outermost first
            (``blocks[-1]`` outputs the seeds); every Block carries the sampled graph's
            degrees for GCN layers (:func:`graphssl.nn.attach_global_degrees`).
        x: ``[N_in, F]`` features of ``blocks[0]``'s source nodes (the seeds first: local
            id ``i`` is the same node in every Block where it exists).
        seeds: ``[B]`` global ids of the output nodes.
        input_nodes: ``[N_in]`` global ids of the rows of ``x``.
    """

    blocks: List[Block]
    x: Tensor
    seeds: Tensor
    input_nodes: Tensor

    @property
    def num_seeds(self) -> int:
        return self.seeds.numel()


def make_input(sample: Any, x: Tensor, graph: Optional[Graph] = None,
               device: Device = None) -> Union[SubgraphInput, BlockInput]:
    """Gather the features of a sample and move it to ``device``.

    Args:
        sample: a :class:`~graphssl.sampling.Subgraph` or a
            :class:`~graphssl.sampling.MiniBatch`.
        x: ``[N, F]`` features of the whole graph (any device; rows are gathered there).
        graph: the sampled graph; for a MiniBatch its degrees are attached to the Blocks.
        device: target device (default: ``x``'s).

    Returns:
        :class:`SubgraphInput` or :class:`BlockInput`.

    Raises:
        ValueError: another kind of sample (e.g. a link batch), or ids out of ``x``'s range.
    """
    device = torch.device(device) if device is not None else x.device  # per batch: the loader resolved it
    if isinstance(sample, Subgraph):
        nodes = sample.nodes
        _check_range(nodes, x, "subgraph nodes")
        feats = x.index_select(0, nodes.to(x.device)).to(device)
        move = (lambda t: t.to(device) if t is not None else None)
        return SubgraphInput(sample.graph.to(device), feats, nodes.to(device), move(sample.roots), move(sample.ptr))
    if isinstance(sample, MiniBatch):
        _check_range(sample.input_nodes, x, "input nodes")
        feats = x.index_select(0, sample.input_nodes.to(x.device)).to(device)
        blocks = [b.to(device) for b in sample.blocks]
        if graph is not None:
            attach_global_degrees(blocks, graph)
        return BlockInput(blocks, feats, sample.seeds.to(device), sample.input_nodes.to(device))
    raise ValueError(f"mini-batch training takes Subgraph or MiniBatch samples (node, subgraph samplers), got "
                     f"{type(sample).__name__}")


def _check_range(ids: Tensor, x: Tensor, what: str) -> None:
    if ids.numel() and int(ids.max()) >= x.size(0):
        raise ValueError(f"{what} reach id {int(ids.max())} but x has only {x.size(0)} rows: the sampler's graph "
                         "and the features do not match")


def shard_items(items: Tensor, epoch: int, seed: int, rank: int, world_size: int) -> Tensor:
    """This rank's share of ``items`` for ``epoch``: one permutation seeded by
    ``(seed, epoch)``, the same on every rank, cut into ``world_size`` equal strided
    shares (as ``torch.utils.data.DistributedSampler``; the ``len % world_size`` items
    left over change every epoch), so all ranks run the same number of steps.

    Raises:
        ValueError: fewer items than ranks, or a rank outside ``[0, world_size)``.
    """
    if not 0 <= rank < world_size:
        raise ValueError(f"rank {rank} outside [0, {world_size})")
    n = items.numel()
    per = n // world_size
    if per == 0:
        raise ValueError(f"{n} items cannot be shared among {world_size} processes")
    gen = torch.Generator().manual_seed((int(seed) * 1_000_003 + int(epoch)) % (1 << 62))
    perm = torch.randperm(n, generator=gen)
    return items.index_select(0, perm[rank::world_size][:per])


class SampledInputs:
    """A re-iterable stream of method inputs: each pass (epoch) batches the sampler's items
    (seed nodes, roots, ...), samples in ``num_workers`` processes with prefetching
    (:class:`~graphssl.sampling.SampleLoader`), gathers features and yields
    :func:`make_input` results on ``device``.

    With ``world_size > 1`` (one process per rank, :mod:`graphssl.distributed`) each rank
    iterates only its share of the items (:func:`shard_items`), reshuffled every epoch.

    Args:
        sampler: a node or subgraph :class:`~graphssl.sampling.Sampler`.
        x: ``[N, F]`` features of the sampled graph.
        items: items to batch (default: ``sampler.default_items()``, every node).
        batch_size: items per batch.
        shuffle: reshuffle every epoch.
        seed: seeds shuffling and sampling.
        num_workers, prefetch_factor: sampling processes and batches in flight each.
        device: where the inputs go (default: ``x``'s device).
        rank, world_size: this process's share.

    Raises:
        ValueError: not a Sampler, bad sizes, or fewer items than ranks.
    """

    def __init__(self, sampler: Sampler, x: Tensor, items: Optional[Tensor] = None, batch_size: int = 512,
                 shuffle: bool = True, seed: int = 0, num_workers: int = 0, prefetch_factor: int = 2,
                 device: Device = None, rank: int = 0, world_size: int = 1) -> None:
        if not isinstance(sampler, Sampler):
            raise ValueError(f"sampler must be a graphssl.sampling.Sampler, got {type(sampler).__name__}")
        if not isinstance(x, Tensor) or x.dim() != 2:
            raise ValueError("x must be a [num_nodes, features] tensor")
        graph = getattr(sampler, "graph", None)
        if graph is not None and graph.num_nodes != x.size(0):
            raise ValueError(f"the sampler's graph has {graph.num_nodes} nodes but x has {x.size(0)} rows")
        self.sampler, self.x, self.sampled_graph = sampler, x, graph
        items = sampler.default_items() if items is None else torch.as_tensor(items)
        if items.dim() != 1 or items.is_floating_point() or items.numel() == 0:
            raise ValueError("items must be a non-empty 1-d integer tensor")
        self.items = items.long().cpu()
        check_int("batch_size", batch_size)
        if world_size < 1 or not 0 <= rank < world_size:
            raise ValueError(f"bad rank {rank} of world size {world_size}")
        if self.items.numel() < world_size:
            raise ValueError(f"{self.items.numel()} items cannot be shared among {world_size} processes")
        self.batch_size, self.shuffle, self.seed = batch_size, bool(shuffle), int(seed)
        self.num_workers, self.prefetch_factor = int(num_workers), int(prefetch_factor)
        self.device = resolve_device(device) if device is not None else x.device
        self.rank, self.world_size = int(rank), int(world_size)
        self.epoch = 0

    def _share(self, epoch: int) -> Tensor:
        if self.world_size == 1:
            return self.items
        return shard_items(self.items, epoch, self.seed, self.rank, self.world_size)

    def __len__(self) -> int:
        n = self.items.numel() // self.world_size if self.world_size > 1 else self.items.numel()
        return -(-n // self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        """Make the next pass epoch ``epoch`` (passes count up from 0 on their own)."""
        self.epoch = int(epoch)

    def __iter__(self) -> Iterator[Union[SubgraphInput, BlockInput]]:
        epoch, self.epoch = self.epoch, self.epoch + 1
        loader = SampleLoader(self.sampler, self._share(epoch), batch_size=self.batch_size, shuffle=self.shuffle,
                              seed=self.seed + 7919 * self.rank, num_workers=self.num_workers,
                              prefetch_factor=self.prefetch_factor)
        loader.set_epoch(epoch)
        for sample in loader:
            yield make_input(sample, self.x, self.sampled_graph, self.device)


# Classes whose ``embed(data)`` is ``self.encoder(data.graph, data.x)`` in eval mode
# (SSLMethod's default, and the methods that spell it out); embed_layerwise computes
# exactly that for a method whose ``embed`` comes from one of them.
_ENCODER_EMBEDS = frozenset({"SSLMethod", "GraphMAE", "GRACE", "BGRL", "CCASSG", "DGI", "MultiTask"})


@torch.no_grad()
def embed_layerwise(method: Any, data: Any, batch_size: int = 4096, device: Device = None) -> Tensor:
    """``method.embed(data)`` for a graph too large for a full forward pass, computed by
    :func:`graphssl.nn.layerwise_inference` (layer by layer over node batches, holding two
    layers' activations; the output stays on ``data.x``'s device).

    Args:
        method: a method whose embedding is its encoder's output (``SSLMethod``'s
            default ``embed``: GraphMAE, GraphMAE2, GRACE, GCA, BGRL, CCA-SSG, DGI, the
            multi-task trainers, ...).
        data: the node-level input (``.graph``, ``.x``).
        batch_size: destination nodes per batch.
        device: where the layers run (default: the method's parameters' device).

    Raises:
        ValueError: a method whose ``embed`` is something else, or graph-level data.
    """
    owner = next((c.__name__ for c in type(method).__mro__ if "embed" in c.__dict__), None)
    encoder = getattr(method, "encoder", None)
    if owner not in _ENCODER_EMBEDS or not hasattr(encoder, "layer_forward"):
        raise ValueError(f"{type(method).__name__}.embed is not a plain GNNEncoder forward; layer-wise embedding "
                         f"supports methods using SSLMethod's default embed and {sorted(_ENCODER_EMBEDS - {'SSLMethod'})}")
    if getattr(data, "ptr", None) is not None:
        raise ValueError("embed_layerwise is for one large node-level graph, not a batch of graphs")
    return layerwise_inference(encoder, data.graph, data.x, batch_size, device)


#: Keys of a config's ``minibatch`` section that are not the sampler's own arguments.
_LOADER_KEYS = ("sampler", "batch_size", "num_workers", "embed_batch_size")


def sampler_from_config(graph: Graph, cfg: Dict[str, Any], seed: int = 0) -> Tuple[Sampler, Dict[str, Any], int]:
    """Build the sampler a config's ``minibatch`` section describes.

    Keys: ``sampler`` (a registered name: ``"neighbor"``, ``"local_cluster"``,
    ``"random_walk"``, ``"cluster"``; default ``"neighbor"`` when ``fanouts`` is given,
    else ``"local_cluster"``), ``batch_size`` (default 512), ``num_workers`` (default 0),
    ``embed_batch_size`` (layer-wise embedding batch, default 4096); every other key is
    an argument of the sampler (``fanouts``, ``replace``, ``cluster_size``, ``alpha``,
    ``eps``, ``walk_length``, ``walks_per_root``, ``num_parts``, ...).

    Returns:
        ``(sampler, trainer keyword arguments, embed_batch_size)``.

    Raises:
        ValueError: unknown sampler name or arguments it does not take.
    """
    from .sampling import build_sampler

    cfg = dict(cfg)
    name = cfg.get("sampler") or ("neighbor" if cfg.get("fanouts") is not None else "local_cluster")
    args = {k: v for k, v in cfg.items() if k not in _LOADER_KEYS}
    args.setdefault("seed", seed)
    try:
        sampler = build_sampler(name, graph, **args)
    except TypeError as e:
        raise ValueError(f"bad minibatch options for sampler {name!r}: {e}") from None
    trainer_kw = {"sampler": sampler, "batch_size": int(cfg.get("batch_size", 512)),
                  "num_workers": int(cfg.get("num_workers", 0))}
    return sampler, trainer_kw, int(cfg.get("embed_batch_size", 4096))
