"""The l1emu sample format, described once in ``trigger/io/schemas/l1emu.yaml`` (package data).

The sample writer declares its TTree from it and refuses chunks that differ, the reader's built-in
``l1emu`` schema is derived from its ``read:`` entries, and the toy generator writes its branches; a
branch added to the samples is therefore added in one place.

>>> fmt = sample_format()
>>> fmt.groups["L1Mu"].counter, fmt.groups["L1Mu"].fields()[:3]
('nL1Mu', ('pt', 'eta', 'phi'))
>>> reader = fmt.reader_schema()
>>> reader["collections"]["muons"]["quality"], reader["sums"]["HT"], reader["weight"]
('L1Mu_qual', {'branch': 'L1EtSum_HT'}, 'weight')
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from trigger.config import Validator, join
from trigger.errors import ConfigError, SampleError

__all__ = ["DTYPES", "FORMAT_FILE", "Branch", "Group", "SampleFormat", "parse_format", "sample_format"]

#: where the description lives (relative to the ``trigger.io`` package)
FORMAT_FILE = "schemas/l1emu.yaml"
#: branch type -> C++ type name as uproot reports it (``TBranch.typename``, without ``[]``)
DTYPES = {"int32": "int32_t", "int64": "int64_t", "float32": "float", "float64": "double"}


@dataclass(frozen=True)
class Branch:
    """One branch: its full name, numpy type, meaning, and reader target (``None``: not read)."""

    name: str
    dtype: str
    doc: str = ""
    read: str | None = None


@dataclass(frozen=True)
class Group:
    """A jagged collection (``counter`` set; branches ``<name>_<field>``) or a set of per-event scalars."""

    name: str
    branches: tuple[Branch, ...]
    counter: str | None = None
    optional: bool = False
    doc: str = ""

    def fields(self) -> tuple[str, ...]:
        """Record field names of a collection (the branch names of a scalar group)."""
        cut = len(self.name) + 1 if self.counter else 0
        return tuple(b.name[cut:] for b in self.branches)

    def datashape(self) -> str:
        """The awkward type of one chunk's record array: ``var * {pt: float32, ...}``."""
        inner = ", ".join(f"{f}: {b.dtype}" for f, b in zip(self.fields(), self.branches, strict=True))
        return f"var * {{{inner}}}"


@dataclass(frozen=True)
class SampleFormat:
    """The parsed format: tree name and title, groups in file order."""

    tree: str
    title: str
    groups: Mapping[str, Group]
    source: str = FORMAT_FILE

    def branch_types(self, groups: Iterable[str] | None = None) -> dict[str, str]:
        """Every branch in a file holding ``groups`` (default: the non-optional ones), counters included,
        as name -> type (int32, float32, ...): what plain uproot should find in the tree."""
        chosen = [g for g in self.groups.values() if not g.optional] if groups is None else self._pick(groups)
        out: dict[str, str] = {}
        for g in chosen:
            if g.counter:
                out[g.counter] = "int32"
            out.update({b.name: b.dtype for b in g.branches})
        return out

    def _pick(self, names: Iterable[str]) -> list[Group]:
        wanted = set(names)
        unknown = wanted - self.groups.keys()
        if unknown:
            raise SampleError(f"groups {sorted(unknown)} are not in {self.source} (groups: {', '.join(self.groups)})")
        return [g for g in self.groups.values() if g.name in wanted]

    def tree_types(self, chunk: Mapping[str, Any]) -> dict[str, Any]:
        """The ``mktree`` types of a chunk (collections keyed by group name as awkward records, scalars by
        branch name), after checking it holds exactly the declared branches with the declared types."""
        import awkward as ak

        present = []
        seen: set[str] = set()
        for g in self.groups.values():
            keys = [g.name] if g.counter else [b.name for b in g.branches]
            have = [k for k in keys if k in chunk]
            if not have and g.optional:
                continue
            if len(have) != len(keys):
                missing = sorted(set(keys) - set(have))
                raise SampleError(f"chunk lacks {missing} of group {g.name!r} declared in {self.source}")
            present.append(g)
            seen.update(keys)
        extra = sorted(set(chunk) - seen)
        if extra:
            raise SampleError(f"chunk has branches {extra} that {self.source} does not declare: add them there")
        types: dict[str, Any] = {}
        for g in present:
            if g.counter:
                value = chunk[g.name]
                if not isinstance(value, ak.Array) or set(value.fields) != set(g.fields()):
                    got = sorted(value.fields) if isinstance(value, ak.Array) else type(value).__name__
                    raise SampleError(f"{g.name}: expected fields {list(g.fields())} ({self.source}), got {got}")
                for f, b in zip(g.fields(), g.branches, strict=True):
                    got = str(value[f].type.content)
                    if got != f"var * {b.dtype}":
                        raise SampleError(f"{b.name}: {self.source} declares var * {b.dtype}, the chunk has {got}")
                types[g.name] = g.datashape()
            else:
                for b in g.branches:
                    got = str(np.asarray(chunk[b.name]).dtype)
                    if got != b.dtype:
                        raise SampleError(f"{b.name}: {self.source} declares {b.dtype}, the chunk has {got}")
                    types[b.name] = np.dtype(b.dtype)
        return types

    def reader_schema(self, name: str = "l1emu") -> dict[str, Any]:
        """The reader's schema (``schema_version: 1`` form) from the ``read:`` entries."""
        collections: dict[str, dict[str, str]] = {}
        sums: dict[str, dict[str, str]] = {}
        event: dict[str, str] = {}
        weight = cluster = None
        for g in self.groups.values():
            for b in g.branches:
                if b.read is None:
                    continue
                kind, _, target = b.read.partition(".")
                if kind == "weight":
                    weight = b.name
                elif kind == "cluster":
                    cluster = b.name
                elif kind == "event":
                    event[target] = b.name
                elif kind == "sums" and target.endswith(".phi"):
                    sums.setdefault(target.removesuffix(".phi"), {})["phi_branch"] = b.name
                elif kind == "sums":
                    sums.setdefault(target, {})["branch"] = b.name
                else:
                    collections.setdefault(kind, {})[target] = b.name
        return {
            "schema_version": 1,
            "name": name,
            "tree": self.tree,
            "weight": weight,
            "cluster": cluster,
            "collections": collections,
            "sums": sums,
            "event": event,
        }


