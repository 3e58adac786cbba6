"""examples/two_tower_simgcl.py runs end to end (quickly, on generated data)."""
import importlib.util
import json
import math
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "two_tower_simgcl.py"


def load_example():
    spec = importlib.util.spec_from_file_location("two_tower_simgcl_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_trains_with_and_without_the_head(capsys):
    example = load_example()
    results = example.main(["--generated", "--users", "120", "--epochs", "2", "--dim", "16",
                            "--batch-size", "512", "--compare"])
    assert [r["ssl"] for r in results] == [None, "simgcl"]
    for r in results:
        assert 0.0 <= r["recall@20"] <= 1.0 and math.isfinite(r["ndcg@20"])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines == results


def test_example_plugs_the_head_in_three_lines():
    marked = [line for line in EXAMPLE.read_text().splitlines() if line.rstrip().endswith("# <- SimGCL")]
    assert len(marked) == 3
