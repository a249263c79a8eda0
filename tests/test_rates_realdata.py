"""Rates on real CMS files that nobody here wrote match an independent plain-awkward computation."""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot

from tests.rates_helpers import SHARED_DATA, menu_yaml
from trigger.io import builtin_schema, load_schema, open_dataset
from trigger.menu import load_menu
from trigger.processor import run
from trigger.rates import RateProcessor, RateTable

pytestmark = pytest.mark.realdata

NANO = SHARED_DATA / "nanoAOD_2015_CMS_Open_Data_ttbar.root"

NANO_SEEDS = """\
  SingleMu20: {legs: [{collection: muons, min_pt: 20, max_abs_eta: 2.4}]}
  DoubleMu_10_5:
    legs:
      - {collection: muons, min_pt: 10, max_abs_eta: 2.4}
      - {collection: muons, min_pt: 5, max_abs_eta: 2.4}
  DoubleMu_asym:
    legs:
      - {collection: muons, min_pt: 10, max_abs_eta: 1.2}
      - {collection: muons, min_pt: 5, min_abs_eta: 1.0}
  DoubleEG_OS_mass:
    legs: [{collection: egamma, min_pt: 3, multiplicity: 2}]
    cross: {opposite_charge: true, min_mass: 5, max_mass: 200}
  SingleJet100: {legs: [{collection: jets, min_pt: 100}]}
  TripleJet50er2p4: {legs: [{collection: jets, min_pt: 50, max_abs_eta: 2.4, multiplicity: 3}]}
  HT300: {sums: [{sum: HT, min: 300}]}
  MET40: {sums: [{sum: MET, min: 40}]}
  Mu5_Jet30_dRmin0p4:
    legs: [{collection: muons, min_pt: 5}, {collection: jets, min_pt: 30}]
    cross: {min_dr: 0.4}
  SingleEG25: {legs: [{collection: egamma, min_pt: 25, max_abs_eta: 2.5}]}
  Mu5_HT100: {legs: [{collection: muons, min_pt: 5}], sums: [{sum: HT, min: 100}]}
  DoubleMu3_SS: {legs: [{collection: muons, min_pt: 3, multiplicity: 2}], cross: {same_charge: true}}
  SingleTau20er2p1: {legs: [{collection: taus, min_pt: 20, max_abs_eta: 2.1}]}
  Jet30_MET40_dPhi_Min2:
    legs: [{collection: jets, min_pt: 30}]
    sums: [{sum: MET, min: 40}]
    sum_cross: {sum: MET, min_dphi: 2.0}
"""


def _table(menu_path: Path, files: list[str], schema_name: str | Path, chunk: int) -> RateTable:
    menu = load_menu(menu_path)
    schema = builtin_schema(str(schema_name)) if isinstance(schema_name, str) else load_schema(schema_name)
    proc = RateProcessor(menu, schema)
    ds = open_dataset(files, schema, proc.needs().branches(schema))
    table = run(proc, ds, chunk_size=chunk).result
    assert isinstance(table, RateTable)
    return table


def _dphi(a: ak.Array, b: ak.Array) -> ak.Array:
    return (a - b + np.pi) % (2 * np.pi) - np.pi


def _pairs_any(cond: ak.Array) -> np.ndarray:
    return np.asarray(ak.any(cond, axis=1))


