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
    sums = cm.sums(towers, towers, jets)
    assert sums["MET"][0] == pytest.approx(0.0, abs=1e-9)
    assert sums["HT"][0] == pytest.approx(100.0)


def test_met_thresholds_follow_the_pileup_estimate() -> None:
    cm = CaloModel()
    towers = _grid(2)
    towers[:, 1, 57, 0] = 50.0  # one hard deposit at eta ~ 0: MET 50 in both events
    towers[:, 1, 30, 10] = 2.5  # a 2.5 GeV tower at |eta| ~ 2.3 (band 1.5-3)
    towers[1, 0, 45:70, :] = 0.6  # event 1: 1 800 soft towers in |eta| < 1.1 -> n_tt > 1 096, top bin
    towers[1, 0, 45:70, ::2] += 0.2  # not uniform in phi, but symmetric: adds no MET
    sums = cm.sums(towers, towers, cm.jets(towers))
    n_tt = cm.pileup_estimate(towers)
    assert n_tt.tolist() == [1, 1800]
    # event 0: lowest bin, thresholds 1.70 / 1.57 / 1.38: the 2.5 GeV tower counts (sector i at -pi + (i + 1/2) 5 deg)
    p0, p1 = -np.pi + 0.5 * np.pi / 36, -np.pi + 10.5 * np.pi / 36
    expected = np.hypot(50.0 * np.cos(p0) + 2.5 * np.cos(p1), 50.0 * np.sin(p0) + 2.5 * np.sin(p1))
    assert sums["MET"][0] == pytest.approx(expected, rel=1e-6)
    # event 1: top bin, thresholds 6.40 / 5.95: the soft towers and the 2.5 GeV tower are dropped; the hard
    # tower keeps its 0.8 GeV of pile-up (its ECAL layer is in the soft region, phi sector 0 is even)
    assert sums["MET"][1] == pytest.approx(50.8, rel=1e-6)


def test_egamma_needs_em_deposit_and_isolation_sees_neighbours() -> None:
    towers = _grid(2)
    towers[0, 0, 57, 5] = 30.0  # isolated photon
    towers[1, 0, 57, 5] = 30.0
    towers[1, 1, 59, 7] = 15.0  # hadronic activity nearby
    towers[1, 1, 20, 20] = 40.0  # purely hadronic: no e/gamma
    eg = CaloModel().egammas(towers)
    assert [len(e) for e in eg] == [1, 1]
    assert eg[0].relIso[0] == pytest.approx(-0.0205 * 1 / 30)  # n_tt = 1: the photon's own tower
    assert eg[1].relIso[0] == pytest.approx(0.5 - 0.0205 * 2 / 30)
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
        if pt == 150.0 and eta > 1.2:
            # resolution-limited: 1 mrad CSC phi against a ~1.2 mrad pair bend, and pT = 1 / |curvature|
            # folds the noise to lower pT (measured median 0.77)
            assert 0.65 < np.median(ratio) < 1.0
        else:
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


def test_hadron_response_is_below_one_skewed_and_leaves_em_alone() -> None:
    from trigger.samples.geometry import N_ETA as NE
    from trigger.samples.response import HadronResponse

    hr = HadronResponse()
    n = 40_000
    ring = 57  # eta = 0.0435: E = ET cosh(eta) ~ ET
    had_cell = np.full(n, (NE + ring) * N_PHI + 3)
    em_cell = np.full(n, ring * N_PHI + 3)
    et = np.full(n, 10.0)
    vis = hr.apply(had_cell, et, np.random.default_rng(1)) / 10.0
    e = 10.0 * np.cosh(-5.0 + 10.0 / 115 * (ring + 0.5))
    f = 1.0 - e**-0.15  # Groom: <F> = 1 - (E / 1 GeV)^(m - 1), m = 0.85
    assert np.mean(vis) == pytest.approx(f + 0.45 * (1 - f), rel=0.01)  # 0.61 at 10 GeV
    centred = vis - vis.mean()
    assert np.mean(centred**3) / np.std(vis) ** 3 > 0.1  # Beta(k F, k (1 - F)) with F < 1/2: skewed, not Gaussian
    assert np.all(hr.apply(em_cell, et, np.random.default_rng(1)) == 10.0)  # e/pi: electrons and photons at 1


