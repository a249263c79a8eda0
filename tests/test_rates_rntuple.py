"""RNTuple inputs read like TTrees: real CMS data against plain uproot, an uproot-written RNTuple against
the same events as a TTree, chunking at cluster boundaries, schema detection and skip-bad-files."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot

from tests.rates_helpers import DEFAULT_MENU, SHARED_DATA, menu_yaml
from trigger.errors import BadInputFileError
from trigger.io import builtin_schema, detect_schema, open_dataset
from trigger.io.files import branch_map, open_tree
from trigger.menu import load_menu
from trigger.processor import run
from trigger.rates import RateProcessor, RateTable

RNTUPLE = SHARED_DATA / "Run2012BC_DoubleMuParked_Muons_1000evts_rntuple_v1-0-0-0.root"

SEEDS = """\
  Mu20er2p4: {legs: [{collection: muons, min_pt: 20, max_abs_eta: 2.4}]}
  DoubleMu_OS_Z:
    legs: [{collection: muons, min_pt: 5, multiplicity: 2}]
    cross: {opposite_charge: true, min_mass: 60, max_mass: 120}
  TripleMu3: {legs: [{collection: muons, min_pt: 3, multiplicity: 3}], prescale: 2}
"""


def _table(menu: Path, files: list[str], schema_name: str, chunk: int) -> RateTable:
    m = load_menu(menu)
    schema = builtin_schema(schema_name)
    proc = RateProcessor(m, schema)
    ds = open_dataset(files, schema, proc.needs().branches(schema))
    table = run(proc, ds, chunk_size=chunk).result
    assert isinstance(table, RateTable)
    return table


@pytest.mark.realdata
def test_real_rntuple_against_plain_uproot(tmp_path: Path) -> None:
    assert detect_schema([str(RNTUPLE)]).name == "nanoaod"
    table = _table(menu_yaml(tmp_path / "m.yaml", SEEDS), [str(RNTUPLE)], "nanoaod", chunk=300)
    a = uproot.open(RNTUPLE)["Events"].arrays(["Muon_pt", "Muon_eta", "Muon_phi", "Muon_charge"])
    counts = {"Mu20er2p4": 0, "DoubleMu_OS_Z": 0, "TripleMu3": 0}
    for ev in a.to_list():
        mu = list(zip(ev["Muon_pt"], ev["Muon_eta"], ev["Muon_phi"], ev["Muon_charge"], strict=True))
        counts["Mu20er2p4"] += any(pt >= 20 and abs(eta) <= 2.4 for pt, eta, _, _ in mu)
        z = False
        for p, q in itertools.combinations(mu, 2):
            dphi = (p[2] - q[2] + math.pi) % (2 * math.pi) - math.pi
            mass = math.sqrt(max(2 * p[0] * q[0] * (math.cosh(p[1] - q[1]) - math.cos(dphi)), 0.0))
            z |= p[0] >= 5 and q[0] >= 5 and p[3] * q[3] < 0 and 60 <= mass <= 120
        counts["DoubleMu_OS_Z"] += z
        counts["TripleMu3"] += sum(pt >= 3 for pt, *_ in mu) >= 3
    assert {s.name: s.raw.count for s in table.seeds} == counts
    assert all(counts.values()), counts
    assert table.events == 1000
    # unweighted: the counter accepts every 2nd fire
    assert table.seeds[2].prescaled.count == counts["TripleMu3"] // 2


def _as_rntuple(src: Path, dst: Path, stop: int) -> Path:
    """The same events written the way uproot 5.7 writes by default (``f[name] = arrays``: an RNTuple)."""
    t = uproot.open(src)["Events"]
    names = [k for k in t.keys() if not k.startswith("n")]  # noqa: SIM118 (a TTree, not a dict)
    arrays = t.arrays(names, entry_stop=stop, how=dict)
    with uproot.recreate(dst) as f:
        f["Events"] = arrays
    assert uproot.open(dst).classnames()["Events;1"] == "ROOT::RNTuple"
    return dst


def test_uproot_written_rntuple_equals_ttree(toy_sample: Path, tmp_path: Path) -> None:
    rnt = _as_rntuple(toy_sample, tmp_path / "toy_rntuple.root", 3_000)
    assert detect_schema([str(rnt)]).name == "l1emu"
    tree_ref = run_limited(DEFAULT_MENU, toy_sample, 3_000)
    got = _table(DEFAULT_MENU, [str(rnt)], "l1emu", chunk=700)
    assert got.events == 3_000
    for a, b in zip(got.seeds, tree_ref.seeds, strict=True):
        assert (a.name, a.raw.count) == (b.name, b.raw.count)
        assert a.raw.khz == pytest.approx(b.raw.khz, rel=1e-12)
        assert a.prescaled.khz == pytest.approx(b.prescaled.khz, rel=1e-12)
    assert got.total_prescaled.khz == pytest.approx(tree_ref.total_prescaled.khz, rel=1e-12)


def run_limited(menu: Path, sample: Path, n: int) -> RateTable:
    m = load_menu(menu)
    schema = builtin_schema("l1emu")
    proc = RateProcessor(m, schema)
    ds = open_dataset([str(sample)], schema, proc.needs().branches(schema))
    table = run(proc, ds, chunk_size=1_000, max_events=n).result
    assert isinstance(table, RateTable)
    return table


def test_rntuple_record_fields_and_bad_files(tmp_path: Path) -> None:
    # a record written by uproot ({"L1Jet": zip(pt, eta, phi)}) is reachable as L1Jet_pt, ...
    jets = ak.zip({"pt": [[50.0, 20.0], [], [35.0]], "eta": [[0.1, 1.0], [], [3.0]], "phi": [[0.0, 1.0], [], [2.0]]})
    path = tmp_path / "rec.root"
    with uproot.recreate(path) as f:
        f["Events"] = {"L1Jet": jets, "weight": np.ones(3)}
    tree, _ = open_tree(str(path), ("Events",))
    assert branch_map(tree)["L1Jet_pt"] == "L1Jet.pt"
    seeds = (
        "  J30: {legs: [{collection: jets, min_pt: 30}]}\n"
        "  J30er2p5: {legs: [{collection: jets, min_pt: 30, max_abs_eta: 2.5}]}\n"
    )
    table = _table(menu_yaml(tmp_path / "m.yaml", seeds), [str(path)], "l1emu", chunk=2)
    assert [s.raw.count for s in table.seeds] == [2, 1]
    # a truncated RNTuple fails cleanly, or is skipped and listed
    bad = tmp_path / "bad.root"
    bad.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    schema = builtin_schema("l1emu")
    with pytest.raises(BadInputFileError, match=r"bad\.root"):
        open_dataset([str(bad)], schema, {"L1Jet_pt"})
    ds = open_dataset([str(path), str(bad)], schema, {"L1Jet_pt"}, skip_bad_files=True)
    assert [p for p, _ in ds.skipped] == [str(bad)] and ds.entries == 3


@pytest.mark.realdata
def test_corrupt_rntuple_pages_fail_or_are_skipped(tmp_path: Path) -> None:
    data = bytearray(RNTUPLE.read_bytes())
    start = len(data) // 4
    data[start : start + 2000] = bytes(x ^ 0xFF for x in data[start : start + 2000])
    bad = tmp_path / "corrupt.root"
    bad.write_bytes(bytes(data))
    menu = load_menu(menu_yaml(tmp_path / "m.yaml", SEEDS))
    schema = builtin_schema("nanoaod")
    proc = RateProcessor(menu, schema)
    ds = open_dataset([str(RNTUPLE), str(bad)], schema, proc.needs().branches(schema))
    with pytest.raises(BadInputFileError, match=r"corrupt\.root"):
        run(proc, ds, chunk_size=500)
    result = run(proc, ds, chunk_size=500, skip_bad_files=True)
    assert result.events == 1000 and {p.split(":")[0] for p, _ in result.result.skipped} == {str(bad)}
