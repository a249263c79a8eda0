"""Schemas: which file branches make which standard collection (jets, muons, egamma, ...) and energy sum.

A schema is data, written in YAML (``schema_version: 1``) or taken from the built-ins in
:mod:`trigger.io.builtin`; the reader asks it which branches to load and how to assemble a chunk.

>>> s = builtin_schema("l1emu")
>>> s.collections["muons"].fields["quality"]
'L1Mu_qual'
>>> sorted(s.branches_for({"muons": {"pt", "quality"}}, ["HT"]))
['L1EtSum_HT', 'L1Mu_pt', 'L1Mu_qual', 'weight']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from trigger.config import Validator, join, load_yaml
from trigger.errors import ConfigError, UnknownNameError
from trigger.names import suggest

__all__ = [
    "COORDINATES",
    "SCHEMA_VERSION",
    "CollectionSpec",
    "Schema",
    "StoredCut",
    "SumSpec",
    "builtin_schema",
    "load_schema",
    "parse_schema",
]

SCHEMA_VERSION = 1
#: fields with a meaning the menu knows; any other field is an extra (per-object feature).
#: ``charge_bit`` is a hardware charge bit (uGMT ``hwCharge``: charge = 1 - 2 * bit), read as ``charge``
#: (times ``charge_valid``, uGMT's ``hwChargeValid``, where given: 0 for a charge not measured);
#: ``eta_vtx``/``phi_vtx`` are coordinates extrapolated to the vertex, read as ``eta``/``phi`` when the
#: collection is read at the vertex (uGT cuts muons there; :meth:`Schema.with_coordinates`).
STANDARD_FIELDS = (
    "pt",
    "eta",
    "phi",
    "charge",
    "charge_bit",
    "charge_valid",
    "quality",
    "bx",
    "iso",
    "px",
    "py",
    "pz",
    "eta_vtx",
    "phi_vtx",
)
COORDINATES = ("vertex", "station")


@dataclass(frozen=True)
class CollectionSpec:
    """One collection: standard field name -> branch name. ``pt/eta/phi`` or ``px/py/pz`` are required."""

    name: str
    fields: Mapping[str, str]
    #: eta and phi from ``eta_vtx``/``phi_vtx`` when the collection has them (else as stored)
    at_vertex: bool = True

    @property
    def cartesian(self) -> bool:
        return "pt" not in self.fields

    @property
    def coordinates(self) -> str:
        """Where eta and phi are taken: ``vertex``, ``station`` (both exist) or ``as stored``."""
        if "eta_vtx" not in self.fields:
            return "as stored"
        return "vertex" if self.at_vertex else "station"

    def branch(self, f: str) -> str | None:
        """The branch that gives standard field ``f`` (None: not provided; cartesian pt/eta/phi: see ``branches``)."""
        if f in ("eta", "phi") and self.at_vertex and f"{f}_vtx" in self.fields:
            return self.fields[f"{f}_vtx"]
        if f == "charge" and "charge" not in self.fields:
            return self.fields.get("charge_bit")
        return self.fields.get(f)

    def provides(self, f: str) -> bool:
        return self.branch(f) is not None or (f in ("pt", "eta", "phi") and self.cartesian)

    def branches(self, wanted: Iterable[str]) -> set[str]:
        out: set[str] = set()
        for f in wanted:
            if f in ("pt", "eta", "phi") and self.cartesian:
                out |= {self.fields["px"], self.fields["py"]} | ({self.fields["pz"]} if f == "eta" else set())
            elif (b := self.branch(f)) is not None:
                out.add(b)
                if f == "charge" and "charge" not in self.fields and "charge_valid" in self.fields:
                    out.add(self.fields["charge_valid"])
        return out


@dataclass(frozen=True)
class StoredCut:
    """The cut a file's writer applied to a collection: objects below it are not in the file."""

    min_pt: float = 0.0
    min_quality: int | None = None


