"""Stored decision bits: ``bit: L1_X`` seeds and ``l1emu compare`` against plain uproot on a real NanoAOD
file with 321 stored L1_* bits (and on a hand-made file)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import uproot

from tests.rates_helpers import SHARED_DATA, menu_yaml, write_events
from trigger.cli import main

REAL = SHARED_DATA / "uproot-issue121.root"

SEEDS = """\
  L1_SingleMu22: {legs: [{collection: muons, min_pt: 22, max_abs_eta: 2.4}]}
  L1_DoubleMu_15_7:
    legs: [{collection: muons, min_pt: 15, max_abs_eta: 2.4}, {collection: muons, min_pt: 7, max_abs_eta: 2.4}]
  Stored_SingleMu18: {bit: L1_SingleMu18}
  Stored_Mu18_and_Jet30: {bit: L1_SingleMu18, legs: [{collection: jets, min_pt: 30}]}
  MyOwnSeed: {legs: [{collection: jets, min_pt: 100}]}
"""


@pytest.mark.realdata
def test_compare_and_bit_seeds_on_real_nanoaod(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert REAL.exists(), f"{REAL} missing: the real CMS files are read from shared/data beside the checkout"
    menu = menu_yaml(tmp_path / "m.yaml", SEEDS)
    a = uproot.open(REAL)["Events"].arrays(
        ["Muon_pt", "Muon_eta", "Jet_pt", "L1_SingleMu22", "L1_DoubleMu_15_7", "L1_SingleMu18"], library="ak"
    )
    import awkward as ak

    mu_pt = a.Muon_pt[abs(a.Muon_eta) <= 2.4]
    emulated = {
        "L1_SingleMu22": np.asarray(ak.any(mu_pt >= 22, axis=1)),
        # two distinct muons, one >= 15 and another >= 7: the highest >= 15 and at least two >= 7
        "L1_DoubleMu_15_7": np.asarray(ak.fill_none(ak.max(mu_pt, axis=1), 0) >= 15)
        & np.asarray(ak.sum(mu_pt >= 7, axis=1) >= 2),
    }
    assert main(["compare", str(menu), "-i", str(REAL), "--schema", "nanoaod", "-o", str(tmp_path / "c")]) == 0
    text = capsys.readouterr().out
    rows = (tmp_path / "c" / "compare.csv").read_text().splitlines()
    assert rows[0] == "seed,emulated,stored,both,emulated_only,stored_only,neither"
    got = {r.split(",")[0]: [int(x) for x in r.split(",")[1:]] for r in rows[1:]}
    assert sorted(got) == ["L1_DoubleMu_15_7", "L1_SingleMu22"]
    for name, emu in emulated.items():
        stored = np.asarray(a[name], dtype=bool)
        expect = [emu.sum(), stored.sum(), (emu & stored).sum(), (emu & ~stored).sum(), (~emu & stored).sum()]
        assert got[name] == [*map(int, expect), int((~emu & ~stored).sum())]
    assert got["L1_SingleMu22"][1] == 8  # the stored bit fires on 8 of the 40 events
    assert "not compared (no stored bit of that name): Stored_SingleMu18, Stored_Mu18_and_Jet30, MyOwnSeed" in text
    # a bit seed fires exactly where the stored branch is true, and a leg on top is ANDed
    assert main(["rates", str(menu), "-i", str(REAL), "--schema", "nanoaod", "-o", str(tmp_path / "r")]) == 0
    report = json.loads((tmp_path / "r" / "rates.json").read_text())
    counts = {s["name"]: s["raw"]["count"] for s in report["seeds"]}
    mu18 = np.asarray(a.L1_SingleMu18, dtype=bool)
    assert counts["Stored_SingleMu18"] == int(mu18.sum()) == 9
    assert counts["Stored_Mu18_and_Jet30"] == int((mu18 & np.asarray(ak.any(a.Jet_pt >= 30, axis=1))).sum())
    capsys.readouterr()


def test_compare_hand_made_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_events(
        tmp_path / "d.root",
        {
            "weight": [1.0] * 4,
            "L1Mu_pt": [[25.0], [10.0], [30.0], []],
            "L1Mu_eta": [[0.0], [0.0], [0.0], []],
            "L1Mu_phi": [[0.0], [0.0], [0.0], []],
            "L1Mu_bx": [[0], [0], [0], []],
            # emulated SingleMu22 fires on ev0, ev2; stored on ev0, ev1: both 1, emulated only 1, stored only 1
            "L1_SingleMu22": [True, True, False, False],
        },
    )
    menu = menu_yaml(tmp_path / "m.yaml", "  L1_SingleMu22: {legs: [{collection: muons, min_pt: 22}]}\n")
    assert main(["compare", str(menu), "-i", str(data), "--schema", "l1emu", "-o", str(tmp_path / "c")]) == 0
    assert (tmp_path / "c" / "compare.csv").read_text().splitlines()[1] == "L1_SingleMu22,2,2,1,1,1,1"
    other = menu_yaml(tmp_path / "o.yaml", "  L1_SingleMu99: {legs: [{collection: muons, min_pt: 22}]}\n")
    assert main(["compare", str(other), "-i", str(data), "--schema", "l1emu", "-o", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "no seed of menu test_menu has a stored decision bit of its name" in err and "L1_SingleMu22" in err
    missing = menu_yaml(tmp_path / "b.yaml", "  S: {bit: L1_SingleMu2}\n")
    assert main(["rates", str(missing), "-i", str(data), "--schema", "l1emu", "-o", str(tmp_path / "y")]) == 2
    err = capsys.readouterr().err
    assert "missing branch 'L1_SingleMu2' (nearest: 'L1_SingleMu22'" in err
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
    bad = menu_yaml(tmp_path / "e.yaml", "  S: {bit: 3}\n")
    assert main(["rates", str(bad), "-i", str(data), "--schema", "l1emu", "-o", str(tmp_path / "y")]) == 2
    assert "seeds.S.bit: expected a non-empty string, got 3" in capsys.readouterr().err
    scan = menu_yaml(tmp_path / "s.yaml", "  S: {bit: L1_SingleMu22}\n")
    assert main(["scan", str(scan), "S", "-i", str(data), "--schema", "l1emu", "-o", str(tmp_path / "y")]) == 2
    assert "seed S has only a stored decision bit (L1_SingleMu22): no threshold to scan" in capsys.readouterr().err
