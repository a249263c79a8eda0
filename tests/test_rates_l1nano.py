"""L1Nano as CMS writes it: the uGMT charge bit, muons at the vertex, taus, the reduced tables' cuts.

The events are hand-made so every decision is worked out in the comments, not by the code under test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.rates_helpers import menu_yaml, write_events
from trigger.cli import main
from trigger.io import builtin_schema, detect_schema, read_chunk
from trigger.io.files import WorkItem
from trigger.io.reader import Needs
from trigger.menu import load_menu
from trigger.menu.coverage import below_stored_cuts

# four events; muons carry the station coordinates (eta, phi) and the ones at the vertex (etaAtVtx, phiAtVtx)
L1NANO = {
    # ev0: hwCharge 0, 1 -> charges +1, -1 (opposite); station dR = 1.0, vertex dR = hypot(0.2, 0.1) = 0.224
    # ev1: hwCharge 1, 1 -> -1, -1 (same); station dR 0.1, vertex dR = 1.5
    # ev2: one muon, quality 12, pt 25; one tau of 40 GeV
    # ev3: no muon; a 12 GeV tau (the reduced tables keep >= 24 GeV, but a hand-made file may hold anything)
    "L1Mu_pt": [[10.0, 8.0], [9.0, 6.0], [25.0], []],
    "L1Mu_eta": [[0.0, 1.0], [0.5, 0.6], [0.2], []],
    "L1Mu_phi": [[0.0, 0.0], [1.0, 1.0], [0.3], []],
    "L1Mu_etaAtVtx": [[0.1, 0.3], [0.5, 2.0], [0.25], []],
    "L1Mu_phiAtVtx": [[0.0, 0.1], [1.0, 1.0], [0.35], []],
    "L1Mu_hwCharge": [[0, 1], [1, 1], [0], []],
    "L1Mu_hwQual": [[12, 12], [12, 12], [12], []],
    "L1Mu_bx": [[0, 0], [0, 0], [0], []],
    "L1Jet_pt": [[40.0], [], [35.0], [60.0]],
    "L1Jet_eta": [[0.0], [], [1.0], [-1.0]],
    "L1Jet_phi": [[0.0], [], [2.0], [1.0]],
    "L1Jet_bx": [[0], [], [0], [0]],
    "L1EG_pt": [[], [], [], [15.0]],
    "L1EG_eta": [[], [], [], [0.1]],
    "L1EG_phi": [[], [], [], [0.2]],
    "L1EG_hwIso": [[], [], [], [3]],
    "L1EG_bx": [[], [], [], [0]],
    "L1Tau_pt": [[], [], [40.0], [12.0]],
    "L1Tau_eta": [[], [], [0.5], [0.0]],
    "L1Tau_phi": [[], [], [0.5], [0.0]],
    "L1Tau_hwIso": [[], [], [1], [0]],
    "L1Tau_bx": [[], [], [0], [0]],
    # per event (etSumType, bx, pt): HT (type 1) at bx 0
    "L1EtSum_pt": [[100.0, 30.0], [50.0], [300.0], [0.0]],
    "L1EtSum_etSumType": [[1, 2], [1], [1], [1]],
    "L1EtSum_bx": [[0, 0], [0], [0], [0]],
}

SEEDS = """\
  L1_DoubleMu_OS:
    legs: [{collection: muons, min_pt: 5, quality: [12], multiplicity: 2}]
    cross: {opposite_charge: true}
  L1_DoubleMu_SS: {legs: [{collection: muons, min_pt: 5, quality: [12], multiplicity: 2}], cross: {same_charge: true}}
  L1_DoubleMu_OS_dRmax0p5:
    legs: [{collection: muons, min_pt: 5, quality: [12], multiplicity: 2}]
    cross: {opposite_charge: true, max_dr: 0.5}
  L1_DoubleMu_dRmax0p5: {legs: [{collection: muons, min_pt: 5, quality: [12], multiplicity: 2}], cross: {max_dr: 0.5}}
  L1_SingleTau30: {legs: [{collection: taus, min_pt: 30}]}
  L1_SingleMu20er0p22: {legs: [{collection: muons, min_pt: 20, max_abs_eta: 0.22, quality: [12]}]}
  L1_HTT200: {sums: [{sum: HT, min: 200}]}
