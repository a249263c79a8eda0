"""More conditions (issue 11 item 7): delta-eta / delta-phi / transverse-mass windows, several eta
windows per leg, overlap removal between collections, cross conditions on a pair of three objects.

Hand-worked events through the YAML menu, and random seeds against brute force in plain Python.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import uproot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.rates_helpers import menu_yaml, write_events
from trigger.cli import main
from trigger.io import builtin_schema, read_chunk
from trigger.io.files import WorkItem
from trigger.menu import Cross, Leg, Menu, ScanTarget, Seed, SeedEvaluator
from trigger.menu.model import Overlap

# ev0: muons (20, eta 0, phi 0) and (10, eta 1.0, phi 3.0): |deta| 1.0, |dphi| 3.0, mT = sqrt(2*20*10*(1-cos 3))
#      = 28.2; a jet of 50 at (0.1, 0.1), 0.14 from the first muon
# ev1: muons (20, eta -2.0, phi 0) and (15, eta 2.0, phi 0.5): |deta| 4.0, |dphi| 0.5, mT = sqrt(600 (1-cos .5))
#      = 8.6; a jet of 50 far away (eta 0, phi 3)
# ev2: three muons (30, 0, 0), (20, 0.2, 0.1), (5, 2.2, 2.0): the pair (30, 20) has a mass of
#      sqrt(2*30*20*(cosh .2 - cos .1)) = 5.5; (30, 5) and (20, 5) are heavier than 20 GeV
EVENTS = {
    "weight": [1.0, 1.0, 1.0],
    "L1Mu_pt": [[20.0, 10.0], [20.0, 15.0], [30.0, 20.0, 5.0]],
    "L1Mu_eta": [[0.0, 1.0], [-2.0, 2.0], [0.0, 0.2, 2.2]],
    "L1Mu_phi": [[0.0, 3.0], [0.0, 0.5], [0.0, 0.1, 2.0]],
    "L1Mu_charge": [[1, -1], [1, -1], [1, -1, 1]],
    "L1Mu_qual": [[12, 12], [12, 12], [12, 12, 12]],
    "L1Mu_bx": [[0, 0], [0, 0], [0, 0, 0]],
    "L1Jet_pt": [[50.0], [50.0], []],
    "L1Jet_eta": [[0.1], [0.0], []],
    "L1Jet_phi": [[0.1], [3.0], []],
}
MU2 = "legs: [{collection: muons, min_pt: 5, multiplicity: 2}]"
SEEDS = f"""\
  dEta_max1p5: {{{MU2}, cross: {{max_deta: 1.5}}}}
  dPhi_min2p0: {{{MU2}, cross: {{min_dphi: 2.0}}}}
  MT_min20: {{{MU2}, cross: {{min_mt: 20}}}}
  EtaWindows:
    legs: [{{collection: muons, min_pt: 12, eta_windows: [[-2.1, -1.5], [1.5, 2.1]]}}]
  Mu18_RmOvlp_Jet40:
    legs: [{{collection: muons, min_pt: 18, remove_overlap: {{collection: jets, min_pt: 40, max_dr: 0.2}}}}]
  TripleMu_Mass_Max10_on_01:
    legs: [{{collection: muons, min_pt: 4, multiplicity: 3}}]
    cross: {{legs: [0, 1], max_mass: 10}}
  TripleMu_Mass_Max10_on_02:
    legs: [{{collection: muons, min_pt: 25}}, {{collection: muons, min_pt: 15}}, {{collection: muons, min_pt: 4}}]
    cross: [{{legs: [0, 2], max_mass: 10}}, {{legs: [0, 1], opposite_charge: true}}]
