"""The ROOT writer: a TTree (not an RNTuple), counters for collections, atomic replacement."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
import pytest
import uproot

from tests.sample_layout import minimal_chunk
from trigger.samples.writer import read_provenance, write_root


def _chunk(n: int, offset: float) -> dict[str, Any]:
    """Every branch of the sample format (the writer refuses less), with jets of known pt."""
    jets = ak.zip(
        {
            "pt": ak.Array([[offset + 1.0] * (i % 3) for i in range(n)]),
            "eta": ak.Array([[0.5] * (i % 3) for i in range(n)]),
            "phi": ak.Array([[0.1] * (i % 3) for i in range(n)]),
        }
    )
    return {**minimal_chunk(n), "weight": np.full(n, 0.25), "L1Jet": ak.values_astype(jets, np.float32)}


def test_chunks_are_appended_to_one_ttree_with_counters(tmp_path: Path) -> None:
    out = tmp_path / "s.root"
    assert write_root(out, [_chunk(4, 0.0), _chunk(5, 10.0)], {"seed": 7}) == 9
    with uproot.open(out) as f:
        tree = f["Events"]
        assert tree.classname == "TTree"
        assert {"weight", "nL1Jet", "L1Jet_pt", "L1Jet_eta"} <= set(tree.keys())
        pts = tree["L1Jet_pt"].array()
    assert ak.num(pts).tolist() == [0, 1, 2, 0, 0, 1, 2, 0, 1]
    assert ak.flatten(pts).tolist() == [1.0, 1.0, 1.0, 11.0, 11.0, 11.0, 11.0]
    assert read_provenance(out) == {"seed": 7}


def test_a_failure_while_writing_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    out = tmp_path / "s.root"
    write_root(out, [_chunk(3, 0.0)], {"version": "old"})

    def broken() -> Iterator[dict[str, Any]]:
        yield _chunk(3, 0.0)
        raise RuntimeError("worker died")

    with pytest.raises(RuntimeError, match="worker died"):
        write_root(out, broken(), {"version": "new"})
    assert read_provenance(out) == {"version": "old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.root"]


def test_nothing_to_write_is_an_error_and_leaves_no_file(tmp_path: Path) -> None:
    from trigger.errors import SampleError

    with pytest.raises(SampleError, match="no events to write"):
        write_root(tmp_path / "e.root", [], {})
    assert list(tmp_path.iterdir()) == []
