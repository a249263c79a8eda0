"""Detector-model unit tests: calorimeter objects, muon system, deposits."""

from __future__ import annotations

import numpy as np
import pytest

from trigger.samples.calo import CaloModel
from trigger.samples.geometry import N_ETA, N_PHI, deposit
from trigger.samples.muons import MuonSystem


def _grid(n: int = 1) -> np.ndarray:
    return np.zeros((n, 2, N_ETA, N_PHI))


def test_single_deposit_makes_one_jet_at_its_tower() -> None:
    towers = _grid()
    towers[0, 1, 60, 10] = 80.0
    towers[0, 1, 61, 10] = 20.0
    jets = CaloModel().jets(towers)
    assert len(jets[0]) == 1
    assert jets[0].pt[0] == pytest.approx(100.0)
    assert jets[0].eta[0] == pytest.approx(-5.0 + 10.0 / 115 * 60.5, abs=1e-5)


def test_chunky_donut_removes_uniform_pileup() -> None:
    towers = _grid()
    towers[0, 1] = 0.6  # uniform pile-up pedestal in every tower
    towers[0, 1, 50, 30] += 60.0
    jets = CaloModel().jets(towers)
    assert jets[0].pt[0] == pytest.approx(60.0, abs=1e-6)


def test_met_balances_two_opposite_deposits_and_ht_counts_central_jets() -> None:
    towers = _grid()
    towers[0, 1, 57, 0] = 50.0
    towers[0, 1, 57, 36] = 50.0
    cm = CaloModel()
    jets = cm.jets(towers)
    sums = cm.sums(towers, jets)
    assert sums["MET"][0] == pytest.approx(0.0, abs=1e-9)
    assert sums["HT"][0] == pytest.approx(100.0)


def test_egamma_needs_em_deposit_and_isolation_sees_neighbours() -> None:
    towers = _grid(2)
    towers[0, 0, 57, 5] = 30.0  # isolated photon
    towers[1, 0, 57, 5] = 30.0
    towers[1, 1, 59, 7] = 15.0  # hadronic activity nearby
    towers[1, 1, 20, 20] = 40.0  # purely hadronic: no e/gamma
    eg = CaloModel().egammas(towers)
    assert [len(e) for e in eg] == [1, 1]
    assert eg[0].relIso[0] == pytest.approx(0.0)
    assert eg[1].relIso[0] == pytest.approx(0.5)
    assert eg[0].iso[0] == 3  # loose and tight
    assert eg[1].iso[0] == 0  # 0.5 fails both (loose < 0.30)


def test_smearing_width_follows_stochastic_term() -> None:
    rng = np.random.default_rng(3)
    truth = _grid(400)
    truth[:, 1, 57, 10] = 100.0  # HCAL, eta ~ 0: sigma/E = sqrt(1/100 + 0.05^2) = 11.2 %
    measured = CaloModel().smear(truth, rng)[:, 1, 57, 10]
    assert np.std(measured) / 100.0 == pytest.approx(np.sqrt(0.01 + 0.0025), rel=0.15)


def test_invisible_and_looping_particles_deposit_nothing() -> None:
    ev = np.zeros(4, np.int64)
    pt = np.array([10.0, 10.0, 0.3, 10.0])
    pid = np.array([12, 13, 211, 22])
    charge = np.array([0.0, -1.0, 1.0, 0.0])
    dep = deposit(ev, pt, np.zeros(4), np.zeros(4), pid, charge)
    assert dep.et.tolist() == [10.0]  # only the photon


@pytest.fixture(scope="module")
def muon_system() -> MuonSystem:
    return MuonSystem()


def _gun(
    system: MuonSystem, pt: float, eta: float, n: int = 3000, seed: int = 5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    q = rng.choice(np.array([-1.0, 1.0]), n)
    hits = system.stations(np.full(n, pt), np.full(n, eta), rng.uniform(-3, 3, n), q, rng)
    keep = system.triggered(np.full(n, eta), hits, rng)
    l1pt, l1q = system.classic_pt(hits)
    return l1pt[keep], l1q[keep], q[keep]


def test_low_pt_barrel_muons_stop_before_the_stations(muon_system: MuonSystem) -> None:
    rng = np.random.default_rng(1)
    hits = muon_system.stations(np.full(200, 2.2), np.full(200, 0.2), np.zeros(200), np.ones(200), rng)
    assert not hits.present.any()


@pytest.mark.parametrize("eta", [0.3, 1.8])
def test_classic_pt_is_calibrated_and_resolution_worsens_at_high_pt(muon_system: MuonSystem, eta: float) -> None:
    widths = {}
    for pt in (20.0, 150.0):
        l1pt, l1q, q = _gun(muon_system, pt, eta)
        ratio = l1pt / pt
        assert np.median(ratio) == pytest.approx(1.0, abs=0.15)
        widths[pt] = np.subtract(*np.percentile(ratio, [84, 16])) / 2
        if pt == 20.0:
            assert np.mean(l1q == q) > 0.9
    assert widths[150.0] > 1.5 * widths[20.0]


def test_station_outputs_are_zero_when_absent(muon_system: MuonSystem) -> None:
    rng = np.random.default_rng(2)
    hits = muon_system.stations(np.full(500, 6.0), np.full(500, 0.3), np.zeros(500), np.ones(500), rng)
    absent = ~hits.present
    assert absent.any() and hits.present.any()
    assert np.all(hits.phi[absent] == 0) and np.all(hits.qual[absent] == 0)
    assert np.all(hits.qual[hits.present] >= 4)


@pytest.mark.parametrize("eta", [0.3, 1.6])
def test_vertex_phi_extrapolation_recovers_the_generated_phi(muon_system: MuonSystem, eta: float) -> None:
    rng = np.random.default_rng(8)
    n = 2000
    phi0 = rng.uniform(-3.1, 3.1, n)
    q = rng.choice(np.array([-1.0, 1.0]), n)
    hits = muon_system.stations(np.full(n, 15.0), np.full(n, eta), phi0, q, rng)
    pt, charge = muon_system.classic_pt(hits)
    ok = muon_system.triggered(np.full(n, eta), hits, rng)
    first = np.argmax(hits.present, axis=1)
    raw = np.mod(hits.phi[np.arange(n), first] - phi0 + np.pi, 2 * np.pi) - np.pi
    fixed = np.mod(muon_system.vertex_phi(hits, pt, charge) - phi0 + np.pi, 2 * np.pi) - np.pi
    assert np.median(np.abs(fixed[ok])) < 0.05  # 0.030 rad barrel, dominated by the pT resolution
    assert np.median(np.abs(fixed[ok])) < 0.25 * np.median(np.abs(raw[ok]))
