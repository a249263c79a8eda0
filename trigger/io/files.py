"""Open the inputs: expand globs, find the tree, check the branches, count entries, cut work items.

Every problem is found here, before any event is processed, so a run fails early and writes nothing.
A "tree" is a TTree or an RNTuple (uproot 5.7 writes RNTuple by default): both give entry counts,
chunk boundaries (baskets, clusters) and names; an RNTuple's record subfields ``Jet.pt`` are also
reachable as ``Jet_pt``, the name uproot gives the same data in a TTree.
"""

from __future__ import annotations

import glob
import itertools
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from trigger.errors import BadInputFileError, EmptyInputError, MissingBranchError
from trigger.io.schema import Schema
from trigger.names import nearest

__all__ = [
    "Dataset",
    "FileInfo",
    "WorkItem",
    "branch_map",
    "entry_boundaries",
    "expand_inputs",
    "is_rntuple",
    "open_dataset",
    "open_tree",
]


@dataclass(frozen=True)
class WorkItem:
    """One chunk: entries ``[start, stop)`` of ``tree`` in ``path``; ``index`` orders chunks globally."""

    index: int
    path: str
    tree: str
    start: int
    stop: int

    @property
    def n(self) -> int:
        return self.stop - self.start

    def describe(self) -> str:
        return f"{self.path}:{self.tree} entries {self.start}-{self.stop}"


