"""Write chunks of branches to one ROOT TTree ``Events``, atomically, with provenance.

uproot 5.7 writes an RNTuple for ``file["name"] = {...}``; a TTree needs ``mktree`` + ``extend``.
Collections (awkward records of lists) become ``Coll_field`` branches with counter ``nColl``.
The tree is declared from the sample format (``trigger/io/schemas/l1emu.yaml``): a chunk with a branch
or a type it does not declare is refused. The provenance is a JSON ``TObjString`` named ``provenance``;
a second ``TObjString``, ``content_digest``, holds :func:`content_digest` of the tree as read back, so a
cached sample that was truncated, bit-flipped or edited afterwards is recognised (:func:`verify`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from trigger.errors import SampleError
from trigger.io.sample_format import sample_format

__all__ = ["content_digest", "read_provenance", "verify", "write_root"]

_DIGEST_KEY = "content_digest"


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
        digest = content_digest(tmp)  # of the bytes as a reader will see them, not of the chunks in memory
        with uproot.update(tmp) as f:
            f[_DIGEST_KEY] = digest
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return entries


def read_provenance(path: Path) -> dict[str, Any]:
    import uproot

    with uproot.open(path) as f:
        return dict(json.loads(str(f["provenance"])))


def content_digest(path: Path) -> str:
    """SHA-256 of every branch of the tree, name, per-entry counts and values, independent of chunking."""
    import awkward as ak
    import uproot

    fmt = sample_format()
    hashers: dict[str, tuple[Any, Any]] = {}
    with uproot.open(path) as f:
        tree = f[fmt.tree]
        for chunk in tree.iterate(step_size="50 MB", library="ak"):
            for name in chunk.fields:
                counts, values = hashers.setdefault(name, (hashlib.sha256(), hashlib.sha256()))
                column = chunk[name]
                if column.ndim > 1:
                    counts.update(ak.to_numpy(ak.num(column)).astype("<i8").tobytes())
                    column = ak.flatten(column)
                values.update(ak.to_numpy(column).tobytes())
    total = hashlib.sha256()
    for name in sorted(hashers):
        counts, values = hashers[name]
        total.update(f"{name}:{counts.hexdigest()}:{values.hexdigest()};".encode())
    return total.hexdigest()


def verify(path: Path) -> str | None:
    """Why the sample at ``path`` cannot be trusted (unreadable, no digest, digest differs), or None."""
    import uproot

    try:
        with uproot.open(path) as f:
            end, size = int(f.file.fEND), Path(path).stat().st_size
            if size < end:  # the header's end-of-file pointer: objects near the end may still read
                return f"it is truncated ({size} of the {end} bytes its header records)"
            stored = str(f[_DIGEST_KEY]) if _DIGEST_KEY in f else None
        if stored is None:
            return "it records no content digest (written by an older l1emu)"
        actual = content_digest(path)
    except Exception as exc:  # any failure to read is the answer: the file cannot be trusted
        return f"it cannot be read ({type(exc).__name__}: {exc})"
    if actual != stored:
        return f"its content digest {actual[:12]} differs from the recorded {stored[:12]} (truncated or modified)"
    return None
