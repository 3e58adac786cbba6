import pytest

from graphssl.config import load_config, load_yaml, merge


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


@pytest.mark.parametrize("text, value", [("1e-3", 1e-3), ("-2E+4", -2e4), ("1.5e-3", 1.5e-3), ("5", 5),
                                         ("0.5", 0.5), ("1e", "1e"), ("1e-3x", "1e-3x"), ('"1e-3"', "1e-3")])
def test_exponent_numbers_without_a_dot_are_floats(text, value):
    # PyYAML (YAML 1.1) reads 1e-3 as a string; a config's lr: 1e-3 must reach the optimiser as a float
    got = load_yaml(text)
    assert got == value and type(got) is type(value)


def test_user_config_with_exponent_learning_rate(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("train:\n  lr: 1e-3\n  weight_decay: 5e-4\n")
    cfg = load_config("grace", "cora", f)
    assert cfg["train"]["lr"] == 1e-3 and cfg["train"]["weight_decay"] == 5e-4