"""
EXPECTED = {
    "dEta_max1p5": 2,  # ev0 (1.0), ev2 (pair 0-1: 0.2); ev1 4.0
    "dPhi_min2p0": 2,  # ev0 (3.0), ev2 (pair 1-2: 1.9, 0-2: 2.0)
    "MT_min20": 2,  # ev0 (28.2), ev2 (30 and 5 at dphi 2.0: sqrt(300 (1 - cos 2)) = 20.6); ev1 8.6
    "EtaWindows": 1,  # ev1: both muons (eta -2.0, 2.0) in a window; ev0, ev2: those >= 12 GeV are central
    "Mu18_RmOvlp_Jet40": 2,  # ev0's 20 GeV muon is 0.14 from a 50 GeV jet: removed; ev1 and ev2 fire
    "TripleMu_Mass_Max10_on_01": 1,  # ev2: (30, 20) at 5.5 GeV
    "TripleMu_Mass_Max10_on_02": 0,  # ev2: object 2 must be the 5 GeV muon, 30-5 is ~ 45 GeV
}


def test_hand_worked_conditions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_events(tmp_path / "d.root", EVENTS)
    menu = menu_yaml(tmp_path / "m.yaml", SEEDS)
    assert main(["rates", str(menu), "-i", str(data), "--schema", "l1emu", "-o", str(tmp_path / "o")]) == 0
    report = json.loads((tmp_path / "o" / "rates.json").read_text())
    assert {s["name"]: s["raw"]["count"] for s in report["seeds"]} == EXPECTED
    capsys.readouterr()


BAD = [
    ("{legs: [{collection: muons, min_pt: 1, multiplicity: 3}], cross: {max_mass: 9}}", "legs: [i, j] naming the pair"),
    (
        "{legs: [{collection: muons, min_pt: 1, multiplicity: 3}], cross: {legs: [0, 3]}}",
        "two distinct object indices in 0..2",
    ),
    ("{legs: [{collection: muons, min_pt: 1, multiplicity: 2}], cross: {legs: [1, 1]}}", "two distinct object indices"),
    ("{legs: [{collection: muons, min_pt: 1, multiplicity: 2}], cross: {min_deta: 2, max_deta: 1}}", "cross.max_deta"),
    ("{legs: [{collection: muons, min_pt: 1, eta_windows: [[1, 0]]}]}", "legs[0].eta_windows[0]: expected a window"),
    (
        "{legs: [{collection: muons, min_pt: 1, eta_windows: [[0, 1], [0, 1], [0, 1], [0, 1], [0, 1], [0, 1]]}]}",
        "at most 5 windows",
    ),
    ("{legs: [{collection: muons, min_pt: 1, remove_overlap: {collection: jets}}]}", "remove_overlap.max_dr: required"),
    (
        "{legs: [{collection: muons, min_pt: 1, remove_overlap: {collection: muons, max_dr: 0.2}}]}",
        "remove_overlap.collection: expected a collection other than the leg's own",
    ),
    (
        "{legs: [{collection: muons, min_pt: 1, remove_overlap: {collection: jets, max_dr: 0.2, qualty: [1]}}]}",
        "remove_overlap.qualty: unknown key",
    ),
]


@pytest.mark.parametrize(("seed", "message"), BAD)
def test_bad_conditions_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], seed: str, message: str) -> None:
    data = write_events(tmp_path / "d.root", EVENTS)
    menu = menu_yaml(tmp_path / "m.yaml", f"  S: {seed}\n")
    assert main(["rates", str(menu), "-i", str(data), "--schema", "l1emu", "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and "seeds.S" in err


# ----------------------------------------------------------------- random seeds against brute force
N = 1_500
REF = Leg("jets", 40.0)
legs_st = st.builds(
    Leg,
    collection=st.sampled_from(["muons", "egamma"]),
    min_pt=st.sampled_from([0.0, 5.0, 10.0]),
    max_abs_eta=st.sampled_from([2.4, math.inf]),
    multiplicity=st.integers(1, 2),
    eta_windows=st.sampled_from([None, ((-2.4, -1.2), (0.0, 1.0)), ((-1.0, 1.0),)]),
    overlap=st.sampled_from([None, Overlap(REF, 0.4)]),
)
window_st = st.sampled_from(
    [
        {"max_deta": 1.5},
        {"min_dphi": 1.0},
        {"min_mt": 15.0},
        {"max_mass": 60.0},
        {"min_dr": 0.5, "max_dr": 3.0},
        {"min_deta": 0.3, "max_dphi": 2.5},
    ]
)


@pytest.fixture(scope="module")
def events(toy_sample: Path) -> tuple[Any, list[dict[str, list[dict[str, float]]]]]:
    schema = builtin_schema("l1emu")
    probe = Seed("p", (Leg("muons", 0.0, overlap=Overlap(REF, 0.4)), Leg("egamma", 0.0)), crosses=(Cross(max_deta=1),))
    chunk = read_chunk(
        WorkItem(0, str(toy_sample), "Events", 0, N), schema, SeedEvaluator(Menu("p", (probe,)), schema).needs()
    )
    a = uproot.open(toy_sample)["Events"].arrays(entry_stop=N)
    out = []
    for i in range(N):
        ev = {}
        for name, prefix in (("muons", "L1Mu"), ("egamma", "L1EG"), ("jets", "L1Jet")):
            cols = {f: a[f"{prefix}_{f}"][i].tolist() for f in ("pt", "eta", "phi")}
            ev[name] = [dict(zip(cols, vals, strict=True)) for vals in zip(*cols.values(), strict=True)]
        for m, bx in zip(ev["muons"], a["L1Mu_bx"][i].tolist(), strict=True):
            m["bx"] = bx
        out.append(ev)
    return chunk, out


def _dphi(p: dict[str, float], q: dict[str, float]) -> float:
    return (p["phi"] - q["phi"] + math.pi) % (2 * math.pi) - math.pi


def _passes(leg: Leg, m: dict[str, float], ev: dict[str, list[dict[str, float]]]) -> bool:
    ok = m["pt"] >= leg.min_pt and abs(m["eta"]) <= leg.max_abs_eta and m.get("bx", 0) == leg.bx
    if leg.eta_windows is not None:
        ok = ok and any(lo <= m["eta"] <= hi for lo, hi in leg.eta_windows)
    if leg.overlap is not None:
        refs = [r for r in ev[leg.overlap.reference.collection] if r["pt"] >= leg.overlap.reference.min_pt]
        ok = ok and all(math.hypot(m["eta"] - r["eta"], _dphi(m, r)) >= leg.overlap.max_dr for r in refs)
    return ok


def _cross(c: Cross, p: dict[str, float], q: dict[str, float]) -> bool:
    deta, dphi = p["eta"] - q["eta"], _dphi(p, q)
    x = {
        "dr": math.hypot(deta, dphi),
        "mass": math.sqrt(max(2 * p["pt"] * q["pt"] * (math.cosh(deta) - math.cos(dphi)), 0.0)),
        "deta": abs(deta),
        "dphi": abs(dphi),
        "mt": math.sqrt(max(2 * p["pt"] * q["pt"] * (1 - math.cos(dphi)), 0.0)),
    }
    return all(lo <= x[k] <= hi for k, (lo, hi) in c.windows().items())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    legs=st.lists(legs_st, min_size=1, max_size=3), windows=st.lists(window_st, min_size=1, max_size=2), data=st.data()
)
def test_random_conditions_match_brute_force(
    events: tuple[Any, list[dict[str, list[dict[str, float]]]]],
    legs: list[Leg],
    windows: list[dict[str, float]],
    data: Any,
) -> None:
    slots = [leg for leg in legs for _ in range(leg.multiplicity)]
    if not 2 <= len(slots) <= 3:
        return
    pairs = st.sampled_from(list(itertools.combinations(range(len(slots)), 2)))
    crosses = tuple(Cross(**w, pair=data.draw(pairs)) for w in windows)
    chunk, evs = events
    seed = Seed("s", tuple(legs), crosses=crosses)
    chunk.cache.clear()
    got = SeedEvaluator(Menu("m", (seed,)), builtin_schema("l1emu")).decision(seed, chunk, {})
    for i, ev in enumerate(evs):
        objs = [(c, k) for c in ("muons", "egamma") for k in range(len(ev[c]))]
        expected = any(
            all(leg.collection == c and _passes(leg, ev[c][k], ev) for leg, (c, k) in zip(slots, pick, strict=True))
            and all(
                _cross(x, ev[pick[x.pair[0]][0]][pick[x.pair[0]][1]], ev[pick[x.pair[1]][0]][pick[x.pair[1]][1]])
                for x in crosses
            )
            for pick in itertools.permutations(objs, len(slots))
        )
        assert bool(got[i]) == expected, (i, legs, crosses)
    # a threshold scan of leg 0 reads the same assignments: fires at threshold t iff its value is >= t
    ev = SeedEvaluator(Menu("m", (seed,)), builtin_schema("l1emu"))
    value = ev.value(seed, ScanTarget("leg", 0), chunk, {})
    for t in (5.0, 12.0, 25.0):
        raised = Seed("s", (replace(legs[0], min_pt=t), *legs[1:]), crosses=crosses)
        assert np.array_equal(ev.decision(raised, chunk, {}), value >= t), (t, legs, crosses)


def test_object_and_sum_correlations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # ev0: jet 60 at phi 0, MET 100 at phi 3.0: |dphi| 3.0; e/gamma 30 at phi 0: mT = sqrt(2*30*100*(1-cos 3)) = 108.9
    # ev1: jet 60 at phi 0, MET 100 at phi 1.0: |dphi| 1.0; mT(e/gamma) = sqrt(6000 (1 - cos 1)) = 52.4
    # ev2: jet 60 at phi -3.0, MET 100 at phi 3.0: |dphi| wraps to 2 pi - 6 = 0.28; no e/gamma
    data = write_events(
        tmp_path / "d.root",
        {
            "weight": [1.0, 1.0, 1.0],
            "L1Jet_pt": [[60.0], [60.0], [60.0]],
            "L1Jet_eta": [[0.0], [0.0], [0.0]],
            "L1Jet_phi": [[0.0], [0.0], [-3.0]],
            "L1EG_pt": [[30.0], [30.0], []],
            "L1EG_eta": [[0.0], [0.0], []],
            "L1EG_phi": [[0.0], [0.0], []],
            "L1EtSum_MET": [100.0, 100.0, 100.0],
            "L1EtSum_METphi": [3.0, 1.0, 3.0],
        },
    )
    seeds = """\
  Jet50_MET80_dPhi_Min2p1:
    legs: [{collection: jets, min_pt: 50}]
    sums: [{sum: MET, min: 80}]
    sum_cross: {sum: MET, min_dphi: 2.1}
  EG25_MT_Min60: {legs: [{collection: egamma, min_pt: 25}], sum_cross: [{object: 0, sum: MET, min_mt: 60}]}
  Jet50_dPhi_Max0p5: {legs: [{collection: jets, min_pt: 50}], sum_cross: {sum: MET, max_dphi: 0.5}}
