"""Device names are checked up front: an unusable device is a one-line error naming it."""
import argparse

import pytest
import torch

from graphssl.cli import main
from graphssl.devices import default_device, device_argument, resolve_device
from graphssl.eval import linear_probe
from graphssl.pipeline import pretrain_graph, pretrain_node

no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without a GPU")


def test_cpu_and_default():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    assert resolve_device(None) == torch.device(default_device())
    assert device_argument("cpu") == "cpu"


@pytest.mark.parametrize("name", ["gpu", "cuda:x", "", "cpu:0:1"])
def test_unknown_names(name):
    with pytest.raises(ValueError, match="unknown device"):
        resolve_device(name)


@no_cuda
@pytest.mark.parametrize("name", ["cuda", "cuda:0", torch.device("cuda", 1)])
def test_cuda_without_a_gpu(name):
    with pytest.raises(ValueError, match=r"asked for, but .*use 'cpu'"):
        resolve_device(name)
    with pytest.raises(argparse.ArgumentTypeError, match="asked for"):
        device_argument(str(name))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_index_beyond_the_visible_ones():
    with pytest.raises(ValueError, match="CUDA GPU"):
        resolve_device(f"cuda:{torch.cuda.device_count()}")


@no_cuda
def test_cli_reports_the_device_in_one_line(capsys):
    for argv in (["pretrain", "--device", "cuda"], ["recommend", "--device", "cuda"]):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err[-1].startswith(f"graphssl {argv[0]}: error: argument --device: device 'cuda' asked for")
        assert "Traceback" not in "\n".join(err)


@no_cuda
def test_library_entry_points_check_before_any_work():
    # the device is checked before the dataset is touched, so no dataset is needed
    with pytest.raises(ValueError, match="asked for"):
        pretrain_node(None, "grace", {}, 0, device="cuda")
    with pytest.raises(ValueError, match="asked for"):
        pretrain_graph(None, "graphcl", {}, 0, device="cuda")
    emb, y = torch.randn(6, 3), torch.tensor([0, 1, 0, 1, 0, 1])
    train = torch.tensor([True, True, False, False, False, False])
    val = torch.tensor([False, False, True, True, False, False])
    with pytest.raises(ValueError, match="asked for"):
        linear_probe(emb, y, train, val, ~(train | val), device="cuda")
