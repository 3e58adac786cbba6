import pytest

from graphssl.config import load_config, merge


def test_packaged_defaults_and_user_override(tmp_path):
    cfg = load_config("sgc", "cora")
    assert cfg["method"]["hops"] == 2
    f = tmp_path / "c.yaml"
    f.write_text("method:\n  hops: 3\n")
    assert load_config("sgc", "cora", f)["method"]["hops"] == 3


def test_bad_config_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_config("sgc", "cora", tmp_path / "none.yaml")
    f = tmp_path / "bad.yaml"
    f.write_text("optim:\n  lr: 1\n")
    with pytest.raises(ValueError, match="unknown sections"):
        load_config("sgc", "cora", f)
    f.write_text("method: [1, 2\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_config("sgc", "cora", f)


def test_merge_is_recursive():
    assert merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}}) == {"a": {"b": 1, "c": 3}}
