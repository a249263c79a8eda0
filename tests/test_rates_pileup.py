"""Rate versus pile-up (issue 11 item 8): binned rates, fits and extrapolation on hand-made samples whose
fire fractions are exact functions of the pile-up, binned counts on a real NanoAOD file against numpy,
and the provenance the rate report records."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import uproot

from tests.rates_helpers import SHARED_DATA, menu_yaml, write_events
from trigger.cli import main
from trigger.rates.pileup import pileup_for_lumi

BUNCHES = "bunches: {colliding: 1000, revolution_hz: 11245.6}\n"
ZB = 1000 * 11245.6 / 1000  # kHz
PILEUPS = (10, 20, 30, 40)


def _sample(path: Path, fires: dict[int, int]) -> Path:
    """100 events per pile-up value; ``fires[mu]`` of them hold a 30 GeV muon (the seed fires), the rest none."""
    pt, pileup = [], []
    for mu in PILEUPS:
        pt += [[30.0]] * fires[mu] + [[]] * (100 - fires[mu])
        pileup += [mu] * 100
    zeros = [[0.0] * len(p) for p in pt]
    return write_events(
        path,
        {
            "weight": [1.0] * len(pt),
            "nPileup": np.array(pileup, dtype=np.int32),
            "L1Mu_pt": pt,
            "L1Mu_eta": zeros,
            "L1Mu_phi": zeros,
            "L1Mu_bx": [[0] * len(p) for p in pt],
        },
    )


def _run(tmp_path: Path, data: Path, *extra: str) -> dict[str, object]:
    menu = menu_yaml(tmp_path / "m.yaml", "  Mu20: {legs: [{collection: muons, min_pt: 20}]}\n", BUNCHES)
    args = ["pileup", str(menu), "-i", str(data), "--schema", "l1emu", "-o", str(tmp_path / "o"), "--no-plot"]
    assert main([*args, *extra]) == 0
    report: dict[str, object] = json.loads((tmp_path / "o" / "pileup_fit.json").read_text())
    return report


def test_linear_and_quadratic_fits_recover_exact_curves(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # fires mu of 100 events: rate = ZB * mu / 100 exactly, so any weighting of the points fits it exactly
    data = _sample(tmp_path / "lin.root", {mu: mu for mu in PILEUPS})
    report = _run(tmp_path, data, "--target-pileup", "60")
    (curve,) = report["curves"]  # type: ignore[index]
    assert curve["mean_pileup"] == [10.0, 20.0, 30.0, 40.0] and curve["low_edge"] == [10.0, 20.0, 30.0, 40.0]
    assert curve["events"] == [100] * 4
    assert curve["rate_khz"] == pytest.approx([ZB * mu / 100 for mu in PILEUPS], rel=1e-12)
    slope, intercept = curve["coefficients"]
    assert slope == pytest.approx(ZB / 100, rel=1e-9) and intercept == pytest.approx(0.0, abs=1e-6 * ZB)
    assert curve["chi2"] == pytest.approx(0.0, abs=1e-9) and curve["ndf"] == 2
    assert curve["target_khz"] == pytest.approx(ZB * 0.6, rel=1e-9) and curve["target_err_khz"] > 0
    # a luminosity maps to mu = L sigma / (n_b f_rev): 1e34 x 80 mb / (1000 x 11245.6 Hz) = 71.14
    mu = 1e34 * 80e-27 / (1000 * 11245.6)
    assert pileup_for_lumi(1e34, 80.0, 1000, 11245.6) == pytest.approx(mu, rel=1e-12)
    report = _run(tmp_path, data, "--target-lumi", "1")
    assert report["curves"][0]["target_khz"] == pytest.approx(ZB * mu / 100, rel=1e-9)  # type: ignore[index]
    assert "pile-up 71.14 (sigma_inel 80 mb, 1000 bunches x 11245.6 Hz)" in str(report["target"])
    # fires mu^2 / 20 of 100 (5, 20, 45, 80): a quadratic through zero
    data = _sample(tmp_path / "quad.root", {mu: mu * mu // 20 for mu in PILEUPS})
    report = _run(tmp_path, data, "--fit", "quadratic", "--target-pileup", "50")
    a, b, c = report["curves"][0]["coefficients"]  # type: ignore[index]
    assert a == pytest.approx(ZB / 2000, rel=1e-9) and abs(b) < 1e-6 * ZB and abs(c) < 1e-5 * ZB
    assert report["curves"][0]["target_khz"] == pytest.approx(ZB * 2500 / 2000, rel=1e-9)  # type: ignore[index]
    capsys.readouterr()


def test_plots_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _sample(tmp_path / "lin.root", {mu: mu for mu in PILEUPS})
    menu = menu_yaml(tmp_path / "m.yaml", "  Mu20: {legs: [{collection: muons, min_pt: 20}]}\n", BUNCHES)
    base = ["pileup", str(menu), "-i", str(data), "--schema", "l1emu", "-o", str(tmp_path / "o")]
    assert main([*base, "--target-pileup", "60"]) == 0
    assert (tmp_path / "o" / "pileup_Mu20.png").read_bytes()[:4] == b"\x89PNG"
    assert main([*base, "--target-pileup", "60", "--target-lumi", "2"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err
    assert main([*base, "--pileup-branch", "nPileupp", "-o", str(tmp_path / "x")]) == 2
    assert "missing branch 'nPileupp' (nearest: 'nPileup'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


NANO = SHARED_DATA / "nanoAOD_2015_CMS_Open_Data_ttbar.root"


@pytest.mark.realdata
def test_binned_rates_on_real_nanoaod_match_numpy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    menu = menu_yaml(tmp_path / "m.yaml", "  Mu20: {legs: [{collection: muons, min_pt: 20, max_abs_eta: 2.4}]}\n")
    args = ["pileup", str(menu), "-i", str(NANO), "-o", str(tmp_path / "o"), "--no-plot", "--bin-width", "4"]
    assert main(args) == 0
    a = uproot.open(NANO)["Events"].arrays(["Pileup_nTrueInt", "Muon_pt", "Muon_eta"], library="np")
    pu = a["Pileup_nTrueInt"].astype(np.float64)
    fired = np.array([np.any((p >= 20) & (np.abs(e) <= 2.4)) for p, e in zip(a["Muon_pt"], a["Muon_eta"], strict=True)])
    index = np.floor(pu / 4).astype(int)
    bins = np.unique(index)
    (curve,) = json.loads((tmp_path / "o" / "pileup_fit.json").read_text())["curves"]
    assert curve["low_edge"] == [4.0 * b for b in bins]
    assert curve["events"] == [int((index == b).sum()) for b in bins]
    zb = 2760 * 11245.6 / 1000
    assert curve["rate_khz"] == pytest.approx([zb * fired[index == b].mean() for b in bins], rel=1e-12)
    assert curve["mean_pileup"] == pytest.approx([pu[index == b].mean() for b in bins], rel=1e-6)
    capsys.readouterr()


def test_rate_report_records_schema_inputs_and_filling(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _sample(tmp_path / "lin.root", {mu: mu for mu in PILEUPS})
    menu = menu_yaml(tmp_path / "m.yaml", "  Mu20: {legs: [{collection: muons, min_pt: 20}]}\n", BUNCHES)
    assert main(["rates", str(menu), "-i", str(data), "-o", str(tmp_path / "o")]) == 0
    report = json.loads((tmp_path / "o" / "rates.json").read_text())
    assert report["schema"].startswith("l1emu")
    assert report["inputs"] == [
        {"path": str(data), "tree": "Events", "entries": 400, "sha256": hashlib.sha256(data.read_bytes()).hexdigest()}
    ]
    assert report["colliding_bunches"] == 1000 and report["revolution_hz"] == 11245.6
    text = (tmp_path / "o" / "rates.txt").read_text()
    assert "(1000 colliding bunches x 11245.6 Hz)" in text and f"input {data} (Events, 400 entries, sha256 " in text
    capsys.readouterr()
