"""Mini-batch training of the SSL methods: GraphMAE/GraphMAE2 on neighbour-sampled Blocks
(equal to the full-graph loss with all nodes as seeds and full fan-outs), GRACE, BGRL,
GraphMAE2 and the multi-task trainer on sampled subgraphs, learning on Cora."""
import pytest
import torch

from graphssl.methods import GraphMAE, GraphMAE2, build_method
from graphssl.minibatch import BlockInput, SubgraphInput, embed_layerwise, make_input
from graphssl.multitask import MultiTask
from graphssl.sampling import LocalClusterSampler, NeighborSampler, RandomWalkSampler
from graphssl.sparse import Graph
from graphssl.train import Trainer


class _Data:
    def __init__(self, graph, x):
        self.graph, self.x = graph, x


def _toy(n=160, m=640, f=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    ei = torch.randint(0, n, (2, m), generator=g)
    graph = Graph.from_edge_index(torch.cat([ei, ei.flip(0)], 1), n).coalesce()
    return _Data(graph, torch.randn(n, f, generator=g))


@pytest.mark.parametrize("cls,kw", [
    (GraphMAE, {}),
    (GraphMAE, {"encoder": "gcn", "decoder": "gcn", "concat_hidden": True, "replace_rate": 0.2}),
    (GraphMAE, {"decoder": "mlp"}),
    (GraphMAE, {"encoder": "gin", "decoder": "linear", "num_layers": 3}),
    (GraphMAE2, {}),
    (GraphMAE2, {"encoder": "gcn", "decoder": "gcn", "num_remask": 2}),
])
def test_block_loss_with_all_seeds_equals_full_graph_loss(cls, kw, torch_backend_one_thread):
    data = _toy()
    method = cls(12, hidden_dim=16, heads=2, feat_drop=0.0, attn_drop=0.0, seed=3, **kw)
    num_blocks = method.encoder.num_layers + (0 if kw.get("decoder") in ("mlp", "linear") else 1)
    n = data.graph.num_nodes
    batch = make_input(NeighborSampler(data.graph, [-1] * num_blocks).sample(torch.arange(n)), data.x, data.graph)
    assert isinstance(batch, BlockInput) and batch.num_seeds == n
    method.generator.manual_seed(5)
    block_loss = method.loss(batch)
    method.generator.manual_seed(5)
    full_loss = method.loss(data)
    torch.testing.assert_close(block_loss, full_loss, rtol=1e-5, atol=1e-6)
    block_loss.backward()
    assert method.enc_mask_token.grad is not None


def test_block_loss_on_sampled_seeds_scores_masked_seeds(torch_backend_one_thread):
    data = _toy()
    method = GraphMAE(12, hidden_dim=16, heads=2, mask_rate=0.5, seed=0)
    batch = make_input(NeighborSampler(data.graph, [3, 3, 3], seed=0).sample(torch.arange(0, 160, 7)), data.x,
                       data.graph)
    mask, keep = method._block_mask(batch.num_seeds, batch.x.size(0), batch.x.device)
    assert (mask < batch.num_seeds).sum() == int(0.5 * batch.num_seeds)
    assert torch.equal(torch.sort(torch.cat([mask, keep])).values, torch.arange(batch.x.size(0)))
    loss = method.loss(batch)
    assert loss.dim() == 0 and torch.isfinite(loss)


def test_wrong_number_of_blocks_is_named(torch_backend_one_thread):
    data = _toy()
    method = GraphMAE(12, hidden_dim=16, heads=2)
    batch = make_input(NeighborSampler(data.graph, [3, 3]).sample(torch.arange(8)), data.x, data.graph)
    with pytest.raises(ValueError, match="needs 3 Blocks"):
        method.loss(batch)


def test_contrastive_methods_refuse_blocks_and_train_on_subgraphs(torch_backend_one_thread):
    data = _toy()
    grace = build_method("grace", in_dim=12, hidden_dim=16, out_dim=8, proj_dim=8, seed=0)
    with pytest.raises(ValueError, match="subgraph sampler"):
        Trainer(grace, sampler=NeighborSampler(data.graph, [5, 5]))
    for name, kw, sampler in [
            ("grace", dict(hidden_dim=16, out_dim=8, proj_dim=8), LocalClusterSampler(data.graph, cluster_size=8)),
            ("bgrl", dict(hidden_dim=16, out_dim=8, predictor_hidden_dim=16), RandomWalkSampler(data.graph, 2, seed=0)),
            ("graphmae2", dict(hidden_dim=16, heads=2), LocalClusterSampler(data.graph, cluster_size=8))]:
        method = build_method(name, in_dim=12, seed=0, **kw)
        before = [p.detach().clone() for p in method.parameters() if p.requires_grad]
        trainer = Trainer(method, epochs=2, lr=1e-2, sampler=sampler, batch_size=40, progress=False)
        hist = trainer.fit(data)
        assert len(hist.losses) == 2 and all(torch.isfinite(torch.tensor(hist.losses)))
        after = [p for p in method.parameters() if p.requires_grad]
        assert any(not torch.equal(a, b) for a, b in zip(before, after)), name


def test_multitask_trains_on_subgraph_batches(torch_backend_one_thread):
    data = _toy()
    mt = MultiTask({"name": "gcn", "hidden_dim": 16, "out_dim": 8}, in_dim=12, seed=0,
                   tasks=["feature_reconstruction", "graph_mi"], weighting="mgda")
    seen = []
    sampler = LocalClusterSampler(data.graph, cluster_size=8)
    orig = mt.backward_step

    def spy(batch):
        seen.append(batch)
        return orig(batch)

    mt.backward_step = spy
    hist = Trainer(mt, epochs=2, lr=1e-2, sampler=sampler, batch_size=64, progress=False).fit(data)
    assert len(hist.losses) == 2 and len(seen) == 6  # ceil(160 / 64) steps per epoch
    assert all(isinstance(b, SubgraphInput) and b.subgraph_ptr is not None for b in seen)
    assert set(mt.last_losses) == {"feature_reconstruction", "graph_mi"}


@pytest.mark.parametrize("name,kw", [("graphmae", dict(hidden_dim=16, heads=2)),
                                     ("bgrl", dict(hidden_dim=16, out_dim=8, predictor_hidden_dim=16)),
                                     ("grace", dict(hidden_dim=16, out_dim=8, proj_dim=8))])
def test_embed_layerwise_equals_embed(name, kw, torch_backend_one_thread):
    data = _toy()
    method = build_method(name, in_dim=12, seed=0, **kw)
    Trainer(method, epochs=1, lr=1e-2, progress=False).fit(data)  # batch-norm statistics move
    torch.testing.assert_close(embed_layerwise(method, data, batch_size=50), method.embed(data),
                               rtol=1e-4, atol=1e-5)


def test_embed_layerwise_rejects_other_embeds():
    data = _toy()
    mvgrl = build_method("mvgrl", in_dim=12)
    with pytest.raises(ValueError, match="layer-wise"):
        embed_layerwise(mvgrl, data)


def _cora(data_root):
    from graphssl.datasets import load_dataset
    from graphssl.transforms import prepare
    if not (data_root / "cora").is_dir():
        pytest.skip("cora is not under GRAPHSSL_DATA")
    ds = load_dataset("cora", root=data_root, download=False)
    graph, x = prepare(ds.graph, ds.x, {"self_loops": True})
    return ds, _Data(graph, x)


@pytest.mark.parametrize("name,kw,make_sampler,batch_size,epochs,lr", [
    ("graphmae", dict(hidden_dim=64, heads=4), lambda g: NeighborSampler(g, [10, 10, 10], seed=0), 256, 4, 5e-3),
    ("bgrl", dict(hidden_dim=64, out_dim=64, predictor_hidden_dim=64),
     lambda g: LocalClusterSampler(g, cluster_size=16), 128, 3, 1e-3),
])
def test_minibatch_pretraining_learns_on_cora(name, kw, make_sampler, batch_size, epochs, lr, data_root):
    from graphssl.pipeline import probe_node_embeddings
    torch.set_num_threads(1)
    ds, data = _cora(data_root)
    torch.manual_seed(0)
    method = build_method(name, in_dim=data.x.size(1), seed=0, **kw)
    before = probe_node_embeddings(embed_layerwise(method, data, 1024), ds, {}, 0)[0]
    hist = Trainer(method, epochs=epochs, lr=lr, weight_decay=2e-4, sampler=make_sampler(data.graph),
                   batch_size=batch_size, progress=False).fit(data)
    assert hist.losses[-1] < hist.losses[0]
    after = probe_node_embeddings(embed_layerwise(method, data, 1024), ds, {}, 0)[0]
    assert after > before + 0.03, (before, after)
