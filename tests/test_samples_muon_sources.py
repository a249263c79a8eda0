"""Decays in flight and punch-through: probabilities by hand, and the forced-source weights unbiased."""

from __future__ import annotations

import functools

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
    above = np.zeros(n)
    high = forced.pt > 15.0
    np.add.at(above, forced.event[high], 1.0)
    estimate = np.mean(forced.factor * (above > 0))  # normal crossings have no muon above 5 GeV
    assert estimate == pytest.approx(1.0 - (1.0 - lam_pi) * (1.0 - lam_k), rel=0.03)
    assert np.all(normal.pt < src.cut)  # normal crossings: no source above the cut
    assert np.allclose(normal.factor, normal.factor[0]) and 0.99 < normal.factor[0] < 1.0


def test_heavy_flavour_sources_by_hand() -> None:
    src = MuonSources(cut=5.0)  # the hand-worked numbers below take a 5 GeV cut
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


def _toy_crossings(n: int, rng: np.random.Generator, light: float = 20.0) -> dict[str, np.ndarray]:
    """Crossings of a toy: Poisson(``light``) pions / kaons (2-40 GeV) and Poisson(0.6) B+ (5-60 GeV), falling
    spectra; the B hadrons (10.5 % to a muon) make crossings with two sources above the cut common."""
    n_light, n_heavy = rng.poisson(light, n), rng.poisson(0.6, n)
    light = np.repeat(np.arange(n), n_light)
    heavy = np.repeat(np.arange(n), n_heavy)
    event = np.concatenate([light, heavy])
    pid = np.concatenate([rng.choice([211, -211, 321, 130], light.size), np.full(heavy.size, 521)])
    pt = np.concatenate([2.0 / rng.uniform(0.05, 1.0, light.size), 5.0 / rng.uniform(1 / 12, 1.0, heavy.size)])
    order = np.argsort(event, kind="stable")
    m = event.size
    return {
        "event": event[order],
        "pid": pid[order],
        "pt": pt[order],
        "eta": rng.uniform(-2.4, 2.4, m)[order],
        "phi": rng.uniform(-np.pi, np.pi, m),
        "charge": np.sign(pid[order]).astype(np.float64),
    }


def _observables(n: int, event: np.ndarray, pt: np.ndarray) -> np.ndarray:
    """Per crossing: leading muon pT > 5, > 15, > 30 GeV; two muons above 5 GeV; three above 3 GeV; any muon; two
    above 3 GeV with one above 15 GeV (a hard pair: where the pair densities' exclusion of the first pick shows)."""

    def count(cut: float) -> np.ndarray:
        return np.bincount(event[pt > cut], minlength=n)

    return np.stack(
        [
            count(5.0) >= 1,
            count(15.0) >= 1,
            count(30.0) >= 1,
            count(5.0) >= 2,
            count(3.0) >= 3,
            count(0.0) >= 1,
            (count(3.0) >= 2) & (count(15.0) >= 1),
        ],
        axis=1,
    ).astype(float)


_PROMPT = {
    "pt": np.array([8.0, 20.0]),
    "eta": np.array([0.3, -1.2]),
    "phi": np.array([0.0, 1.0]),
    "charge": np.array([1.0, -1.0]),
    "lam": np.array([0.3, 0.02]),
}