def _branch(v: Validator, name: str, raw: Any, path: str, group: Group, default_read: str | None) -> Branch:
    spec = {"type": raw} if isinstance(raw, str) else v.mapping(raw, path)
    v.keys(spec, path, ("type", "doc", "read"), ("type",))
    dtype = v.choice(spec, "type", path, DTYPES, "")
    if group.counter and not name.startswith(f"{group.name}_"):
        raise v.fail(path, f"a branch name starting with {group.name + '_'!r} (its group)", name)
    field = name[len(group.name) + 1 :] if group.counter else name
    read = spec.get("read")
    if read is None and default_read is not None:
        read = f"{default_read}.{field}"
    if read is not None:
        kind, dot, target = str(read).partition(".")
        plain = (
            dot
            and kind
            and target
            and ("." not in target or (kind == "sums" and target.count(".") == 1 and target.endswith(".phi")))
        )
        if not (read in ("weight", "cluster") or plain):
            expected = "weight, cluster, event.NAME, sums.NAME, sums.NAME.phi or COLLECTION.FIELD"
            raise v.fail(join(path, "read"), expected, read)
        if read == "cluster" and group.counter:
            raise v.fail(join(path, "read"), "cluster on a per-event scalar only (a group without counter)", read)
        if read == "cluster" and dtype != "int64":
            raise v.fail(join(path, "type"), "int64 for read: cluster (one cluster id per crossing)", dtype)
    return Branch(name, dtype, str(spec.get("doc", "")), read)


def parse_format(data: Any, source: str) -> SampleFormat:
    """Validate a parsed format description (see the YAML file's header for its grammar)."""
    v = Validator(source)
    top = v.document(data)
    v.keys(top, "", ("version", "tree", "title", "provenance", "groups"), ("version", "tree", "groups"))
    if v.integer(top, "version", "") != 1:
        raise v.fail("version", "1", top["version"])
    groups: dict[str, Group] = {}
    targets: dict[str, str] = {}
    for gname, graw in v.mapping(top["groups"], "groups").items():
        path = join("groups", str(gname))
        g = v.mapping(graw, path)
        v.keys(g, path, ("doc", "counter", "read", "optional", "branches"), ("branches",))
        counter = v.string(g, "counter", path) if "counter" in g else None
        if counter is not None and counter != f"n{gname}":
            raise v.fail(join(path, "counter"), f"'n{gname}' (uproot names the counter n<group>)", counter)
        shell = Group(str(gname), (), counter, v.boolean(g, "optional", path, False), str(g.get("doc", "")))
        default_read = v.string(g, "read", path) if "read" in g else None
        raw_branches = v.mapping(g["branches"], join(path, "branches"))
        branches = tuple(
            _branch(v, str(n), b, join(join(path, "branches"), str(n)), shell, default_read)
            for n, b in raw_branches.items()
        )
        for b in branches:
            if b.read is not None and b.read in targets:
                raise ConfigError(f"{source}: {path}.branches.{b.name}: read {b.read} is already {targets[b.read]}")
            if b.read is not None:
                targets[b.read] = b.name
        groups[shell.name] = Group(shell.name, branches, counter, shell.optional, shell.doc)
    if "weight" not in targets:
        raise ConfigError(f"{source}: groups: no branch has read: weight")
    return SampleFormat(v.string(top, "tree", ""), str(top.get("title", "")), groups, source)


@functools.cache
def sample_format() -> SampleFormat:
    """The installed format description, parsed once per process."""
    import yaml

    text = resources.files("trigger.io").joinpath(FORMAT_FILE).read_text(encoding="utf-8")
    return parse_format(yaml.safe_load(text), f"trigger/io/{FORMAT_FILE}")