def test_calibration_brings_a_lone_hadron_back_to_its_true_et() -> None:
    from trigger.samples.response import HadronResponse

    hr = HadronResponse()
    for ring, et in ((57, 20.0), (57, 60.0), (30, 8.0)):
        eta = -5.0 + 10.0 / 115 * (ring + 0.5)
        measured = et * float(hr.mean(np.array([et * np.cosh(eta)]), np.array([eta]))[0])
        towers = _grid()
        towers[0, 1, ring, 7] = measured
        calibrated = hr.calibrate(towers)[0, 1, ring, 7]
        # a step look-up: exact at the bin edges, within the bin-to-bin change of 1 / <R> elsewhere
        assert calibrated == pytest.approx(et, rel=0.06)
        assert measured < 0.8 * et


def test_isolation_subtracts_the_pileup_expected_from_the_tower_count() -> None:
    towers = _grid()
    towers[0, 0, 57, :] = 0.2  # one ring of 72 soft ECAL towers at eta ~ 0: n_tt = 72
    towers[0, 0, 57, 5] += 30.0
    eg = CaloModel().egammas(towers)
    et, tot7 = 30.0 + 3 * 0.2, 30.0 + 7 * 0.2  # 3x3 and 7x7 hold 3 and 7 towers of the ring
    assert eg[0].relIso[0] == pytest.approx((tot7 - et - 0.0205 * 72) / et, rel=1e-5)


def _gun_all(system: MuonSystem, pt: float, eta: float, n: int = 3000, seed: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """(classic pT / true pT of the triggered muons, single-quality efficiency) of a gun at +-eta."""
    rng = np.random.default_rng(seed)
    q = rng.choice(np.array([-1.0, 1.0]), n)
    e = eta * rng.choice(np.array([-1.0, 1.0]), n)
    hits = system.stations(np.full(n, pt), e, rng.uniform(-3, 3, n), q, rng)
    keep = system.triggered(e, hits, rng)
    l1pt, _ = system.classic_pt(hits)
    return l1pt[keep] / pt, np.asarray(np.mean(keep & (system.quality(hits) >= 12)))


def test_muon_plateau_efficiency_tails_and_endcap_resolution(muon_system: MuonSystem) -> None:
    def w68(r: np.ndarray) -> float:
        return float(np.subtract(*np.percentile(r, [84, 16])) / 2)

    barrel, eff = _gun_all(muon_system, 30.0, 0.3)
    endcap, _ = _gun_all(muon_system, 30.0, 2.2)
    assert 0.92 < eff < 0.96  # CMS-like plateau for single-quality muons, not 99 %
    assert w68(endcap) >= w68(barrel)  # at |eta| 2.2 the endcap is no better than the barrel
    # non-Gaussian: a Gaussian of the same 68 % half-width puts 0.3 % beyond 3 half-widths (measured: 4.9 %)
    assert np.mean(np.abs(barrel - np.median(barrel)) > 3 * w68(barrel)) > 0.02


def test_nonzero3_is_numpys_nonzero_of_tower_grids() -> None:
    from trigger.samples.calo import nonzero3

    rng = np.random.default_rng(4)
    for n, p in ((1, 0.0), (3, 0.01), (7, 0.5), (2, 1.0)):
        mask = rng.random((n, N_ETA, N_PHI)) < p
        got, want = nonzero3(mask), np.nonzero(mask)
        assert all(g.dtype == w.dtype and np.array_equal(g, w) for g, w in zip(got, want, strict=True))


def test_calibration_multiplies_each_hadronic_tower_by_its_look_up_factor() -> None:
    """Against the per-tower look-up (``HadronResponse.factor``), towers in a loop: ECAL unchanged, every hit
    hadronic tower times its ring's factor at its ET, empty towers stay zero, the input untouched."""
    from trigger.samples.response import HadronResponse

    hr = HadronResponse()
    rng = np.random.default_rng(5)
    towers = np.where(rng.random((3, 2, N_ETA, N_PHI)) < 0.2, rng.exponential(6.0, (3, 2, N_ETA, N_PHI)), 0.0)
    before = towers.copy()
    out = hr.calibrate(towers)
    assert np.array_equal(towers, before) and np.array_equal(out[:, 0], towers[:, 0])
    for e, ie, ip in zip(*np.nonzero(np.ones((3, N_ETA, N_PHI), bool)), strict=True):
        et = towers[e, 1, ie, ip]
        want = et * hr.factor(np.array([ie]), np.array([et]))[0] if et > 0 else 0.0
        assert out[e, 1, ie, ip] == want
