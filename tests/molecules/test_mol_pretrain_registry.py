"""The molecule pretrainer registry: registration, discovery, pretrain() checks."""
import pytest

from graphssl.molecules import MOLECULE_PRETRAINERS, MoleculeGIN, pretrain, pretrainer_names, register_pretrainer


@pytest.fixture
def dummy():
    name = "test-dummy-pretrainer"
    calls = []

    @register_pretrainer(name)
    def fn(corpus, epochs, seed, **kw):
        calls.append((corpus, epochs, seed, kw))
        return MoleculeGIN(num_layers=1, hidden=4).state_dict()
    yield name, calls
    MOLECULE_PRETRAINERS._items.pop(name, None)


def test_register_and_run(dummy):
    name, calls = dummy
    assert name in pretrainer_names()
    state = pretrain(name, "corpus", epochs=3, seed=7, device="cpu")
    assert calls == [("corpus", 3, 7, {"device": "cpu"})] and "atom_encoder.tables.0.weight" in state
    with pytest.raises(ValueError, match="already registered"):
        register_pretrainer(name)(lambda corpus, epochs, seed: {})
    with pytest.raises(ValueError, match="epochs"):
        pretrain(name, "corpus", epochs=-1, seed=0)


def test_unknown_and_bad_return():
    with pytest.raises(ValueError, match="unknown molecule pretrainer"):
        pretrain("no-such-method", None, 1, 0)
    register_pretrainer("test-bad-return")(lambda corpus, epochs, seed: [1, 2])
    try:
        with pytest.raises(ValueError, match="expected a state_dict"):
            pretrain("test-bad-return", None, 1, 0)
    finally:
        MOLECULE_PRETRAINERS._items.pop("test-bad-return", None)
