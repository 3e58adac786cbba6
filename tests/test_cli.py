"""The `graphssl` command line, run in-process through `graphssl.cli.main`."""
import json

import pytest

from graphssl.cli import main, parse_seeds


def _json_lines(out: str):
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_parse_seeds():
    assert parse_seeds("0-4") == [0, 1, 2, 3, 4]
    assert parse_seeds("1,3") == [1, 3]
    with pytest.raises(ValueError, match="bad --seeds"):
        parse_seeds("x")
    with pytest.raises(ValueError, match="bad --seeds"):
        parse_seeds("4-1")


def test_datasets_json_lists_the_shared_datasets(data_root, capsys):
    assert main(["datasets", "--root", str(data_root), "--json"]) == 0
    rows = {r["name"]: r for r in _json_lines(capsys.readouterr().out)}
    assert rows["cora"]["num_nodes"] == 2708 and rows["cora"]["num_edges"] == 10556
    assert rows["cora"]["num_features"] == 1433 and rows["cora"]["num_classes"] == 7
    assert rows["mutag"]["num_graphs"] == 188
    assert rows["gowalla"]["num_users"] == 29858


def test_pretrain_baseline_and_evaluate_round_trip(data_root, tmp_path, capsys):
    emb = tmp_path / "emb.pt"
    assert main(["pretrain", "--method", "sgc", "--dataset", "cora", "--root", str(data_root), "--seeds", "0-1",
                 "--json", "--save-embeddings", str(emb)]) == 0
    recs = _json_lines(capsys.readouterr().out)
    summary = recs[-1]
    assert summary["command"] == "pretrain" and summary["impl"] == "graphssl" and summary["seeds"] == [0, 1]
    assert summary["metric"] == "linear_probe_test_acc" and 0.77 < summary["value"] <= 1.0
    assert all("rankme" in r for r in recs[:-1])
    assert main(["evaluate", "--embeddings", str(emb), "--dataset", "cora", "--root", str(data_root),
                 "--method", "sgc", "--json"]) == 0
    ev = _json_lines(capsys.readouterr().out)[-1]
    assert ev["value"] == pytest.approx(recs[0]["value"], abs=1e-6)


def test_pretrain_graph_level_dataset_uses_the_svm_protocol(data_root, capsys):
    assert main(["pretrain", "--method", "graphmae", "--dataset", "mutag", "--root", str(data_root),
                 "--seeds", "0", "--epochs", "2", "--json"]) == 0
    recs = _json_lines(capsys.readouterr().out)
    assert recs[-1]["metric"] == "svm_10fold_acc" and 0.6 < recs[-1]["value"] <= 1.0
    assert "fold_std" in recs[0] and "val_acc" not in recs[0]
    assert main(["pretrain", "--method", "graphmae", "--dataset", "gowalla", "--root", str(data_root)]) == 2
    assert "graphssl recommend" in capsys.readouterr().err


def test_user_errors_are_one_line_and_exit_2(data_root, tmp_path, capsys):
    assert main(["pretrain", "--method", "nope", "--dataset", "cora", "--root", str(data_root)]) == 2
    assert "unknown method 'nope'" in capsys.readouterr().err
    # the method is checked before the dataset is looked for (no download attempt, no data error)
    assert main(["pretrain", "--method", "nope", "--dataset", "cora", "--root", str(tmp_path), "--no-download"]) == 2
    err = capsys.readouterr().err
    assert "unknown method 'nope'" in err and "cora" not in err.split("known:")[0]
    assert main(["pretrain", "--dataset", "not-a-dataset", "--root", str(data_root)]) == 2
    assert "not-a-dataset" in capsys.readouterr().err
    assert main(["evaluate", "--embeddings", str(tmp_path / "none.pt"), "--dataset", "cora",
                 "--root", str(data_root)]) == 2
    assert "no embeddings file" in capsys.readouterr().err


def test_missing_dataset_files_name_what_to_put_where(tmp_path, capsys):
    assert main(["pretrain", "--method", "sgc", "--dataset", "cora", "--root", str(tmp_path), "--no-download"]) == 2
    err = capsys.readouterr().err
    assert "ind.cora" in err and str(tmp_path) in err


def test_recommend_on_a_small_slice(data_root, capsys):
    assert main(["recommend", "--model", "lightgcn", "--dataset", "gowalla", "--root", str(data_root),
                 "--users", "300", "--epochs", "1", "--max-steps-per-epoch", "3", "--json"]) == 0
    recs = _json_lines(capsys.readouterr().out)
    assert {r["metric"] for r in recs} >= {"recall@20", "ndcg@20"}
    assert all(r["command"] == "recommend" and r["impl"] == "graphssl" for r in recs)


@pytest.mark.parametrize("method,dataset", [
    ("dgi", "cora"), ("grace", "cora"), ("gca", "cora"), ("bgrl", "cora"), ("mvgrl", "cora"), ("cca_ssg", "cora"),
    ("graphcl", "mutag"), ("infograph", "mutag"),
])
def test_pretrain_runs_every_contrastive_method(method, dataset, data_root, tmp_path, capsys):
    # One epoch and a cheap probe: this checks the packaged config builds and runs end to end.
    override = tmp_path / "quick.yaml"
    override.write_text("probe:\n  epochs: 20\n  c_grid: [1.0]\n")
    assert main(["pretrain", "--method", method, "--dataset", dataset, "--root", str(data_root), "--epochs", "1",
                 "--config", str(override), "--json"]) == 0
    summary = _json_lines(capsys.readouterr().out)[-1]
    assert summary["method"] == method and summary["seeds"] == [0] and 0.0 < summary["value"] <= 1.0


def test_methods_lists_levels_and_packaged_configs(capsys):
    from graphssl.methods import METHODS
    assert main(["methods", "--json"]) == 0
    rows = {r["method"]: r for r in _json_lines(capsys.readouterr().out)}
    assert set(rows) == set(METHODS.names())
    assert rows["grace"]["levels"] == ["node"] and {"cora", "citeseer", "pubmed"} <= set(rows["grace"]["configs"])
    assert rows["graphcl"]["levels"] == ["graph"] and "mutag" in rows["graphcl"]["configs"]
    assert rows["graphmae"]["levels"] == ["node", "graph"] and "default" not in rows["graphmae"]["configs"]
    assert all(r["command"] == "methods" and r["summary"] for r in rows.values())
    assert main(["methods"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["method", "levels", "configs"] and len(table) == len(rows) + 1


def test_version(capsys):
    import graphssl
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"graphssl {graphssl.__version__} (torch ") and "numba" in out
