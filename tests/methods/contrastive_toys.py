"""Small graphs for the contrastive-method tests: a planted-partition graph whose node
features carry the community (so an SSL loss has something to learn), and a batch of
small rings for graph-level code paths."""
import torch

from graphssl.pipeline import NodeInput
from graphssl.sparse import Graph, GraphItem, collate


def community_graph(n: int = 90, f: int = 12, k: int = 3, seed: int = 0) -> NodeInput:
    """``n`` nodes in ``k`` communities (dense inside, sparse across), features = a noisy
    community prototype; undirected, no self-loops. Labels are ``node % k``."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % k
    src, dst = torch.randint(0, n, (2, 12 * n), generator=gen)
    keep = (y[src] == y[dst]) | (torch.rand(src.numel(), generator=gen) < 0.1)
    g = Graph.from_edge_index(torch.stack([src[keep], dst[keep]]), n).to_undirected().remove_self_loops()
    proto = torch.randn(k, f, generator=gen)
    x = proto[y] + 0.5 * torch.randn(n, f, generator=gen)
    data = NodeInput(g, x)
    data.y = y
    return data


def ring_batch(sizes=(5, 7, 4, 6), f: int = 3, seed: int = 0):
    """A GraphBatch of undirected rings with random features and alternating labels."""
    gen = torch.Generator().manual_seed(seed)
    items = []
    for i, n in enumerate(sizes):
        ring = torch.stack([torch.arange(n), (torch.arange(n) + 1) % n])
        items.append(GraphItem(Graph.from_edge_index(torch.cat([ring, ring.flip(0)], 1), n),
                               torch.rand(n, f, generator=gen), torch.tensor(i % 2)))
    return collate(items)


def cora_subset(root, num_test: int = 600):
    """Cora restricted to its train and validation nodes plus the first ``num_test`` test
    nodes (the induced subgraph, about 1,240 nodes), with the public masks carried over:
    real data at half the size, so the quadratic contrastive losses stay fast in tests."""
    from types import SimpleNamespace

    from graphssl.datasets import load_dataset

    ds = load_dataset("cora", root=root)
    test_ids = ds.test_mask.nonzero().view(-1)[:num_test]
    nodes = torch.cat([(ds.train_mask | ds.val_mask).nonzero().view(-1), test_ids])
    return SimpleNamespace(graph=ds.graph.subgraph(nodes), x=ds.x[nodes], y=ds.y[nodes],
                           train_mask=ds.train_mask[nodes], val_mask=ds.val_mask[nodes],
                           test_mask=ds.test_mask[nodes], num_classes=ds.num_classes)
