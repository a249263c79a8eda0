"""Write chunks of branches to one ROOT TTree ``Events``, atomically, with provenance.

uproot 5.7 writes an RNTuple for ``file["name"] = {...}``; a TTree needs ``mktree`` + ``extend``.
Collections (awkward records of lists) become ``Coll_field`` branches with counter ``nColl``.
The tree is declared from the sample format (``trigger/io/schemas/l1emu.yaml``): a chunk with a branch
or a type it does not declare is refused. The provenance is a JSON ``TObjString`` named ``provenance``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from trigger.errors import SampleError
from trigger.io.sample_format import sample_format

__all__ = ["read_provenance", "write_root"]


def write_root(path: Path, chunks: Iterable[dict[str, Any]], provenance: dict[str, Any]) -> int:
    """Write ``chunks`` (dicts of branch -> array) to ``path`` via a temporary file; returns entries."""
    import uproot

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    entries = 0
    try:
        with uproot.recreate(tmp) as f:
            fmt = sample_format()
            tree, declared = None, {}
            for chunk in chunks:
                types = fmt.tree_types(chunk)
                if tree is None:
                    tree, declared = f.mktree(fmt.tree, types, title=fmt.title), types
                elif types != declared:
                    raise SampleError(f"chunk branches {sorted(types)} differ from the first chunk's {list(declared)}")
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
