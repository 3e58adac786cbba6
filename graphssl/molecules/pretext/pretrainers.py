"""The molecule pretext methods in the transfer protocol's pretrainer registry
(:func:`graphssl.molecules.pretrain`): each pretrains a :class:`MoleculeGIN` on a corpus and
returns its ``state_dict``.

Registered: ``attr_masking``, ``context_prediction``, ``context_property``,
``motif_prediction``, ``grover`` (contextual property + motifs), ``dsla``, ``graphmae``,
``graphcl``. Every pretrainer takes ``(corpus, epochs, seed)`` and the keywords ``device``,
``batch_size`` (256), ``lr`` (1e-3), ``progress``, ``encoder_kwargs`` and the task's own
options (e.g. ``mask_rate=0.25``). ``context_property`` and ``grover`` build their atom
and bond dictionaries from the corpus (options ``k``, ``min_count``, ``bonds``).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Mapping, Optional

import torch
from torch import nn

from ..pretrain import register_pretrainer
from .grover import build_context_vocabulary
from .methods import (MoleculeAttrMasking, MoleculeContextPrediction, MoleculeContextProperty, MoleculeDSLA,
                      MoleculeGraphCLMethod, MoleculeGraphMAEMethod, MoleculeMotifPrediction, grover_method,
                      method_output, train_pretext)

__all__ = ["PRETRAINER_METHODS", "run_pretrainer"]


def _vocabs(corpus: Any, opts: dict):
    """The atom and (unless ``bonds=False``) bond dictionaries of the corpus."""
    k, min_count, bonds = opts.pop("k", 1), opts.pop("min_count", 1), opts.pop("bonds", True)
    atom = build_context_vocabulary(corpus.batches(batch_size=1024), k=k, min_count=min_count)
    bond = (build_context_vocabulary(corpus.batches(batch_size=1024), min_count=min_count, kind="bond")
            if bonds else None)
    return atom, bond


def _context_property(encoder_kwargs: Optional[Mapping[str, Any]], seed: int, corpus: Any, **opts: Any) -> nn.Module:
    vocab, bond_vocab = _vocabs(corpus, opts)
    return MoleculeContextProperty(encoder_kwargs=encoder_kwargs, seed=seed, vocab=vocab, bond_vocab=bond_vocab,
                                   **opts)


def _grover(encoder_kwargs: Optional[Mapping[str, Any]], seed: int, corpus: Any, **opts: Any) -> nn.Module:
    vocab, bond_vocab = _vocabs(corpus, opts)
    return grover_method(vocab, bond_vocab=bond_vocab, encoder_kwargs=encoder_kwargs, seed=seed, **opts)


def _simple(cls: type) -> Callable[..., nn.Module]:
    def build(encoder_kwargs: Optional[Mapping[str, Any]], seed: int, corpus: Any, **opts: Any) -> nn.Module:
        return cls(encoder_kwargs=encoder_kwargs, seed=seed, **opts)
    return build


#: Pretrainer name -> builder ``(encoder_kwargs, seed, corpus, **options) -> method``.
PRETRAINER_METHODS: Dict[str, Callable[..., nn.Module]] = {
    "attr_masking": _simple(MoleculeAttrMasking),
    "context_prediction": _simple(MoleculeContextPrediction),
    "context_property": _context_property,
    "motif_prediction": _simple(MoleculeMotifPrediction),
    "grover": _grover,
    "dsla": _simple(MoleculeDSLA),
    "graphmae": _simple(MoleculeGraphMAEMethod),
    "graphcl": _simple(MoleculeGraphCLMethod),
}


def run_pretrainer(name: str, corpus: Any, epochs: int, seed: int, device: Any = "cpu", batch_size: int = 256,
                   lr: float = 1e-3, progress: bool = False, encoder_kwargs: Optional[Mapping[str, Any]] = None,
                   history: Optional[list] = None, **options: Any) -> Dict[str, Any]:
    """Build the method ``name`` (parameters initialised from ``seed``), pretrain it on
    ``corpus`` for ``epochs`` and return the encoder's ``state_dict``.

    Args:
        history: if a list, the per-epoch mean losses are appended to it.
        options: the task's options.

    Raises:
        ValueError: unknown name or bad options.
    """
    if name not in PRETRAINER_METHODS:
        raise ValueError(f"unknown molecule pretext method {name!r}; known: {', '.join(PRETRAINER_METHODS)}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        try:
            method = PRETRAINER_METHODS[name](encoder_kwargs, int(seed), corpus, **options)
        except TypeError as e:
            raise ValueError(f"bad options for molecule pretrainer {name!r}: {e}") from None
    losses = train_pretext(method, corpus, epochs, seed=seed, batch_size=batch_size, lr=lr, device=device,
                           progress=progress)
    if history is not None:
        history.extend(losses)
    return method_output(method)


def _register(name: str) -> None:
    def fn(corpus: Any, epochs: int, seed: int, **kw: Any) -> Dict[str, Any]:
        return run_pretrainer(name, corpus, epochs, seed, **kw)
    fn.__name__ = f"pretrain_{name}"
    fn.__doc__ = f"Pretrain a MoleculeGIN with {name!r} (see :func:`run_pretrainer`)."
    register_pretrainer(name)(fn)


for _name in PRETRAINER_METHODS:
    _register(_name)