def test_nanoaod_open_data_matches_plain_awkward(tmp_path: Path) -> None:
    assert NANO.exists(), f"{NANO} missing: the real CMS files are read from shared/data beside the checkout"
    table = _table(menu_yaml(tmp_path / "m.yaml", NANO_SEEDS), [str(NANO)], "nanoaod", chunk=37)
    a = uproot.open(NANO)["Events"].arrays(
        [
            "Muon_pt",
            "Muon_eta",
            "Muon_phi",
            "Muon_charge",
            "Jet_pt",
            "Jet_eta",
            "Jet_phi",
            "MET_pt",
            "Electron_pt",
            "Electron_eta",
            "Electron_phi",
            "Electron_charge",
            "Tau_pt",
            "Tau_eta",
            "MET_phi",
        ]
    )
    mu = ak.zip({"pt": a.Muon_pt, "eta": a.Muon_eta, "phi": a.Muon_phi, "q": a.Muon_charge})
    jet = ak.zip({"pt": a.Jet_pt, "eta": a.Jet_eta, "phi": a.Jet_phi})
    ht = ak.sum(jet.pt[(jet.pt >= 30) & (abs(jet.eta) <= 2.4)], axis=1)  # the one convention: >=, <=
    expected: dict[str, np.ndarray] = {}
    expected["SingleMu20"] = _pairs_any((mu.pt >= 20) & (abs(mu.eta) <= 2.4))
    # two distinct muons: ordered pairs (i != j) from cartesian products of local indices
    ii = ak.cartesian([ak.local_index(mu.pt), ak.local_index(mu.pt)], nested=False)
    m1, m2 = mu[ii["0"]], mu[ii["1"]]
    distinct = ii["0"] != ii["1"]
    expected["DoubleMu_10_5"] = _pairs_any(
        distinct & (m1.pt >= 10) & (abs(m1.eta) <= 2.4) & (m2.pt >= 5) & (abs(m2.eta) <= 2.4)
    )
    expected["DoubleMu_asym"] = _pairs_any(
        distinct & (m1.pt >= 10) & (abs(m1.eta) <= 1.2) & (m2.pt >= 5) & (abs(m2.eta) >= 1.0)
    )
    eg = ak.zip({"pt": a.Electron_pt, "eta": a.Electron_eta, "phi": a.Electron_phi, "q": a.Electron_charge})
    e1, e2 = eg[:, :, None], eg[:, None, :]  # all ordered pairs by broadcasting
    deta, dphi = e1.eta - e2.eta, _dphi(e1.phi, e2.phi)
    mass = np.sqrt(2 * e1.pt * e2.pt * (np.cosh(deta) - np.cos(dphi)))
    os_pair = (e1.pt >= 3) & (e2.pt >= 3) & (e1.q * e2.q < 0) & (mass >= 5) & (mass <= 200)
    expected["DoubleEG_OS_mass"] = np.asarray(ak.any(ak.flatten(os_pair, axis=2), axis=1))
    expected["SingleJet100"] = _pairs_any(jet.pt >= 100)
    expected["TripleJet50er2p4"] = np.asarray(ak.sum((jet.pt >= 50) & (abs(jet.eta) <= 2.4), axis=1) >= 3)
    expected["HT300"] = np.asarray(ht >= 300)
    expected["MET40"] = np.asarray(a.MET_pt >= 40)
    mj = ak.cartesian([mu, jet], nested=False)
    dr = np.sqrt((mj["0"].eta - mj["1"].eta) ** 2 + _dphi(mj["0"].phi, mj["1"].phi) ** 2)
    expected["Mu5_Jet30_dRmin0p4"] = _pairs_any((mj["0"].pt >= 5) & (mj["1"].pt >= 30) & (dr >= 0.4))
    expected["SingleEG25"] = _pairs_any((a.Electron_pt >= 25) & (abs(a.Electron_eta) <= 2.5))
    expected["Mu5_HT100"] = _pairs_any(mu.pt >= 5) & np.asarray(ht >= 100)
    expected["DoubleMu3_SS"] = _pairs_any(distinct & (m1.pt >= 3) & (m2.pt >= 3) & (m1.q * m2.q > 0))
    expected["SingleTau20er2p1"] = _pairs_any((a.Tau_pt >= 20) & (abs(a.Tau_eta) <= 2.1))
    away = abs(_dphi(jet.phi, a.MET_phi)) >= 2.0
    expected["Jet30_MET40_dPhi_Min2"] = _pairs_any((jet.pt >= 30) & away) & np.asarray(a.MET_pt >= 40)

    got = {s.name: s.raw.count for s in table.seeds}
    assert got == {k: int(v.sum()) for k, v in expected.items()}
    assert table.events == 200
    total = np.any(np.stack(list(expected.values())), axis=0)
    assert table.total_raw.count == int(total.sum())
    assert table.total_raw.khz == pytest.approx(total.mean() * 2760 * 11245.6 / 1000, rel=1e-12)
    # the sample is ttbar: most seeds fire, so this check has teeth
    assert all(v > 0 for v in got.values()), got