@dataclass(frozen=True)
class SumSpec:
    """An energy sum per event: a scalar branch, one entry of a typed list, px/py, or computed from jets."""

    name: str
    branch: str | None = None
    type_branch: str | None = None
    type_value: int | None = None
    bx_branch: str | None = None
    px: str | None = None
    py: str | None = None
    from_collection: str | None = None
    min_pt: float = 0.0
    max_abs_eta: float = float("inf")
    #: the sum's direction (missing transverse energy): a branch beside ``branch`` (an entry of the same
    #: typed list), or from px/py
    phi_branch: str | None = None

    @property
    def has_phi(self) -> bool:
        return self.phi_branch is not None or self.px is not None

    def branches(self, schema: Schema, phi: bool = False) -> set[str]:
        if self.from_collection is not None:
            return schema.collections[self.from_collection].branches(["pt", "eta"])
        if self.px is not None and self.py is not None:
            return {self.px, self.py}
        out = {b for b in (self.branch, self.type_branch, self.bx_branch) if b is not None}
        if phi and self.phi_branch is not None:
            out.add(self.phi_branch)
        return out


@dataclass(frozen=True)
class Schema:
    """Branch mapping for one kind of file (see module docstring)."""

    name: str
    trees: tuple[str, ...]
    collections: Mapping[str, CollectionSpec]
    sums: Mapping[str, SumSpec] = field(default_factory=dict)
    weight: str | None = None
    event: Mapping[str, str] = field(default_factory=dict)
    source: str = "<built-in>"
    stored_cuts: Mapping[str, StoredCut] = field(default_factory=dict)
    #: per-event cluster id: adjacent crossings with one value share a hard interaction (read when the file
    #: has the branch, never required: files written before it read as one cluster per crossing)
    cluster: str | None = None

    def with_coordinates(self, where: str) -> Schema:
        """The schema reading eta/phi at the ``vertex`` (where they are given) or at the muon ``station``."""
        if where not in COORDINATES:
            raise ValueError(f"coordinates must be one of {COORDINATES}, got {where!r}")
        cols = {n: replace(c, at_vertex=where == "vertex") for n, c in self.collections.items()}
        return replace(self, collections=cols)

    def collection(self, name: str, where: str = "") -> CollectionSpec:
        if name not in self.collections:
            raise UnknownNameError(
                f"collection {name!r}{where} is not in schema {self.name!r}"
                f"{suggest(name, self.collections)} (collections: {', '.join(self.collections)})"
            )
        return self.collections[name]

    def sum(self, name: str, where: str = "") -> SumSpec:
        if name not in self.sums:
            raise UnknownNameError(
                f"energy sum {name!r}{where} is not in schema {self.name!r}"
                f"{suggest(name, self.sums)} (sums: {', '.join(self.sums) or 'none'})"
            )
        return self.sums[name]

    def branches_for(
        self, collections: Mapping[str, Iterable[str]], sums: Iterable[str] = (), sum_phis: Iterable[str] = ()
    ) -> set[str]:
        """Every branch needed for these collection fields and sums, their directions (``sum_phis``)
        and the event weight."""
        out: set[str] = {self.weight} if self.weight else set()
        for name, fields in collections.items():
            out |= self.collection(name).branches(fields)
        phis = set(sum_phis)
        for name in set(sums) | phis:
            out |= self.sum(name).branches(self, phi=name in phis)
        return out

    def required_branches(self) -> set[str]:
        """pt/eta/phi of every collection: what a file must have to match this schema (auto-detection)."""
        return self.branches_for({c: ("pt", "eta", "phi") for c in self.collections})