@dataclass(frozen=True)
class FileInfo:
    path: str
    tree: str
    entries: int
    #: entry numbers where every branch starts a new basket (uproot ``common_entry_offsets``)
    boundaries: tuple[int, ...] = ()

    def ranges(self, chunk_size: int) -> list[tuple[int, int]]:
        """Chunks cut at basket boundaries, as large as possible up to ``chunk_size`` entries, so no
        basket is decompressed twice; a basket range longer than ``chunk_size`` is split evenly."""
        edges = sorted({0, self.entries, *(b for b in self.boundaries if 0 < b < self.entries)})
        out: list[tuple[int, int]] = []
        start = 0
        for lo, hi in itertools.pairwise(edges):
            if hi - lo > chunk_size:
                if lo > start:
                    out.append((start, lo))
                parts = -(-(hi - lo) // chunk_size)
                cuts = [lo + (hi - lo) * k // parts for k in range(parts + 1)]
                out.extend(itertools.pairwise(cuts))
                start = hi
            elif hi - start > chunk_size:
                out.append((start, lo))
                start = lo
        if start < self.entries:
            out.append((start, self.entries))
        return out


@dataclass(frozen=True)
class Dataset:
    """The readable inputs, the files skipped with ``--skip-bad-files`` and why, and the schema."""

    files: tuple[FileInfo, ...]
    schema: Schema
    branches: frozenset[str]
    skipped: tuple[tuple[str, str], ...] = ()
    empty: tuple[str, ...] = field(default=())

    @property
    def entries(self) -> int:
        return sum(f.entries for f in self.files)

    def work_items(self, chunk_size: int = 100_000, max_events: int | None = None) -> list[WorkItem]:
        """Chunks of at most ``chunk_size`` entries, in file order, stopping after ``max_events``."""
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        items: list[WorkItem] = []
        left = self.entries if max_events is None else min(max_events, self.entries)
        for info in self.files:
            for start, stop in info.ranges(chunk_size):
                if left <= 0:
                    break
                stop = min(stop, start + left)
                items.append(WorkItem(len(items), info.path, info.tree, start, stop))
                left -= stop - start
        return items


def expand_inputs(inputs: Iterable[str]) -> list[str]:
    """Files and glob patterns -> sorted file list; a pattern matching nothing is an error."""
    out: list[str] = []
    for spec in inputs:
        if glob.has_magic(spec):
            matches = sorted(glob.glob(spec, recursive=True))
            if not matches:
                raise BadInputFileError(f"input pattern {spec!r} matches no file")
            out.extend(matches)
        else:
            out.append(spec)
    if not out:
        raise BadInputFileError("no input files given (use --input FILE [FILE ...])")
    return out


def is_rntuple(tree: Any) -> bool:
    return hasattr(tree, "cluster_summaries")


def entry_boundaries(tree: Any) -> tuple[int, ...]:
    """Entries where every branch starts a new basket (TTree) or a new cluster starts (RNTuple)."""
    if is_rntuple(tree):
        return tuple(int(c.num_first_entry) for c in tree.cluster_summaries)
    return tuple(int(x) for x in tree.common_entry_offsets())


def branch_map(tree: Any) -> dict[str, str]:
    """Name -> full branch path, for full paths and for the last path component (nested L1Ntuple branches);
    for an RNTuple, ``Record_field`` for each subfield ``Record.field``."""
    out: dict[str, str] = {}
    rntuple = is_rntuple(tree)
    for key in tree.keys(recursive=True):
        out.setdefault(key.rsplit("/", 1)[-1], key)
        if rntuple and key.count(".") == 1 and not key.startswith("_"):
            out.setdefault(key.replace(".", "_"), key)
        out[key] = key
    return out


def open_tree(path: str, trees: Sequence[str]) -> tuple[Any, str]:
    """Open ``path`` and return the first of ``trees`` it holds, or raise :class:`BadInputFileError`."""
    import uproot

    if not os.path.exists(path):
        raise BadInputFileError(f"input file {path!r} does not exist")
    try:
        handle = uproot.open(path)
    except Exception as exc:  # uproot raises many kinds for corrupt files
        raise BadInputFileError(f"cannot open {path!r} as a ROOT file: {type(exc).__name__}: {exc}") from None
    keys = [k.split(";")[0] for k in handle.keys(recursive=True)]
    for name in trees:
        if name in keys:
            try:
                obj = handle[name]
            except Exception as exc:
                raise BadInputFileError(f"{path!r}: cannot read tree {name!r}: {type(exc).__name__}: {exc}") from None
            if not hasattr(obj, "num_entries") or not hasattr(obj, "keys"):
                raise BadInputFileError(f"{path!r}: {name!r} is a {type(obj).__name__}, not a TTree or RNTuple")
            return obj, name
    near = nearest(trees[0], keys)
    raise BadInputFileError(
        f"{path!r} has no tree {' or '.join(map(repr, trees))}; nearest keys: {', '.join(map(repr, near)) or 'none'}"
    )


def open_dataset(
    inputs: Iterable[str],
    schema: Schema,
    branches: Iterable[str],
    *,
    tree: str | None = None,
    skip_bad_files: bool = False,
) -> Dataset:
    """Check every input; missing branches always fail, unreadable files fail unless ``skip_bad_files``."""
    wanted = frozenset(branches)
    trees = (tree,) if tree else schema.trees
    files: list[FileInfo] = []
    skipped: list[tuple[str, str]] = []
    empty: list[str] = []
    for path in expand_inputs(inputs):
        try:
            ttree, name = open_tree(path, trees)
            available = branch_map(ttree)
            entries = int(ttree.num_entries)
            boundaries = entry_boundaries(ttree)
        except BadInputFileError as exc:
            if not skip_bad_files:
                raise
            skipped.append((path, str(exc)))
            continue
        missing = sorted(wanted - available.keys())
        if missing:
            hints = "; ".join(f"{b!r} (nearest: {', '.join(map(repr, nearest(b, available)))})" for b in missing)
            vertex = {
                c.fields[k]
                for c in schema.collections.values()
                if c.at_vertex
                for k in ("eta_vtx", "phi_vtx")
                if k in c.fields
            }
            hint = (
                "; without coordinates at the vertex, read the muon station's: --muon-coordinates station"
                if vertex & set(missing)
                else ""
            )
            plural = "es" if len(missing) > 1 else ""
            raise MissingBranchError(f"{path}:{name}: missing branch{plural} {hints} (schema {schema.name!r}){hint}")
        if entries == 0:
            empty.append(path)
        files.append(FileInfo(path, name, entries, boundaries))
    total = sum(f.entries for f in files)
    if total == 0:
        what = "; ".join(f"{p}: {r}" for p, r in skipped) if skipped else ", ".join(empty)
        raise EmptyInputError(f"no events to process: every input tree is empty or skipped ({what})")
    return Dataset(tuple(files), schema, wanted, tuple(skipped), tuple(empty))
