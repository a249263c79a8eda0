"""The optional ``cluster`` branch: named by the l1emu schema (none in the user schemas), read where a file
has it, ``None`` where it does not (files written before it), refused when it holds no integers."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.rates_helpers import without_cluster, write_events
from tests.sample_layout import format_yaml
from trigger.errors import BadInputFileError, ConfigError
from trigger.io import Needs, WorkItem, builtin_schema, read_chunk
from trigger.io.sample_format import parse_format
from trigger.io.schema import parse_schema
from trigger.io.synthetic import write_sample

IDS = np.repeat(np.array([4, 4, 9, 1, 4, 7]), [1, 2, 3, 4, 5, 1])[:15]


@pytest.fixture(scope="module")
def clustered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample(tmp_path_factory.mktemp("cl") / "cl.root", len(IDS), seed=2, clusters=IDS)


def test_reader_cluster_is_none_without_the_branch(clustered: Path, tmp_path: Path) -> None:
    schema = builtin_schema("l1emu")
    needs = Needs({"jets": frozenset({"pt"})}, cluster=True)
    old = without_cluster(clustered, tmp_path / "old.root")
    assert read_chunk(WorkItem(0, str(old), "Events", 0, 10), schema, needs).cluster is None
    got = read_chunk(WorkItem(0, str(clustered), "Events", 2, 12), schema, needs).cluster
    np.testing.assert_array_equal(got, IDS[2:12])
    head = WorkItem(0, str(clustered), "Events", 0, 10)
    assert read_chunk(head, schema, replace(needs, cluster=False)).cluster is None  # not asked for
    assert read_chunk(head, replace(schema, cluster=None), needs).cluster is None  # a schema without one


def test_schemas_name_the_cluster_branch_or_none() -> None:
    assert builtin_schema("l1emu").cluster == "cluster"
    assert all(builtin_schema(name).cluster is None for name in ("nanoaod", "l1nano", "l1nano_full", "l1upgrade"))
    doc = {"schema_version": 1, "name": "x", "tree": "Events", "collections": {}, "cluster": 3}
    with pytest.raises(ConfigError, match=r"s\.yaml: cluster: expected a branch name or null .*, got 3"):
        parse_schema(doc, "s.yaml")
    assert parse_schema({**doc, "cluster": "copy_id"}, "s.yaml").cluster == "copy_id"
    fmt = format_yaml()
    fmt["groups"]["event"]["branches"]["cluster"]["type"] = "int32"
    with pytest.raises(ConfigError, match=r"branches\.cluster\.type: expected int64 for read: cluster"):
        parse_format(fmt, "fmt.yaml")


def test_a_cluster_branch_of_floats_is_refused(tmp_path: Path) -> None:
    jets = {f"L1Jet_{k}": [[40.0], []] for k in ("pt", "eta", "phi")}
    path = write_events(tmp_path / "f.root", {**jets, "weight": [1.0, 1.0], "cluster": [1.0, 1.0]})
    needs = Needs({"jets": frozenset({"pt"})}, cluster=True)
    with pytest.raises(BadInputFileError, match=r"cluster branch 'cluster' holds float64, expected one integer"):
        read_chunk(WorkItem(0, str(path), "Events", 0, 2), builtin_schema("l1emu"), needs)
