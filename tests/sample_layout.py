"""The sample format as plain YAML + uproot, independent of the project's parser: what a file must hold."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
import uproot
import yaml

import trigger.io
from trigger.io import Needs, WorkItem, builtin_schema, detect_schema, open_dataset, read_chunk

__all__ = ["assert_exact_layout", "expected_typenames", "format_yaml", "minimal_chunk"]

FORMAT = Path(trigger.io.__file__).parent / "schemas" / "l1emu.yaml"
CPP = {"float32": "float", "float64": "double", "int32": "int32_t", "int64": "int64_t"}


def format_yaml() -> dict[str, Any]:
    """The description as plain YAML (not through the project's parser)."""
    return dict(yaml.safe_load(FORMAT.read_text()))


def expected_typenames(optional: Iterable[str] = ()) -> dict[str, str]:
    """Branch -> uproot typename the YAML promises, counters included; optional groups only if named."""
    out = {}
    for name, group in format_yaml()["groups"].items():
        if group.get("optional") and name not in optional:
            continue
        jagged = "counter" in group
        if jagged:
            out[f"n{name}"] = "int32_t"
        for branch, spec in group["branches"].items():
            out[branch] = CPP[spec if isinstance(spec, str) else spec["type"]] + ("[]" if jagged else "")
    return out


def assert_exact_layout(path: Path, optional: Iterable[str] = ()) -> None:
    """Plain uproot sees exactly the YAML's branches and types, and the built-in schema reads them all back."""
    expected = expected_typenames(optional)
    with uproot.open(path) as f:
        tree = f["Events"]
        assert tree.classname == "TTree"
        assert {b.name: b.typename for b in tree.branches} == expected
        raw = tree.arrays(library="ak", how=dict)
        n = tree.num_entries
    schema = builtin_schema("l1emu")
    assert detect_schema([str(path)]).name == "l1emu"
    needs = Needs(
        {c: frozenset(s.fields) for c, s in schema.collections.items() if s.fields["pt"] in expected},
        frozenset(schema.sums),
        frozenset(schema.event),
        frozenset(name for name, spec in schema.sums.items() if spec.has_phi),
        cluster=True,
    )
    counters = {b for b in expected if b.startswith("n") and b[1:] in format_yaml()["groups"]}
    # the schema reads every branch, nothing else; the cluster branch where present, never required
    assert schema.cluster is not None and schema.cluster not in needs.branches(schema)
    assert needs.branches(schema) | {schema.cluster} == set(expected) - counters
    open_dataset([str(path)], schema, needs.branches(schema))
    chunk = read_chunk(WorkItem(0, str(path), "Events", 0, n), schema, needs)
    np.testing.assert_array_equal(chunk.weight, np.asarray(raw["weight"]))
    assert chunk.cluster is not None and chunk.cluster.dtype == np.int64
    np.testing.assert_array_equal(chunk.cluster, np.asarray(raw[schema.cluster]))
    for cname, fields in needs.collections.items():
        for field in fields:
            got, want = chunk.collections[cname][field], raw[schema.collections[cname].fields[field]]
            assert ak.all(ak.num(got) == ak.num(want)) and ak.all(ak.ravel(got) == ak.ravel(want)), (cname, field)
    for sname in needs.sums:
        np.testing.assert_array_equal(chunk.sums[sname], np.asarray(raw[schema.sums[sname].branch], np.float64))
    for sname in needs.sum_phis:
        want = np.asarray(raw[str(schema.sums[sname].phi_branch)], np.float64)
        np.testing.assert_array_equal(chunk.sum_phi[sname], want)
    for ename in needs.event:
        np.testing.assert_array_equal(chunk.event[ename], np.asarray(raw[schema.event[ename]]))


def minimal_chunk(n: int = 3) -> dict[str, Any]:
    """A minimal valid chunk built from the plain YAML: zeros of the declared types, one object per event."""
    out: dict[str, Any] = {}
    for name, group in format_yaml()["groups"].items():
        if group.get("optional"):
            continue
        types = {b: (s if isinstance(s, str) else s["type"]) for b, s in group["branches"].items()}
        if "counter" in group:
            fields = {b[len(name) + 1 :]: ak.unflatten(np.zeros(n, t), np.ones(n, np.int64)) for b, t in types.items()}
            out[name] = ak.zip(fields)
        else:
            out.update({b: np.zeros(n, t) for b, t in types.items()})
    return out
