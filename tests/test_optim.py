"""graphssl.optim: the trainers' optimisers (torch's fused kernels where they apply)."""
import pytest
import torch

from graphssl.optim import build_optimizer


@pytest.mark.parametrize("name, cls", [("adam", torch.optim.Adam), ("adamw", torch.optim.AdamW),
                                       ("sgd", torch.optim.SGD)])
def test_fused_optimizer_follows_the_unfused_one(name, cls):
    torch.manual_seed(0)
    shapes = [(50, 8), (8,), (3, 4, 5)]
    a = [torch.nn.Parameter(torch.randn(s)) for s in shapes]
    b = [torch.nn.Parameter(p.detach().clone()) for p in a]
    fused = build_optimizer(name, a, lr=0.01, weight_decay=1e-4)
    plain = cls(b, lr=0.01, weight_decay=1e-4)
    assert fused.param_groups[0]["fused"] is True
    for _ in range(5):
        grads = [torch.randn(s) for s in shapes]
        for p, q, g in zip(a, b, grads):
            p.grad, q.grad = g.clone(), g.clone()
        fused.step()
        plain.step()
    for p, q in zip(a, b):
        torch.testing.assert_close(p, q, atol=1e-6, rtol=1e-5)


def test_unknown_optimizer_is_named():
    with pytest.raises(ValueError, match="unknown optimizer 'adagrad'; choose one of"):
        build_optimizer("adagrad", [torch.nn.Parameter(torch.zeros(2))], lr=0.1)
