"""WikiCS loader on a small data.json written in the format of pmernyei/wiki-cs-dataset."""
import json
import warnings

import pytest
import torch

from graphssl.datasets import DatasetFormatError, NodeDataset, load_dataset

N, F, SPLITS = 6, 4, 20


def _data(**over):
    d = {
        "features": [[float(i + j) / 10 for j in range(F)] for i in range(N)],
        "labels": [0, 1, 2, 0, 1, 2],
        "links": [[1, 2], [0], [3, 2], [], [5], [4, 0]],  # includes a self-loop (2 -> 2)
        "train_masks": [[(i + s) % 3 == 0 for i in range(N)] for s in range(SPLITS)],
        "val_masks": [[(i + s) % 3 == 1 for i in range(N)] for s in range(SPLITS)],
        "stopping_masks": [[(i + s) % 3 == 2 for i in range(N)] for s in range(SPLITS)],
        "test_mask": [i >= 3 for i in range(N)],
    }
    d.update(over)
    return d


def _write(root, data=None, raw=None):
    folder = root / "wikics"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.json").write_text(raw if raw is not None else json.dumps(data or _data()))


def _load(root, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no checksum known for data.json
        return load_dataset("wikics", root=root, download=False, **kw)


def test_loads_generated_file(tmp_path):
    _write(tmp_path)
    with pytest.warns(UserWarning, match="no checksum is known"):
        ds = load_dataset("wikics", root=tmp_path, download=False)
    assert isinstance(ds, NodeDataset)
    assert (ds.num_nodes, ds.num_features, ds.num_classes) == (N, F, 3)
    # Undirected edges {0-1, 0-2, 2-3, 4-5, 0-5}, self-loop dropped: 5 * 2 directed.
    assert ds.num_edges == 10 and not ds.graph.has_self_loops()
    assert torch.allclose(ds.x[1], torch.tensor([0.1, 0.2, 0.3, 0.4]))
    assert ds.train_mask.tolist() == [True, False, False, True, False, False]
    assert ds.test_mask.tolist() == [False] * 3 + [True] * 3
    assert ds.extras["train_masks"].shape == (N, SPLITS) and ds.extras["stopping_masks"].dtype == torch.bool


def test_split_selection(tmp_path):
    _write(tmp_path)
    ds = _load(tmp_path, split=1)
    assert ds.train_mask.tolist() == [(i + 1) % 3 == 0 for i in range(N)]
    assert torch.equal(ds.val_mask, ds.extras["val_masks"][:, 1])
    with pytest.raises(ValueError, match="split=20"):
        _load(tmp_path, split=20)


def test_nan_features_rejected(tmp_path):
    feats = _data()["features"]
    feats[2][1] = float("nan")
    _write(tmp_path, _data(features=feats))
    with pytest.raises(ValueError, match=r"'wikics'.*data\.json.*NaN"):
        _load(tmp_path)


def test_truncated_and_malformed(tmp_path):
    _write(tmp_path, raw=json.dumps(_data())[:100])
    with pytest.raises(DatasetFormatError, match=r"data\.json"):
        _load(tmp_path)
    _write(tmp_path, _data(links=[[1]] * (N - 1)))
    with pytest.raises(DatasetFormatError, match="adjacency lists"):
        _load(tmp_path)
    _write(tmp_path, _data(links=[[9]] * N))
    with pytest.raises(DatasetFormatError, match="outside"):
        _load(tmp_path)
