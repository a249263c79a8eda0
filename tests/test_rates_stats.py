"""Clopper-Pearson against its closed forms at the edges; rate intervals."""

from __future__ import annotations

import numpy as np
import pytest

from trigger.rates.stats import ONE_SIGMA, clopper_pearson, rate_interval


@pytest.mark.parametrize("n", [1, 5, 10, 100, 10_000])
def test_clopper_pearson_edges_closed_form(n: int) -> None:
    half = (1 - ONE_SIGMA) / 2
    lo0, hi0 = clopper_pearson(0, n)
    assert float(lo0) == 0.0
    assert float(hi0) == pytest.approx(1 - half ** (1 / n), rel=1e-10)
    lon, hin = clopper_pearson(n, n)
    assert float(hin) == 1.0
    assert float(lon) == pytest.approx(half ** (1 / n), rel=1e-10)


def test_clopper_pearson_covers_and_tends_to_normal() -> None:
    k, n = np.array([1, 3, 50, 5000]), np.array([10, 10, 100, 10_000])
    lo, hi = clopper_pearson(k, n)
    assert np.all(lo < k / n) and np.all(k / n < hi)
    sigma = np.sqrt(0.25 / 10_000)
    assert hi[-1] - 0.5 == pytest.approx(sigma, rel=0.02)


def test_rate_interval_weighted_and_unweighted() -> None:
    r, down, up = rate_interval(4, 100, 4.0, 4.0, 100.0, False, 1000.0)
    assert r == 40.0 and 0 < down < up
    r, down, up = rate_interval(2, 3, 5.0, 13.0, 10.0, True, 1000.0)
    assert r == 500.0 and down == up == pytest.approx(1000 * np.sqrt(13.0) / 10.0)
    assert rate_interval(0, 0, 0.0, 0.0, 0.0, False, 1.0) == (0.0, 0.0, 0.0)
