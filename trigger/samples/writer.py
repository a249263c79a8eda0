"""Write chunks of branches to one ROOT TTree ``Events``, atomically, with provenance.

uproot 5.7 writes an RNTuple for ``file["name"] = {...}``; a TTree needs ``mktree`` + ``extend``.
Collections (awkward records of lists) become ``Coll_field`` branches with counter ``nColl``.
The provenance is a JSON ``TObjString`` named ``provenance``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np

from trigger.errors import SampleError

__all__ = ["read_provenance", "write_root"]


def _tree_types(chunk: dict[str, Any]) -> dict[str, Any]:
    types: dict[str, Any] = {}
    for name, value in chunk.items():
        if isinstance(value, ak.Array):
            types[name] = value.type.content
        else:
            types[name] = np.asarray(value).dtype
    return types


def write_root(path: Path, chunks: Iterable[dict[str, Any]], provenance: dict[str, Any]) -> int:
    """Write ``chunks`` (dicts of branch -> array) to ``path`` via a temporary file; returns entries."""
    import uproot

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    entries = 0
    try:
        with uproot.recreate(tmp) as f:
            tree = None
            for chunk in chunks:
                if tree is None:
                    tree = f.mktree("Events", _tree_types(chunk), title="l1emu events")
                tree.extend(chunk)
                entries += len(next(iter(chunk.values())))
            f["provenance"] = json.dumps(provenance, sort_keys=True)
        if entries == 0:
            raise SampleError(f"no events to write to {path}: every chunk was empty")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return entries


def read_provenance(path: Path) -> dict[str, Any]:
    import uproot

    with uproot.open(path) as f:
        return dict(json.loads(str(f["provenance"])))