"""


@pytest.fixture()
def l1nano(tmp_path: Path) -> Path:
    return write_events(tmp_path / "l1nano.root", L1NANO)


def test_hwcharge_is_read_as_one_minus_twice_the_bit(l1nano: Path) -> None:
    schema = detect_schema([str(l1nano)])
    assert schema.name == "l1nano"
    chunk = read_chunk(WorkItem(0, str(l1nano), "Events", 0, 4), schema, Needs({"muons": frozenset({"pt", "charge"})}))
    assert chunk.collections["muons"].charge.tolist() == [[1, -1], [-1, -1], [1], []]


def _counts(menu: Path, data: Path, out: Path, *extra: str) -> dict[str, int]:
    assert main(["rates", str(menu), "-i", str(data), "-o", str(out), *extra]) == 0
    report = json.loads((out / "rates.json").read_text())
    return {s["name"]: s["raw"]["count"] for s in report["seeds"]}


def test_charge_coordinates_and_taus_on_l1nano(
    l1nano: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    menu = menu_yaml(tmp_path / "m.yaml", SEEDS)
    vertex = _counts(menu, l1nano, tmp_path / "v")
    assert vertex == {
        "L1_DoubleMu_OS": 1,  # ev0
        "L1_DoubleMu_SS": 1,  # ev1
        "L1_DoubleMu_OS_dRmax0p5": 1,  # ev0 at the vertex (dR 0.22)
        "L1_DoubleMu_dRmax0p5": 1,  # ev0 only: ev1's muons are 1.5 apart at the vertex
        "L1_SingleTau30": 1,  # ev2
        "L1_SingleMu20er0p22": 0,  # ev2's muon: |eta| 0.25 at the vertex
        "L1_HTT200": 1,  # ev2
    }
    text = (tmp_path / "v" / "rates.txt").read_text()
    assert "muons: eta/phi at the vertex (L1Mu_etaAtVtx, L1Mu_phiAtVtx)" in text
    station = _counts(menu, l1nano, tmp_path / "s", "--muon-coordinates", "station")
    assert station["L1_DoubleMu_OS_dRmax0p5"] == 0  # ev0 at the station: dR 1.0
    assert station["L1_DoubleMu_dRmax0p5"] == 1  # ev1 at the station: dR 0.1
    assert station["L1_SingleMu20er0p22"] == 1  # |eta| 0.2 at the station
    assert "eta/phi at the station (L1Mu_eta, L1Mu_phi)" in (tmp_path / "s" / "rates.txt").read_text()
    capsys.readouterr()


def test_seeds_below_the_reduced_tables_cuts_are_warned(
    l1nano: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seeds = """\
  L1_SingleMu0: {legs: [{collection: muons, min_pt: 0}]}
  L1_SingleMuOpen5: {legs: [{collection: muons, min_pt: 5, quality: [4, 8, 12]}]}
  L1_SingleMu22: {legs: [{collection: muons, min_pt: 22, quality: [12, 13, 14, 15]}]}
  L1_SingleJet20: {legs: [{collection: jets, min_pt: 20}]}
  L1_SingleTau26: {legs: [{collection: taus, min_pt: 26}]}
  L1_SingleEG8: {legs: [{collection: egamma, min_pt: 8}]}
