"""`graphssl evaluate --tasks ...`: ParetoGNN's downstream tasks from the command line."""
import json

import torch

from graphssl.cli import main


def test_evaluate_tasks_on_cora(data_root, tmp_path, capsys):
    emb = tmp_path / "emb.pt"
    torch.save(torch.randn(2708, 16, generator=torch.Generator().manual_seed(0)), emb)
    assert main(["evaluate", "--embeddings", str(emb), "--dataset", "cora", "--root", str(data_root),
                 "--tasks", "node_clustering,link_prediction,partition_prediction", "--json"]) == 0
    recs = {r["metric"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert {"node_clustering_nmi", "link_prediction_auc", "partition_prediction_acc", "mean",
            "harmonic_mean"} <= set(recs)
    assert recs["link_prediction_edges_seen"]["value"] is True  # no --link-embeddings given
    assert recs["mean"]["tasks"] == ["node_clustering", "link_prediction", "partition_prediction"]
    assert 0.3 < recs["link_prediction_auc"]["value"] < 0.7  # random embeddings: chance level
    assert main(["evaluate", "--embeddings", str(emb), "--dataset", "cora", "--root", str(data_root),
                 "--tasks", "node_regression"]) == 2
    assert "bad downstream tasks" in capsys.readouterr().err