def _run(
    src: MuonSources,
    n: int,
    mode: str,
    rng: np.random.Generator,
    mix: tuple[float, float, float] | None = None,
    light: float = 20.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Toy crossings in ``mode``: (observables + a calorimeter-like one per crossing, weight factor, Lambda)."""
    c = _toy_crossings(n, rng, light)
    lam_d, lam_p = src.lambdas(c["pid"], c["pt"], c["eta"])
    lam_c = np.bincount(c["event"], weights=lam_d + lam_p, minlength=n) + _PROMPT["lam"].sum()
    busy = np.bincount(c["event"], minlength=n) > 22
    # the pool muons the overlay put in (physical / forced keep them; normal crossings drop them: above the cut)
    here = rng.poisson(_PROMPT["lam"], (n, 2))  # copies of each pool muon (overlay: with replacement)
    p_event, p_idx = (np.repeat(a, here[here > 0]) for a in np.nonzero(here))
    forced = mode.startswith("forced")
    out = src.sample(
        n,
        c["event"],
        c["pid"],
        c["pt"],
        c["eta"],
        c["phi"],
        c["charge"],
        mode,
        rng,
        None if mode == "physical" else _PROMPT,
        (p_event, p_idx) if forced else None,
        mix,
    )
    event, pt = out.event, out.pt
    if mode != "normal":
        event, pt = np.concatenate([event, p_event]), np.concatenate([pt, _PROMPT["pt"][p_idx]])
    return np.column_stack([_observables(n, event, pt), busy]), out.factor, lam_c


@functools.lru_cache(maxsize=2)
def _physical(n: int = 200_000, light: float = 20.0) -> tuple[np.ndarray, np.ndarray]:
    """Plain physical sampling of the toy: observables and Lambda per crossing."""
    phys, _, lam = _run(MuonSources(), n, "physical", np.random.default_rng(5), light=light)
    return phys, lam


def test_normal_plus_forced_crossings_equal_physical_sampling_with_several_sources() -> None:
    """Toy check of the mixture weights: the weighted estimate (one normal and one forced half, each
    normalised to the whole) of single-, double- and triple-muon probabilities equals plain physical
    sampling of the same crossings within errors, also where two sources above the cut are common
    (the earlier one-source scheme lost those, ~Lambda^2 / 2). Pool muons above the cut (``prompt``:
    in a crossing Poisson(lam) times, one at lam 0.3: a forced pick of it often adds a second copy; dropping
    that copy, as an earlier version did, fails here) are sources too. A muon-independent observable (more than 22 toy
    hadrons, as a calorimeter seed) comes out right too. The defensive share d bounds every forced weight
    factor by Lambda / d (without it the toy reaches ~30 Lambda), so the forced half adds at most E[x Lambda^2] / d
    to that observable's n sum w^2 x^2, and the estimate is no worse than the normal half as plain crossings:
    for it the forced half is nearly idle (weights ~Lambda), not 2 x n_half plain crossings' worth."""
    src = MuonSources()
    rng = np.random.default_rng(11)
    n_half = 40_000
    phys, lam_phys = _physical()
    n_phys = phys.shape[0]
    normal, w_n, _ = _run(src, n_half, "normal", rng)
    forced, w_f, lam_f = _run(src, n_half, "forced", rng)
    assert np.all(w_f <= lam_f / src.defensive * (1 + 1e-9))
    est = (w_n @ normal + w_f @ forced) / n_half
    err = np.sqrt(((w_n[:, None] * normal) ** 2).sum(0) + ((w_f[:, None] * forced) ** 2).sum(0)) / n_half
    want, want_err = phys.mean(0), phys.std(0) / np.sqrt(n_phys)
    assert np.all(np.abs(est - want) < 4 * np.hypot(err, want_err)), (est, want, err, want_err)
    assert want[3] > 0.002  # two sources above the cut: 25 standard errors of the estimate here
    assert (w_n.sum() + w_f.sum()) / n_half == pytest.approx(1.0, abs=0.02)  # the weights sum to one crossing
    # the calorimeter-like observable x: the forced half's n sum (w x)^2 below E[x Lambda^2] / d (w <= Lambda / d
    # and w x sums to n E[x P(>= 1 above)] <= n E[x Lambda]), and the whole error (the rate table's sqrt sum w^2
    # x^2) below that of n_half plain crossings, sqrt(E[x^2] / n_half)
    x_phys = phys[:, -1]
    forced_m2 = ((w_f * forced[:, -1]) ** 2).sum() / n_half
    assert forced_m2 < 1.2 * np.mean(x_phys * lam_phys**2) / src.defensive, forced_m2
    assert err[-1] < np.sqrt(np.mean(x_phys**2) / n_half), err[-1]


LIGHT = 0.5  # pions / kaons per toy crossing in the two-forced test: a few sources, one often dominates


def test_two_forced_sources_join_the_mixture_without_bias() -> None:
    """Normal, one-forced and two-forced crossings (each its own share of the stratum, combined with the
    balance-heuristic factor n_mode p / (n1 q1 + n2 q2)) give the toy's single-, double- and triple-muon
    probabilities of plain physical sampling within 4 standard errors (a pool muon may be picked twice: two
    copies); almost every two-forced crossing finds two sources, and the double-muon error is smaller than
    with the same crossings split between normal and one-forced only. Wrong pair densities fail the
    comparison (checked by hand: the copies of a pool muon counted once, the first pick not excluded from the
    second's normalisation, or the one-forced crossings blind to the two-forced proposal)."""
    src = MuonSources()
    rng = np.random.default_rng(12)
    n0, n1, n2 = 10_000, 15_000, 30_000
    mix = (float(n0), float(n1), float(n2))
    phys, _ = _physical(2_000_000, LIGHT)
    phys = phys[:, :7]  # the muon observables (the calorimeter-like one never fires with so few hadrons)
    want, want_err = phys.mean(0), phys.std(0) / np.sqrt(phys.shape[0])
    parts = [_run(src, n, mode, rng, mix, LIGHT) for n, mode in ((n0, "normal"), (n1, "forced"), (n2, "forced2"))]
    parts = [(obs[:, :7], w, lam) for obs, w, lam in parts]
    sizes = (n0, n1, n2)
    est = sum(w @ obs / n for (obs, w, _), n in zip(parts, sizes, strict=True))
    err = np.sqrt(sum(((w[:, None] * obs) ** 2).sum(0) / n**2 for (obs, w, _), n in zip(parts, sizes, strict=True)))
    assert np.all(np.abs(est - want) < 4 * np.hypot(err, want_err)), (est, want, err, want_err)
    pair_obs, pair_w, _ = parts[2]
    assert np.all(pair_obs[pair_w > 0, 5] == 1.0) and np.mean(pair_w > 0) > 0.99
    # the same 55 000 crossings as normal + one-forced only: the double-muon (> 5 GeV) estimate's error (Lambda ~ 0.35
    # in this toy, mostly the pool muon: the gain grows as 1 / Lambda, and real soft crossings have far less)
    rng2 = np.random.default_rng(13)
    only = [_run(src, n, mode, rng2, light=LIGHT) for n, mode in ((20_000, "normal"), (35_000, "forced"))]
    err_only = np.sqrt(sum(((w * obs[:, 3]) ** 2).sum() / obs.shape[0] ** 2 for obs, w, _ in only))
    assert err[3] < err_only, (err[3], err_only)


def test_crossings_without_enough_sources_weigh_nothing_when_forced() -> None:
    """No candidate: forced crossings have no muon and weight 0 (the normal part covers them). One 30 GeV pion:
    a one-forced crossing weighs its lambda (by hand: the only configuration with a source above the cut), a
    two-forced one cannot be made (weight 0, no muon): a hadron gives at most one muon."""
    src = MuonSources()
    none = np.zeros(0, np.int64)
    flat = np.zeros(0)
    mix = (1.0, 1.0, 1.0)
    for mode in ("forced", "forced2"):
        out = src.sample(3, none, none, flat, flat, flat, flat, mode, np.random.default_rng(1), mix=mix)
        assert out.event.size == 0 and np.all(out.factor == 0.0)
    one = (np.array([0]), np.array([211]), np.array([30.0]), np.zeros(1), np.zeros(1), np.ones(1))
    lam_d, lam_p = src.lambdas(one[1], one[2], one[3])
    forced = src.sample(1, *one, "forced", np.random.default_rng(2), mix=mix)
    assert forced.factor[0] == pytest.approx(lam_d[0] + lam_p[0], rel=1e-12) and forced.event.size == 1
    pair = src.sample(1, *one, "forced2", np.random.default_rng(2), mix=mix)
    assert pair.factor[0] == 0.0 and pair.event.size == 0
