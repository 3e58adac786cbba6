"""atomic_torch_save writes the whole object or leaves the old file, and no temporary file."""
import pytest
import torch

from graphssl.atomic_save import atomic_torch_save


def test_writes_creates_parent_and_replaces(tmp_path):
    path = tmp_path / "sub" / "state.pt"
    atomic_torch_save({"a": torch.arange(3)}, path)
    assert torch.equal(torch.load(path)["a"], torch.arange(3))
    atomic_torch_save({"a": torch.ones(2)}, str(path))
    assert torch.equal(torch.load(path)["a"], torch.ones(2))
    assert sorted(p.name for p in path.parent.iterdir()) == ["state.pt"]


def test_failed_save_keeps_old_file_and_removes_temporary(tmp_path):
    path = tmp_path / "state.pt"
    atomic_torch_save({"a": 1}, path)

    class Unpicklable:
        def __reduce__(self):
            raise RuntimeError("cannot pickle")

    with pytest.raises(RuntimeError, match="cannot pickle"):
        atomic_torch_save({"a": Unpicklable()}, path)
    assert torch.load(path) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["state.pt"]
