"""The input files of a command, checked before any event is read.

Each file is looked at on its own first (exists, is a file, not empty, starts like a ROOT file,
is as long as its header says), so the message says exactly that instead of a schema-detection or
uproot error; ``--skip-bad-files`` drops such files (they are listed in the report). The same file
given twice, by path or by content, would be counted twice and shrink the error bars: refused
unless ``--allow-duplicates``. The schema is detected from the first file that holds a tree a
built-in schema reads, so a skipped first file does not decide it.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from trigger.errors import BadInputFileError, EmptyInputError
from trigger.io import Schema, detect_schema, expand_inputs, load_schema

__all__ = ["Inputs", "check_inputs", "digest", "file_problem"]

_HEADER = 64
_BEGIN = 100  # ROOT's kBEGIN: the first record of every ROOT file starts there


def file_problem(path: str) -> str | None:
    """Why ``path`` cannot be a readable ROOT file, judged from the file system and its header; None if it may be."""
    p = Path(path)
    if not (p.exists() or p.is_symlink()):
        return f"input file {path!r} does not exist"
    if p.is_dir():
        return f"input {path!r} is a directory, not a ROOT file; give the files inside it (e.g. '{path}/*.root')"
    try:
        size = p.stat().st_size
        with p.open("rb") as fh:
            head = fh.read(_HEADER)
    except OSError as exc:
        return f"input file {path!r} cannot be read: {exc.strerror or exc}"
    if size == 0:
        return f"input file {path!r} is empty (0 bytes): an interrupted copy or write? produce it again"
    if head[:4] != b"root":
        return f"input file {path!r} is not a ROOT file (it does not start with the ROOT signature 'root')"
    if len(head) >= 20:
        version, begin = struct.unpack(">ii", head[4:12])
        end = struct.unpack(">q", head[12:20])[0] if version >= 1_000_000 else struct.unpack(">i", head[12:16])[0]
        if begin != _BEGIN or version <= 0:
            return (
                f"cannot open {path!r} as a ROOT file: its header is corrupt (it starts with 'root' but its first "
                f"record is at byte {begin}, not {_BEGIN}); produce or copy it again"
            )
        if end > size:
            return (
                f"input file {path!r} is truncated: its header says {end} bytes, the file has {size} "
                "(an interrupted copy or write?); copy or produce it again"
            )
    else:
        return f"input file {path!r} is truncated: {size} bytes, shorter than a ROOT file header"
    return None


def digest(path: str) -> str:
    """The sha256 of a file's content, hex (the reports record it; duplicates are found by it)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _duplicates(files: Sequence[str]) -> None:
    """Raise unless every file is distinct by real path and, among files of equal size, by sha256."""
    seen: dict[str, str] = {}
    for path in files:
        real = os.path.realpath(path)
        if real in seen:
            raise BadInputFileError(
                f"input file {path!r} is given twice (also as {seen[real]!r}): its events would be counted twice; "
                "give each file once (check overlapping globs) or pass --allow-duplicates"
            )
        seen[real] = path
    by_size: dict[int, list[str]] = {}
    for path in files:
        by_size.setdefault(os.path.getsize(path), []).append(path)
    for group in by_size.values():
        if len(group) < 2:
            continue
        digests: dict[str, str] = {}
        for path in group:
            d = digest(path)
            if d in digests:
                raise BadInputFileError(
                    f"input files {digests[d]!r} and {path!r} have the same content (sha256 {d[:12]}...): "
                    "its events would be counted twice; drop one, or pass --allow-duplicates"
                )
            digests[d] = path


@dataclass(frozen=True)
class Inputs:
    """The files to open, the ones dropped by ``--skip-bad-files`` (with the reason), and the schema."""

    files: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]
    schema: Schema


def _schema(schema: str | None, files: Sequence[str], tree: str | None, skip_bad_files: bool) -> Schema:
    if schema:
        return load_schema(schema)
    problems = []
    for path in files:
        reason = _tree_problem(path, tree)
        if reason is None:
            return detect_schema([path], tree)
        if not skip_bad_files:
            raise BadInputFileError(reason)
        problems.append(reason)
    raise EmptyInputError(f"no input file holds a tree to detect the schema from: {'; '.join(problems)}")


def _tree_problem(path: str, tree: str | None) -> str | None:
    """Why no built-in schema can read ``path`` (no such tree, unreadable directory), or None if that is not it."""
    import uproot

    from trigger.io.builtin import BUILTIN
    from trigger.io.schema import builtin_schema

    trees = [tree] if tree else [t for name in BUILTIN for t in builtin_schema(name).trees]
    try:
        with uproot.open(path) as handle:
            keys = dict(handle.classnames(recursive=True, cycle=False))
    except Exception as exc:
        return f"cannot open {path!r} as a ROOT file: {type(exc).__name__}: {exc}"
    if any(t in keys for t in trees):
        return None
    held = ", ".join(f"{k!r} ({c})" for k, c in sorted(keys.items())[:8]) or "no objects"
    return (
        f"{path!r} holds no tree named {', '.join(map(repr, dict.fromkeys(trees)))}; it holds {held}: "
        "pass --tree NAME (and --schema NAME or --schema my_schema.yaml)"
    )


def check_inputs(
    specs: Sequence[str],
    *,
    schema: str | None = None,
    tree: str | None = None,
    skip_bad_files: bool = False,
    allow_duplicates: bool = False,
) -> Inputs:
    """Expand ``specs``, check every file, refuse duplicates, and find the schema: all before the event loop."""
    files = expand_inputs(specs)
    good: list[str] = []
    skipped: list[tuple[str, str]] = []
    for path in files:
        problem = file_problem(path)
        if problem is None:
            good.append(path)
        elif skip_bad_files:
            skipped.append((path, problem))
        else:
            raise BadInputFileError(problem)
    if not good:
        reasons = "; ".join(r for _, r in skipped)
        raise EmptyInputError(f"all {len(files)} input files are unreadable, nothing to process: {reasons}")
    if not allow_duplicates:
        _duplicates(good)
    return Inputs(tuple(good), tuple(skipped), _schema(schema, good, tree, skip_bad_files))