"""
    menu = menu_yaml(tmp_path / "m.yaml", seeds)
    warned = below_stored_cuts(load_menu(menu), builtin_schema("l1nano"))
    flagged = sorted({w.split(":")[0] for w in warned})
    # SingleMu0: pt 0 < 3 and any quality; MuOpen5: quality 4 < 8; Jet20 < 30; EG8 < 10. Mu22 and Tau26 pass.
    assert flagged == ["seed L1_SingleEG8", "seed L1_SingleJet20", "seed L1_SingleMu0", "seed L1_SingleMuOpen5"]
    assert len(warned) == 5 and any("quality 4, but" in w and "quality >= 8" in w for w in warned)
    assert main(["rates", str(menu), "-i", str(l1nano), "-o", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert err.count("warning: seed") == 5 and "jets with pt >= 30 GeV" in err
    assert "seed L1_SingleJet20: legs[0]" in (tmp_path / "o" / "rates.txt").read_text()
    # the other built-in schemas know no stored cuts: no warning
    assert below_stored_cuts(load_menu(menu), builtin_schema("l1upgrade")) == []


def test_missing_vertex_branches_say_how_to_read_the_station(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_events(tmp_path / "old.root", {k: v for k, v in L1NANO.items() if "AtVtx" not in k})
    menu = menu_yaml(tmp_path / "m.yaml", SEEDS)
    assert main(["rates", str(menu), "-i", str(data), "-o", str(tmp_path / "o"), "--schema", "l1nano"]) == 2
    err = capsys.readouterr().err
    assert "L1Mu_etaAtVtx" in err and "--muon-coordinates station" in err
    assert not (tmp_path / "o").exists()
    assert (
        _counts(menu, data, tmp_path / "s", "--schema", "l1nano", "--muon-coordinates", "station")["L1_DoubleMu_SS"]
        == 1
    )


def test_schema_and_menu_errors_for_charge_and_coordinates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "s.yaml"
    bad.write_text(
        "schema_version: 1\nname: x\ntree: Events\ncollections:\n  muons: {pt: a, eta: b, phi: c, eta_vtx: d}\n"
    )
    menu = menu_yaml(tmp_path / "m.yaml", SEEDS)
    data = write_events(tmp_path / "d.root", L1NANO)
    assert main(["rates", str(menu), "-i", str(data), "--schema", str(bad), "-o", str(tmp_path / "o")]) == 2
    assert "collections.muons: give both eta_vtx and phi_vtx" in capsys.readouterr().err
    both = menu_yaml(
        tmp_path / "b.yaml",
        "  X:\n    legs: [{collection: muons, min_pt: 5, multiplicity: 2}]\n"
        "    cross: {opposite_charge: true, same_charge: true}\n",
    )
    assert main(["rates", str(both), "-i", str(data), "-o", str(tmp_path / "o")]) == 2
    assert "seeds.X.cross.same_charge: expected not both opposite_charge and same_charge" in capsys.readouterr().err


def test_scans_below_the_stored_cut_are_warned(
    l1nano: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    menu = menu_yaml(tmp_path / "m.yaml", "  L1_SingleJet40: {legs: [{collection: jets, min_pt: 40}]}\n")
    base = ["scan", str(menu), "L1_SingleJet40", "-i", str(l1nano), "-o", str(tmp_path / "o"), "--no-plot"]
    assert main([*base, "--thresholds", "20:60:10"]) == 0
    err = capsys.readouterr().err
    assert "thresholds of legs[0] below 30 GeV (down to 20) are underestimated" in err
    assert main([*base, "--thresholds", "30:60:10"]) == 0
    assert "underestimated" not in capsys.readouterr().err


def test_full_l1nano_tables_mark_unmeasured_charges(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the full tables (no reduction) carry hwChargeValid: ev0's second muon has no valid charge -> charge 0,
    # so ev0's pair is neither opposite nor same charge; ev1 stays same-charge
    data = write_events(tmp_path / "full.root", {**L1NANO, "L1Mu_hwChargeValid": [[1, 0], [1, 1], [1], []]})
    schema = detect_schema([str(data)])
    assert schema.name == "l1nano_full" and not schema.stored_cuts
    assert detect_schema([str(write_events(tmp_path / "reduced.root", L1NANO))]).name == "l1nano"
    chunk = read_chunk(WorkItem(0, str(data), "Events", 0, 4), schema, Needs({"muons": frozenset({"pt", "charge"})}))
    assert chunk.collections["muons"].charge.tolist() == [[1, 0], [-1, -1], [1], []]
    menu = menu_yaml(tmp_path / "m.yaml", SEEDS + "  L1_SingleJet20: {legs: [{collection: jets, min_pt: 20}]}\n")
    counts = _counts(menu, data, tmp_path / "o")
    assert counts["L1_DoubleMu_OS"] == 0 and counts["L1_DoubleMu_SS"] == 1
    assert "warning" not in capsys.readouterr().err  # no stored cuts in the full tables
