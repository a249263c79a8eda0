"""Rate and efficiency uncertainties.

Unweighted counts use the Clopper-Pearson interval (68.27 % central, exact for small counts);
weighted events use ``sqrt(sum w^2)`` of the passing events over ``sum w`` of all events (the squares
taken per cluster of crossings that share a hard interaction: :mod:`trigger.rates.clusters`).

>>> lo, hi = clopper_pearson(0, 10)
>>> float(lo), round(float(hi), 4)
(0.0, 0.1681)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["ONE_SIGMA", "clopper_pearson", "rate_interval"]

ONE_SIGMA = 0.682689492137


def clopper_pearson(
    k: ArrayLike, n: ArrayLike, cl: float = ONE_SIGMA
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Central Clopper-Pearson interval ``(lo, hi)`` on the fraction ``k / n``."""
    from scipy.stats import beta

    k_ = np.asarray(k, dtype=np.float64)
    n_ = np.asarray(n, dtype=np.float64)
    alpha = 1.0 - cl
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(k_ > 0, beta.ppf(alpha / 2, k_, n_ - k_ + 1), 0.0)
        hi = np.where(k_ < n_, beta.ppf(1 - alpha / 2, k_ + 1, n_ - k_), 1.0)
    return np.nan_to_num(lo), np.where(n_ > 0, hi, 1.0)


def rate_interval(
    count: int, n: int, sumw: float, sumw2: float, sumw_all: float, weighted: bool, scale: float
) -> tuple[float, float, float]:
    """``(rate, err_down, err_up)`` for ``count`` of ``n`` events passing, rate = scale * fraction."""
    if n == 0 or sumw_all == 0:
        return 0.0, 0.0, 0.0
    if weighted:
        rate = scale * sumw / sumw_all
        err = scale * float(np.sqrt(sumw2)) / sumw_all
        return rate, err, err
    frac = count / n
    lo, hi = clopper_pearson(count, n)
    return scale * frac, scale * (frac - float(lo)), scale * (float(hi) - frac)
