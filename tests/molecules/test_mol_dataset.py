"""Molecule graph datasets: OGB names in the registry, packed batching equal to collate,
the on-disk cache keyed by the CSV checksum, unparseable SMILES reported."""
import warnings

import pytest
import torch

pytest.importorskip("rdkit")

from graphssl.datasets import load_dataset  # noqa: E402
from graphssl.molecules import MoleculeGraphDataset, load_molecule_graphs, smiles_to_graph  # noqa: E402
from graphssl.molecules import dataset as dataset_module  # noqa: E402
from graphssl.sparse import collate  # noqa: E402


def test_loaded_subset_matches_single_conversion(small_molecules):
    ds = small_molecules("bace", 120)
    assert isinstance(ds, MoleculeGraphDataset) and ds.name == "ogbg-molbace"
    assert len(ds) == 120 and ds.num_tasks == 1 and ds.task_names == ["Class"]
    for i in (0, 57, 119):
        item, ref = ds[i], smiles_to_graph(ds.smiles[i])
        assert torch.equal(item.x, ref.x) and torch.equal(item.edge_attr, ref.edge_attr)
        assert torch.equal(item.graph.rowptr, ref.graph.rowptr) and torch.equal(item.graph.col, ref.graph.col)
        assert item.y.shape == (1, 1)
    # evenly spaced rows of the CSV
    assert ds.source_index.tolist() == [i * 1513 // 120 for i in range(120)]


def test_batch_equals_collate(small_molecules):
    ds = small_molecules("bace", 120)
    idx = torch.tensor([5, 3, 100, 42, 7])
    b, ref = ds.batch(idx), collate([ds[int(i)] for i in idx])
    for f in ("x", "edge_attr", "y", "batch", "ptr", "edge_ptr"):
        assert torch.equal(getattr(b, f), getattr(ref, f)), f
    assert torch.equal(b.graph.rowptr, ref.graph.rowptr) and torch.equal(b.graph.col, ref.graph.col)
    assert torch.equal(b.graph.row(), ref.graph.row()) and b.y_level == "graph" and b.num_graphs == 5
    seen = torch.cat([bb.y for bb in ds.batches(batch_size=32)])
    assert torch.equal(seen, ds.y)
    g = torch.Generator().manual_seed(0)
    order = [bb.num_nodes for bb in ds.batches(batch_size=50, shuffle=True, generator=g)]
    g = torch.Generator().manual_seed(0)
    assert order == [bb.num_nodes for bb in ds.batches(batch_size=50, shuffle=True, generator=g)]


def test_split_and_subset(small_molecules):
    ds = small_molecules("bbbp", 150)
    split = ds.get_idx_split()
    assert sum(v.numel() for v in split.values()) == 150
    sub = ds[split["test"]]
    assert len(sub) == split["test"].numel() and sub.split is None
    assert sub.smiles == [ds.smiles[i] for i in split["test"].tolist()]
    assert torch.equal(sub.batch(torch.arange(len(sub))).x, ds.batch(split["test"]).x)
    with pytest.raises(ValueError, match="no split"):
        sub.get_idx_split()


def test_missing_labels_stay_nan(small_molecules):
    ds = small_molecules("tox21", 100)
    assert ds.y.shape == (len(ds), 12) and torch.isnan(ds.y).any()


def test_registry_ogb_names(data_root, mol_cache):
    ds = load_dataset("ogbg-molclintox", root=data_root, cache_dir=mol_cache, max_molecules=60, progress=False)
    assert isinstance(ds, MoleculeGraphDataset) and ds.name == "ogbg-molclintox" and ds.num_tasks == 2
    assert load_molecule_graphs("clintox", data_root, cache_dir=mol_cache, max_molecules=60,
                                progress=False).smiles == ds.smiles


def _write_csv(root, rows):
    (root / "moleculenet").mkdir(parents=True, exist_ok=True)
    (root / "moleculenet" / "bbbp.csv").write_text("smiles,p_np\n" + "\n".join(rows) + "\n")


def test_cache_is_used_and_keyed_by_checksum(tmp_path, monkeypatch):
    root, cache = tmp_path / "data", tmp_path / "cache"
    _write_csv(root, ["CCO,1", "c1ccccc1,0", "CC(=O)O,1"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unverified local copy of the CSV
        first = load_molecule_graphs("bbbp", root, cache_dir=cache, progress=False, download=False, verify=False)
        files = list(cache.glob("bbbp-*-v*.pt"))
        assert len(files) == 1 and len(first) == 3

        def no_conversion(*a, **k):
            raise AssertionError("converted again instead of reading the cache")
        monkeypatch.setattr(dataset_module, "featurize_smiles", no_conversion)
        again = load_molecule_graphs("bbbp", root, cache_dir=cache, progress=False, download=False, verify=False)
        assert again.smiles == first.smiles and torch.equal(again.x, first.x)
        for f in ("x", "edge_attr", "edge_src", "edge_dst"):  # stored compactly, loaded as int64
            assert getattr(again, f).dtype == torch.int64 and torch.equal(getattr(again, f), getattr(first, f))
        assert torch.load(files[0], weights_only=True)["x"].dtype == torch.uint8
        assert all(torch.equal(again.split[k], first.split[k]) for k in first.split)
        monkeypatch.undo()
        _write_csv(root, ["CCO,1", "c1ccccc1,0", "CCN,1", "CCCl,0"])  # new content -> new key
        changed = load_molecule_graphs("bbbp", root, cache_dir=cache, progress=False, download=False, verify=False)
    assert len(changed) == 4 and len(list(cache.glob("bbbp-*-v*.pt"))) == 2


def test_unparseable_smiles_reported(tmp_path):
    root = tmp_path / "data"
    _write_csv(root, ["CCO,1", "C1CC,0", "c1ccccc1,0", "XYZ,1", "CCN,1"])
    with pytest.warns(UserWarning, match=r"could not parse 2 of 5 SMILES.*row 1: 'C1CC'"):
        ds = load_molecule_graphs("bbbp", root, cache_dir=tmp_path / "c", progress=False, download=False, verify=False)
    assert ds.invalid == [(1, "C1CC"), (3, "XYZ")] and ds.num_input == 5
    assert ds.smiles == ["CCO", "c1ccccc1", "CCN"] and ds.source_index.tolist() == [0, 2, 4]
    assert ds.y[:, 0].tolist() == [1.0, 0.0, 1.0]
    with pytest.warns(UserWarning, match="could not parse 2 of 5"):  # reported again from the cache
        load_molecule_graphs("bbbp", root, cache_dir=tmp_path / "c", progress=False, download=False, verify=False)


def test_bad_arguments(data_root, mol_cache):
    with pytest.raises(ValueError, match="unknown molecule dataset"):
        load_molecule_graphs("ogbg-molpcba", data_root)
    with pytest.raises(ValueError, match="max_molecules"):
        load_molecule_graphs("bace", data_root, cache_dir=mol_cache, max_molecules=0, progress=False)
