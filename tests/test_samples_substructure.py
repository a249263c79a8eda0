"""The energy-correlation ratios against a brute-force sum over pairs and triplets."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from trigger.samples.substructure import FEATURES, ecf_features


def _brute(pt: np.ndarray, y: np.ndarray, phi: np.ndarray) -> dict[str, float]:
    z = pt / pt.sum()
    n = z.size

    def th(a: int, b: int) -> float:
        dphi = abs(phi[a] - phi[b])
        return float(np.hypot(y[a] - y[b], min(dphi, 2 * np.pi - dphi)))

    pairs = list(itertools.combinations(range(n), 2))
    triples = list(itertools.combinations(range(n), 3))

    def e2(b: float) -> float:
        return sum(z[i] * z[j] * th(i, j) ** b for i, j in pairs)

    def e3(f: object, b: float) -> float:
        return sum(z[i] * z[j] * z[k] * f(sorted([th(i, j), th(i, k), th(j, k)])) ** b for i, j, k in triples)  # type: ignore[operator]

    prod3 = lambda t: t[0] * t[1] * t[2]  # noqa: E731
    low1 = lambda t: t[0]  # noqa: E731
    low2 = lambda t: t[0] * t[1]  # noqa: E731
    return {
        "j_c1_b0_mmdt": e2(0),
        "j_c1_b1_mmdt": e2(1),
        "j_c1_b2_mmdt": e2(2),
        "j_c2_b1_mmdt": e3(prod3, 1) / e2(1) ** 2,
        "j_c2_b2_mmdt": e3(prod3, 2) / e2(2) ** 2,
        "j_d2_b1_mmdt": e3(prod3, 1) / e2(1) ** 3,
        "j_d2_b2_mmdt": e3(prod3, 2) / e2(2) ** 3,
        "j_d2_a1_b1_mmdt": e3(prod3, 1) / e2(1) ** 3,
        "j_d2_a1_b2_mmdt": e3(prod3, 1) / e2(2) ** 1.5,
        "j_m2_b1_mmdt": e3(low1, 1) / e2(1),
        "j_m2_b2_mmdt": e3(low1, 2) / e2(2),
        "j_n2_b1_mmdt": e3(low2, 1) / e2(1) ** 2,
        "j_n2_b2_mmdt": e3(low2, 2) / e2(2) ** 2,
    }


@pytest.mark.parametrize("n", [3, 7, 15])
def test_ecf_ratios_match_brute_force(n: int) -> None:
    rng = np.random.default_rng(n)
    pt = rng.exponential(20.0, n) + 1.0
    y = rng.normal(0.0, 0.3, n)
    phi = np.mod(rng.normal(3.1, 0.3, n) + np.pi, 2 * np.pi) - np.pi  # straddles the phi wrap
    got = ecf_features(pt, y, phi)
    want = _brute(pt, y, phi)
    assert set(got) == set(want)
    for name, value in want.items():
        assert got[name] == pytest.approx(value, rel=1e-9), name


def test_feature_names_are_the_hls4ml_ones() -> None:
    assert len(FEATURES) == 16 and len(set(FEATURES)) == 16
    assert {"j_zlogz", "j_mass_mmdt", "j_multiplicity", "j_d2_a1_b2_mmdt"} <= set(FEATURES)