"""
    menu = menu_yaml(tmp_path / "m.yaml", seeds)
    assert main(["rates", str(menu), "-i", str(data), "--schema", "l1emu", "-o", str(tmp_path / "o")]) == 0
    report = json.loads((tmp_path / "o" / "rates.json").read_text())
    got = {s["name"]: s["raw"]["count"] for s in report["seeds"]}
    assert got == {"Jet50_MET80_dPhi_Min2p1": 1, "EG25_MT_Min60": 1, "Jet50_dPhi_Max0p5": 1}  # ev0, ev0, ev2
    bad = menu_yaml(
        tmp_path / "b.yaml", "  S: {legs: [{collection: jets, min_pt: 5}], sum_cross: {sum: HT, min_dphi: 1}}\n"
    )
    assert main(["rates", str(bad), "-i", str(data), "--schema", "l1emu", "-o", str(tmp_path / "x")]) == 2
    assert "energy sum 'HT', whose direction schema 'l1emu' does not give" in capsys.readouterr().err
    bad = menu_yaml(
        tmp_path / "c.yaml", "  S: {legs: [{collection: jets, min_pt: 5}], sum_cross: {object: 1, sum: MET}}\n"
    )
    assert main(["rates", str(bad), "-i", str(data), "--schema", "l1emu", "-o", str(tmp_path / "x")]) == 2
    assert "seeds.S.sum_cross.object: expected an object index in 0..0" in capsys.readouterr().err