HZZ_SCHEMA = """\
schema_version: 1
name: hzz
tree: events
weight: EventWeight
collections:
  muons: {px: Muon_Px, py: Muon_Py, pz: Muon_Pz, charge: Muon_Charge}
  jets: {px: Jet_Px, py: Jet_Py, pz: Jet_Pz}
sums:
  MET: {px: MET_px, py: MET_py}
"""

HZZ_SEEDS = """\
  SingleMu30er2p1: {legs: [{collection: muons, min_pt: 30, max_abs_eta: 2.1}]}
  DoubleMu_20_10: {legs: [{collection: muons, min_pt: 20}, {collection: muons, min_pt: 10}]}
  DoubleMu_OS: {legs: [{collection: muons, min_pt: 5, multiplicity: 2}], cross: {opposite_charge: true}}
  Jet60: {legs: [{collection: jets, min_pt: 60}]}
  MET30: {sums: [{sum: MET, min: 30}]}
"""


def test_hzz_weighted_with_user_schema_matches_plain_awkward(tmp_path: Path) -> None:
    import skhep_testdata

    path = skhep_testdata.data_path("uproot-HZZ.root")
    (tmp_path / "hzz.yaml").write_text(HZZ_SCHEMA)
    table = _table(menu_yaml(tmp_path / "m.yaml", HZZ_SEEDS), [path], tmp_path / "hzz.yaml", chunk=500)
    a = uproot.open(path)["events"].arrays()
    mpt = np.hypot(a.Muon_Px, a.Muon_Py)
    meta = np.arcsinh(a.Muon_Pz / mpt)
    w = np.asarray(a.EventWeight, dtype=np.float64)
    expected = {
        "SingleMu30er2p1": np.asarray(ak.any((mpt >= 30) & (abs(meta) <= 2.1), axis=1)),
        "DoubleMu_20_10": np.asarray((ak.sum(mpt >= 20, axis=1) >= 1) & (ak.sum(mpt >= 10, axis=1) >= 2)),
        "Jet60": np.asarray(ak.any(np.hypot(a.Jet_Px, a.Jet_Py) >= 60, axis=1)),
        "MET30": np.asarray(np.hypot(a.MET_px, a.MET_py) >= 30),
    }
    pairs = ak.combinations(ak.zip({"pt": mpt, "q": a.Muon_Charge}), 2)
    expected["DoubleMu_OS"] = np.asarray(
        ak.any((pairs["0"].pt >= 5) & (pairs["1"].pt >= 5) & (pairs["0"].q * pairs["1"].q < 0), axis=1)
    )
    assert table.weighted
    assert table.sumw == pytest.approx(w.sum(), rel=1e-12)
    zb = 2760 * 11245.6 / 1000
    for s in table.seeds:
        mask = expected[s.name]
        assert s.raw.count == int(mask.sum()), s.name
        assert s.raw.sumw == pytest.approx(w[mask].sum(), rel=1e-12)
        assert s.raw.khz == pytest.approx(zb * w[mask].sum() / w.sum(), rel=1e-12)
        assert s.raw.err_up == pytest.approx(zb * np.sqrt((w[mask] ** 2).sum()) / w.sum(), rel=1e-12)
    assert all(s.raw.count > 0 for s in table.seeds)