def parse_schema(data: Any, source: str) -> Schema:
    """Validate a parsed YAML schema and build a :class:`Schema`."""
    v = Validator(source)
    top = v.document(data)
    v.keys(
        top,
        "",
        ("schema_version", "name", "tree", "weight", "cluster", "collections", "sums", "event", "stored_cuts"),
        ("schema_version", "name", "tree", "collections"),
    )
    version = v.integer(top, "schema_version", "")
    if version != SCHEMA_VERSION:
        raise v.fail("schema_version", f"{SCHEMA_VERSION} (the only version this l1emu reads)", version)
    name = v.string(top, "name", "")
    tree = top["tree"]
    trees = (tree,) if isinstance(tree, str) else tree
    if not isinstance(trees, list | tuple) or not trees or not all(isinstance(t, str) for t in trees):
        raise v.fail("tree", "a tree name or a list of candidate tree names", tree)
    weight = top.get("weight")
    if weight is not None and not isinstance(weight, str):
        raise v.fail("weight", "a branch name or null", weight)
    cluster = top.get("cluster")
    if cluster is not None and not isinstance(cluster, str):
        raise v.fail("cluster", "a branch name or null (adjacent crossings sharing a hard interaction)", cluster)
    collections: dict[str, CollectionSpec] = {}
    for cname, spec in v.mapping(top["collections"], "collections").items():
        path = join("collections", cname)
        fields = dict(v.mapping(spec, path))
        for key, branch in fields.items():
            if not isinstance(branch, str):
                raise v.fail(join(path, key), "a branch name", branch)
        if not ({"pt", "eta", "phi"} <= fields.keys() or {"px", "py", "pz"} <= fields.keys()):
            raise ConfigError(f"{source}: {path}: needs pt, eta, phi (or px, py, pz) branches, got {sorted(fields)}")
        if ("eta_vtx" in fields) != ("phi_vtx" in fields):
            raise ConfigError(
                f"{source}: {path}: give both eta_vtx and phi_vtx (coordinates at the vertex), or neither"
            )
        if "charge" in fields and "charge_bit" in fields:
            raise ConfigError(f"{source}: {path}: give charge or charge_bit (charge = 1 - 2 * bit), not both")
        if "charge_valid" in fields and "charge_bit" not in fields:
            raise ConfigError(f"{source}: {path}: charge_valid qualifies a charge_bit; give charge_bit too")
        collections[cname] = CollectionSpec(cname, fields)
    sums: dict[str, SumSpec] = {}
    for sname, spec in v.mapping(top.get("sums", {}), "sums").items():
        path = join("sums", sname)
        d = v.mapping(spec, path)
        v.keys(
            d,
            path,
            ("branch", "type_branch", "type", "bx_branch", "px", "py", "from", "min_pt", "max_abs_eta", "phi_branch"),
        )
        if "from" in d:
            src = v.string(d, "from", path)
            if src not in collections:
                raise v.fail(join(path, "from"), f"one of the collections {sorted(collections)}", src)
            sums[sname] = SumSpec(
                sname,
                from_collection=src,
                min_pt=v.number(d, "min_pt", path, 0.0),
                max_abs_eta=v.number(d, "max_abs_eta", path, float("inf")),
            )
        elif "px" in d:
            sums[sname] = SumSpec(sname, px=v.string(d, "px", path), py=v.string(d, "py", path))
        else:
            typed = "type_branch" in d
            sums[sname] = SumSpec(
                sname,
                branch=v.string(d, "branch", path),
                type_branch=v.string(d, "type_branch", path) if typed else None,
                type_value=v.integer(d, "type", path) if typed else None,
                bx_branch=v.string(d, "bx_branch", path) if "bx_branch" in d else None,
                phi_branch=v.string(d, "phi_branch", path) if "phi_branch" in d else None,
            )
    event = dict(v.mapping(top.get("event", {}), "event"))
    stored: dict[str, StoredCut] = {}
    for cname, spec in v.mapping(top.get("stored_cuts", {}), "stored_cuts").items():
        path = join("stored_cuts", cname)
        if cname not in collections:
            raise v.fail(path, f"one of the collections {sorted(collections)}", cname)
        d = v.mapping(spec, path)
        v.keys(d, path, ("min_pt", "min_quality"))
        quality = v.integer(d, "min_quality", path, minimum=0) if "min_quality" in d else None
        stored[cname] = StoredCut(v.number(d, "min_pt", path, 0.0, minimum=0.0), quality)
    return Schema(name, tuple(trees), collections, sums, weight, event, source, stored, cluster)


def load_schema(spec: str | Path) -> Schema:
    """A built-in schema by name, or a YAML file."""
    from trigger.io.builtin import BUILTIN

    if str(spec) in BUILTIN:
        return builtin_schema(str(spec))
    path = Path(spec)
    if not path.suffix and not path.exists():
        raise UnknownNameError(
            f"schema {str(spec)!r} is neither a built-in{suggest(str(spec), BUILTIN)} nor a file; "
            f"built-ins: {', '.join(BUILTIN)}"
        )
    data, source = load_yaml(path)
    return parse_schema(data, source)


def builtin_schema(name: str) -> Schema:
    from trigger.io.builtin import BUILTIN

    if name not in BUILTIN:
        raise UnknownNameError(f"no built-in schema {name!r}{suggest(name, BUILTIN)}; built-ins: {', '.join(BUILTIN)}")
    return parse_schema(BUILTIN[name], f"<built-in schema {name}>")
