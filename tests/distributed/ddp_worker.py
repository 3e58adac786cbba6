"""Run by tests/distributed/test_ddp.py under ``python -m torch.distributed.run
--nproc_per_node 2``: trains three methods mini-batch with DDP on a tiny synthetic graph
and writes, per rank, the final weights, the seed nodes it sampled per epoch and the
logged losses to ``<out>/rank<r>.pt``."""
import sys
from pathlib import Path

import torch

from graphssl.distributed import get_rank, init_from_env
from graphssl.methods import build_method
from graphssl.multitask import MultiTask
from graphssl.sampling import LocalClusterSampler, NeighborSampler
from graphssl.sparse import Graph
from graphssl.train import Trainer


class _NodeInput:
    def __init__(self, graph, x):
        self.graph, self.x = graph, x


def _recording(cls):
    class Recording(cls):
        def sample(self, seeds, generator=None):
            self.seen.append(seeds.clone())
            return super().sample(seeds, generator)
    return Recording


def main(out: Path) -> None:
    info = init_from_env("cpu")
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)
    n = 120
    ei = torch.randint(0, n, (2, 480), generator=gen)
    graph = Graph.from_edge_index(torch.cat([ei, ei.flip(0)], 1), n).coalesce()
    data = _NodeInput(graph, torch.randn(n, 8, generator=gen))
    # Different initial weights per rank: DDP must start every rank from rank 0's.
    torch.manual_seed(100 + get_rank())
    runs = {
        "graphmae": (build_method("graphmae", in_dim=8, hidden_dim=16, heads=2, seed=1),
                     _recording(NeighborSampler)(graph, [4, 4, 4], seed=0)),
        "bgrl": (build_method("bgrl", in_dim=8, hidden_dim=16, out_dim=8, predictor_hidden_dim=16, seed=1),
                 _recording(LocalClusterSampler)(graph, cluster_size=8)),
        "multitask": (MultiTask({"name": "gcn", "hidden_dim": 16, "out_dim": 8}, in_dim=8, seed=1,
                                tasks=["feature_reconstruction", "graph_mi"], weighting="mgda"),
                      _recording(LocalClusterSampler)(graph, cluster_size=8)),
    }
    result = {"world_size": info.world_size}
    for name, (method, sampler) in runs.items():
        sampler.seen = []
        trainer = Trainer(method, epochs=2, lr=1e-2, sampler=sampler, batch_size=16, progress=False, seed=0,
                          checkpoint=out / f"{name}.ckpt")
        assert trainer.distributed
        history = trainer.fit(data)
        result[name] = {"state": {k: v.clone() for k, v in method.state_dict().items()},
                        "seen": sampler.seen, "losses": list(history.losses)}
    torch.save(result, out / f"rank{info.rank}.pt")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
