"""Pretraining corpus: de-duplicated union without the fine-tuning sets' test molecules."""
import pytest
import torch

pytest.importorskip("rdkit")

from graphssl.molecules import held_out_smiles, pretraining_corpus  # noqa: E402


def test_corpus_excludes_test_splits_and_duplicates(small_molecules):
    bace, bbbp, clintox = small_molecules("bace", 150), small_molecules("bbbp", 200), small_molecules("clintox", 150)
    corpus = pretraining_corpus([bace, bbbp, clintox], exclude_test_of=[bace, bbbp])
    canon = corpus.canonical
    assert len(canon) == len(set(canon))  # de-duplicated
    banned = held_out_smiles([bace, bbbp])
    assert banned and not banned & set(canon)
    everything = set(bace.canonical) | set(bbbp.canonical) | set(clintox.canonical)
    assert set(canon) == everything - banned  # nothing else lost
    info = corpus.info
    assert info["num_seen"] == len(bace) + len(bbbp) + len(clintox)
    assert info["num_seen"] == len(corpus) + info["num_duplicates"] + info["num_excluded"]
    assert corpus.num_tasks == 0 and corpus.split is None
    # clintox's test molecules are allowed (not excluded) unless they are also in a banned split
    assert set(clintox.canonical[i] for i in clintox.get_idx_split()["test"].tolist()) - banned <= set(canon)
    # graphs travel with their SMILES
    j = canon.index(bbbp.canonical[int(bbbp.get_idx_split()["train"][0])])
    k = int(bbbp.get_idx_split()["train"][0])
    assert torch.equal(corpus[j].x, bbbp[k].x)
    b = next(corpus.batches(batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0)))
    assert b.num_graphs == 64 and b.y.shape == (64, 0)


def test_default_excludes_every_source(small_molecules):
    bace, clintox = small_molecules("bace", 150), small_molecules("clintox", 150)
    corpus = pretraining_corpus([bace, clintox])
    assert not held_out_smiles([bace, clintox]) & set(corpus.canonical)
    with pytest.raises(ValueError, match="at least one"):
        pretraining_corpus([])
