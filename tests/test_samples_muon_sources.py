"""Decays in flight and punch-through: probabilities by hand, and the forced-source weights unbiased."""

from __future__ import annotations

import numpy as np
import pytest

from trigger.samples.muon_sources import MuonSources


def _p_decay(m: float, ctau: float, br: float, pt: float, eta: float) -> float:
    path = min(1.29 * np.cosh(eta), 3.15 / abs(np.tanh(eta)) if eta else np.inf) + 0.20
    return br * (1.0 - np.exp(-path * m / (pt * np.cosh(eta) * ctau)))


def test_decay_probability_by_hand() -> None:
    src = MuonSources()
    pid = np.array([211, -321, 130])
    got = src.decay_probability(pid, np.array([10.0, 10.0, 10.0]), np.array([0.0, 2.0, 0.0]))
    expected = [
        _p_decay(0.13957, 7.8045, 0.99988, 10.0, 0.0),  # 2.7e-3 at 10 GeV
        _p_decay(0.49368, 3.7112, 0.6356, 10.0, 2.0),  # endcap: the path is 3.15 / tanh(2)
        _p_decay(0.49761, 15.34, 0.2704, 10.0, 0.0),
    ]
    assert got == pytest.approx(expected, rel=1e-6)
    assert 2.5e-3 < got[0] < 2.8e-3


def test_forced_and_normal_crossings_estimate_the_muon_rate_without_bias() -> None:
    src = MuonSources()
    n = 40_000
    rng = np.random.default_rng(4)
    # every crossing: a 20 GeV pi+ at eta 0, a 40 GeV K- at eta 1 and a 3 GeV pi- (below the cut)
    event = np.repeat(np.arange(n), 3)
    pid = np.tile([211, -321, -211], n)
    pt = np.tile([20.0, 40.0, 3.0], n)
    eta = np.tile([0.0, 1.0, 0.5], n)
    phi = np.zeros(3 * n)
    charge = np.tile([1.0, -1.0, -1.0], n)
    forced = src.sample(n, event, pid, pt, eta, phi, charge, "forced", rng)
    normal = src.sample(n, event, pid, pt, eta, phi, charge, "normal", rng)
    # hand: P(muon pT > 15) = P(decay) P(z > 15 / pT); z uniform in [r, 1]; punch-through gives 0.3 pT < 15
    lam_pi = _p_decay(0.13957, 7.8045, 0.99988, 20.0, 0.0) * (1 - 15 / 20) / (1 - 0.10566**2 / 0.13957**2)
    lam_k = _p_decay(0.49368, 3.7112, 0.6356, 40.0, 1.0) * (1 - 15 / 40) / (1 - 0.10566**2 / 0.49368**2)
    no_source = float(normal.factor[0])  # normal crossings carry exp(-Lambda)
    above = np.zeros(n)
    high = forced.pt > 15.0
    np.add.at(above, forced.event[high], 1.0)
    estimate = np.mean(forced.factor * (above > 0))
    assert estimate == pytest.approx((lam_pi + lam_k) * no_source, rel=0.03)
    assert np.all(normal.pt < src.cut)  # normal crossings: no source above the cut
    assert np.allclose(normal.factor, normal.factor[0]) and 0.99 < normal.factor[0] < 1.0


def test_heavy_flavour_sources_by_hand() -> None:
    src = MuonSources()
    pid = np.array([521, -521, 5122, 421])
    pt = np.full(4, 20.0)
    lam_d, lam_p = src.lambdas(pid, pt, np.zeros(4))
    # semileptonic: P(z pT > 5 GeV) with z = 0.9 u^2 is 1 - sqrt(5 / (0.9 x 20))
    frac = 1.0 - np.sqrt(5.0 / 18.0)
    assert lam_d == pytest.approx([0.105 * frac, 0.105 * frac, 0.105 * frac, 0.068 * frac], rel=1e-9)
    assert np.all(lam_p == 0.0)  # heavy hadrons do not punch through
    n = 20_000
    rng = np.random.default_rng(7)
    out = src.sample(
        n, np.arange(n), np.full(n, 521), np.full(n, 20.0), np.zeros(n), np.zeros(n), np.zeros(n), "physical", rng
    )
    assert out.event.size / n == pytest.approx(0.105, rel=0.05)  # every B+ decays; 10.5 % to a muon
    assert np.all(out.charge == 1.0)  # B+ = u bbar: bbar -> cbar mu+ nu
    assert np.mean(out.pt) / 20.0 == pytest.approx(0.3, rel=0.05)  # <z> = 0.9 / 3
    lb = src.sample(
        10,
        np.arange(10),
        np.full(10, 5122),
        np.full(10, 200.0),
        np.zeros(10),
        np.zeros(10),
        np.zeros(10),
        "forced",
        rng,
    )
    assert np.all(lb.charge == -1.0)  # Lambda_b = udb: b -> c mu- nu
