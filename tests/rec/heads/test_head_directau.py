"""DirectAU's alignment and uniformity against their formulas, and DirectAU as the only loss."""
import math

import pytest
import torch

from graphssl.rec.heads import DirectAUHead


def test_matches_the_formula():
    g = torch.Generator().manual_seed(0)
    ue, ie = torch.randn(10, 4, generator=g).double(), torch.randn(12, 4, generator=g).double()
    users, items = torch.tensor([0, 3, 3, 7, 9]), torch.tensor([1, 1, 5, 11, 2])
    x = torch.nn.functional.normalize(ue[users], dim=1)
    y = torch.nn.functional.normalize(ie[items], dim=1)
    align = sum(float((x[b] - y[b]).pow(2).sum()) for b in range(5)) / 5

    def unif(z):
        vals = [math.exp(-2 * float((z[a] - z[b]).pow(2).sum())) for a in range(5) for b in range(a + 1, 5)]
        return math.log(sum(vals) / len(vals))

    expected = 0.5 * (align + 3.0 * (unif(x) + unif(y)) / 2)
    got = DirectAUHead(gamma=3.0, weight=0.5)(users, items, ue, ie)
    assert got.item() == pytest.approx(expected, rel=1e-9)
    with pytest.raises(ValueError, match="at least two"):
        DirectAUHead()(users[:1], items[:1], ue, ie)


def test_replaces_bpr_in_an_mf_loop(tiny):
    torch.manual_seed(0)
    user = torch.nn.Embedding(tiny.num_users, 16)
    item = torch.nn.Embedding(tiny.num_items, 16)
    head = DirectAUHead()
    opt = torch.optim.Adam([*user.parameters(), *item.parameters()], lr=0.05)

    def mean_pos_cos():
        with torch.no_grad():
            return torch.cosine_similarity(user.weight[tiny.users], item.weight[tiny.items]).mean().item()

    start = mean_pos_cos()
    g = torch.Generator().manual_seed(0)
    for _ in range(30):
        idx = torch.randint(0, tiny.users.numel(), (64,), generator=g)
        loss = head(tiny.users[idx], tiny.items[idx], user.weight, item.weight)  # the whole loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert mean_pos_cos() > start + 0.2
