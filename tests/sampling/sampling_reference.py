"""Reference checks shared by the sampler tests: what every sample must satisfy,
written plainly (Python loops over small graphs) to be obviously right."""
from collections import Counter

import torch

from graphssl.sparse import Graph


def random_graph(n: int, e: int, seed: int, undirected: bool = False) -> Graph:
    g = torch.Generator().manual_seed(seed)
    ei = torch.randint(0, n, (2, e), generator=g)
    graph = Graph.from_edge_index(ei, n)
    return graph.to_undirected() if undirected else graph


def in_rows(graph: Graph):
    """``{t: [CSR positions of t's row]}``."""
    rp = graph.rowptr.tolist()
    return {t: list(range(rp[t], rp[t + 1])) for t in range(graph.num_nodes)}


def check_minibatch(graph: Graph, mb, fanouts, replace: bool) -> None:
    """Every invariant of a neighbour-sampled batch (blocks need edge ids)."""
    seeds, blocks, input_nodes = mb
    assert len(blocks) == len(fanouts)
    assert torch.equal(blocks[-1].dst_nodes, seeds)
    assert torch.equal(input_nodes, blocks[0].src_nodes)
    rows = in_rows(graph)
    gcol, grow = graph.col.tolist(), graph.row().tolist()
    for layer, (block, fanout) in enumerate(zip(blocks, fanouts)):
        if layer + 1 < len(blocks):
            assert torch.equal(block.dst_nodes, blocks[layer + 1].src_nodes)
        src = block.src_nodes.tolist()
        assert len(set(src)) == len(src), "source nodes must be unique"
        assert block.num_src_nodes == len(src) and block.num_dst_nodes <= len(src)
        assert block.edge_ids is not None and block.edge_ids.numel() == block.num_edges
        eids = block.edge_ids.tolist()
        local_src, local_dst = block.col.tolist(), block.row().tolist()
        used = set(range(block.num_dst_nodes))
        for e, s, d in zip(eids, local_src, local_dst):
            # relabelling is consistent and the edge exists in the graph
            assert gcol[e] == src[s] and grow[e] == src[d]
            used.add(s)
        assert used == set(range(len(src))), "every new source node must be some edge's source"
        per_dst = [[] for _ in range(block.num_dst_nodes)]
        for e, d in zip(eids, local_dst):
            per_dst[d].append(e)
        for d, chosen in enumerate(per_dst):
            row = rows[src[d]]
            deg = len(row)
            if fanout < 0:
                assert sorted(chosen) == row
            elif replace:
                assert len(chosen) == (fanout if deg else 0)
                assert set(chosen) <= set(row)
            else:
                assert len(chosen) == min(deg, fanout)
                assert len(set(chosen)) == len(chosen), "no repeated edge without replacement"
                if deg <= fanout:
                    assert sorted(chosen) == row, "all neighbours when the degree is within the fan-out"


def same_minibatch(a, b) -> bool:
    if not torch.equal(a.seeds, b.seeds) or not torch.equal(a.input_nodes, b.input_nodes):
        return False
    return all(torch.equal(x.rowptr, y.rowptr) and torch.equal(x.col, y.col) and torch.equal(x.src_nodes, y.src_nodes)
               for x, y in zip(a.blocks, b.blocks))


def pair_counts(blocks_list, key=lambda b: b) -> Counter:
    c = Counter()
    for b in blocks_list:
        c.update(key(b))
    return c
