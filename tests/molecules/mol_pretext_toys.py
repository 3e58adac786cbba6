"""Twenty small drug-like molecules (rdkit) for the molecule pretext-task tests, as a batch,
a pretraining corpus, and pure-python references (bonds, hop distances)."""
from typing import Dict, List, Set, Tuple

import pytest
import torch

pytest.importorskip("rdkit")

from graphssl.molecules import MoleculeGIN  # noqa: E402
from graphssl.molecules.dataset import MoleculeGraphDataset  # noqa: E402
from graphssl.molecules.featurize import featurize_smiles, smiles_to_graph  # noqa: E402
from graphssl.sparse import collate  # noqa: E402

SMILES: List[str] = [
    "CCO", "CC(=O)O", "c1ccccc1", "CC(=O)Oc1ccccc1C(=O)O", "CN1C=NC2=C1C(=O)N(C(=O)N2C)C",
    "CC(C)Cc1ccc(cc1)C(C)C(=O)O", "C1CCCCC1", "OC(=O)CCC(=O)O", "NCCc1ccc(O)c(O)c1",
    "CC(C)NCC(O)COc1cccc2ccccc12", "O=C(O)c1ccccc1O", "CCN(CC)CC", "ClC(Cl)Cl", "C#N",
    "CC(=O)Nc1ccc(O)cc1", "c1ccc2ccccc2c1", "CCOC(=O)C", "OCC(O)CO", "CS(=O)(=O)C", "N#Cc1ccccc1",
]


def molecule_batch(smiles: List[str] = SMILES):
    """The molecules as one GraphBatch (with ``.smiles``)."""
    b = collate([smiles_to_graph(s) for s in smiles])
    b.smiles = list(smiles)
    return b


def corpus(smiles: List[str] = SMILES) -> MoleculeGraphDataset:
    """The molecules as a label-free MoleculeGraphDataset (a pretraining corpus)."""
    fm = featurize_smiles(smiles, progress=False)
    m = len(fm.canonical)
    return MoleculeGraphDataset(name="toy", smiles=list(smiles), canonical=fm.canonical, y=torch.zeros(m, 0),
                                task_names=[], x=fm.x, edge_src=fm.edge_src, edge_dst=fm.edge_dst,
                                edge_attr=fm.edge_attr, node_ptr=fm.node_ptr, edge_ptr=fm.edge_ptr,
                                source_index=torch.arange(m))


def small_encoder(seed: int = 0, layers: int = 2, hidden: int = 32) -> MoleculeGIN:
    torch.manual_seed(seed)
    return MoleculeGIN(num_layers=layers, hidden=hidden, dropout=0.0)


def train_steps(task, enc: MoleculeGIN, batch, steps: int = 25, lr: float = 3e-3, seed: int = 0) -> None:
    """``steps`` Adam steps on ``task.loss(enc, batch, generator)`` (encoder and task heads),
    one seeded generator across the steps."""
    opt = torch.optim.Adam(list(enc.parameters()) + list(task.parameters()), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        opt.zero_grad()
        task.loss(enc, batch, gen).backward()
        opt.step()


def bond_set(graph, attr=None) -> Dict[Tuple[int, int], Tuple[int, ...]]:
    """``{(u, v): attr}`` of the directed edges of ``graph`` (python reference)."""
    dst, src = graph.row().tolist(), graph.col.tolist()
    rows = attr.tolist() if attr is not None else [()] * len(dst)
    return {(s, t): tuple(a) for s, t, a in zip(src, dst, rows)}


def bfs(graph, source: int) -> Dict[int, int]:
    """Hop distance of every atom reachable from ``source`` (python reference)."""
    adj: Dict[int, Set[int]] = {}
    for s, t in zip(graph.col.tolist(), graph.row().tolist()):
        adj.setdefault(t, set()).add(s)
    dist, frontier = {source: 0}, [source]
    while frontier:
        nxt = []
        for a in frontier:
            for b in adj.get(a, ()):
                if b not in dist:
                    dist[b] = dist[a] + 1
                    nxt.append(b)
        frontier = nxt
    return dist
