"""The MoleculeNet sets as molecule graphs under OGB's names (``ogbg-molhiv``, ``ogbg-molbbbp``...).

Loading converts the CSV with rdkit (see :func:`graphssl.molecules.load_molecule_graphs`,
imported lazily so that :mod:`graphssl.datasets` needs neither rdkit nor the molecule
package). The statistics used by ``summarize`` are read from the CSV without converting.
"""
from __future__ import annotations

import os
from typing import Any, Dict, Union

from .moleculenet import NAMES as MOLECULENET_NAMES
from .moleculenet import load_moleculenet
from .registry import register_dataset

__all__ = ["OGB_NAMES", "ogb_name"]

#: OGB graph-property name -> MoleculeNet CSV name.
OGB_NAMES: Dict[str, str] = {f"ogbg-mol{n}": n for n in MOLECULENET_NAMES}


def ogb_name(name: str) -> str:
    """``"bbbp"`` or ``"ogbg-molbbbp"`` -> ``"ogbg-molbbbp"``.

    Raises:
        ValueError: not one of the 8 MoleculeNet / OGB molecule sets.
    """
    key = str(name).lower().replace("_", "-")
    if key in OGB_NAMES:
        return key
    if key in MOLECULENET_NAMES:
        return f"ogbg-mol{key}"
    raise ValueError(f"unknown molecule dataset {name!r}; known: {', '.join(MOLECULENET_NAMES)} "
                     f"or {', '.join(OGB_NAMES)}")


def _register(oname: str, base: str) -> None:
    def loader(root: Union[str, os.PathLike, None] = None, **kw: Any) -> Any:
        from ..molecules.dataset import load_molecule_graphs
        return load_molecule_graphs(oname, root, **kw)

    def stats(root: Union[str, os.PathLike, None] = None, **kw: Any) -> Dict[str, Any]:
        # Cheap: the CSV's rows and tasks, without converting (graphs leave out unparseable rows).
        raw = load_moleculenet(base, root, progress=False, **kw)
        return {"name": oname, "num_molecules": raw.num_molecules, "num_tasks": raw.num_tasks}

    loader.__name__ = f"load_{oname.replace('-', '_')}"
    loader.__doc__ = (f"Load {oname} (MoleculeNet {base} as graphs with the scaffold split); see "
                      f":func:`graphssl.molecules.load_molecule_graphs`.")
    register_dataset(oname, stats=stats)(loader)


for _o, _b in OGB_NAMES.items():
    _register(_o, _b)
