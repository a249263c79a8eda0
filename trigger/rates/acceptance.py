"""What each fired event contributes after prescales: per seed, its pure and proportional shares, the OR.

Two conventions, one shape. The counter (:mod:`trigger.rates.prescale`) decides each fire: factors are
0 or 1. The expected value (ATLAS's rates-tool convention, for weighted samples) accepts a fire of seed
``j`` with probability ``a_j = 1 / p_j``, independently per seed, and counts every event by its
expected contributions:

* seed ``j``: ``a_j``; the OR: ``1 - prod_k (1 - a_k)`` over the seeds that fired;
* pure ``j`` (accepted by ``j`` alone): ``a_j prod_{k != j} (1 - a_k)``;
* proportional ``j`` (the event shared among its accepted seeds): ``E[B_j / N]`` with ``B_k`` the
  accept flags and ``N = sum B_k``, which is ``a_j * int_0^1 prod_{k != j} (1 - a_k + a_k t) dt``
  (``E[t^M]`` is that product and ``int t^M = 1 / (M + 1)``); the integrand is a polynomial of degree
  below the number of fired seeds, so Gauss-Legendre quadrature is exact. The shares sum to the OR.

With every prescale 1 or 0 the two conventions agree exactly. An event counting ``w f`` has the error
``sqrt(sum (w f)^2)``: the statistical error of the expected value, which carries the prescale
(``sum w^2 / p^2`` for one seed) and, unlike a counter's, no prescale-sampling noise in the estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Acceptance", "counter_acceptance", "expected_acceptance"]


@dataclass(frozen=True)
class Acceptance:
    """Per fired event (rows) and seed (columns): the factors its weight counts with."""

    seed: NDArray[np.float64]
    pure: NDArray[np.float64]
    share: NDArray[np.float64]
    total: NDArray[np.float64]


def counter_acceptance(accepted: NDArray[np.bool_]) -> Acceptance:
    """Factors of events whose prescaled decisions are known (the counter): 0 or 1, shares 1/N."""
    acc = accepted.astype(np.float64)
    n = acc.sum(axis=1, keepdims=True)
    pure = acc * (n == 1)
    return Acceptance(acc, pure, acc / np.maximum(n, 1.0), (n[:, 0] > 0).astype(np.float64))


def _product_without(z: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per row and column, the product of the row's other entries (entries in [0, 1], zeros exact)."""
    zero = z == 0
    n_zero = zero.sum(axis=1, keepdims=True)
    prod_rest = np.where(zero, 1.0, z).prod(axis=1, keepdims=True)
    return np.where(
        zero, np.where(n_zero == 1, prod_rest, 0.0), np.where(n_zero > 0, 0.0, prod_rest / np.where(zero, 1.0, z))
    )


def expected_acceptance(fired: NDArray[np.bool_], probability: NDArray[np.float64]) -> Acceptance:
    """Expected factors for fired flags ``(n, S)`` and per-seed acceptance probabilities ``(S,)``."""
    a = fired * probability[None, :]
    others = _product_without(1.0 - a)
    total = 1.0 - (1.0 - a).prod(axis=1)
    share = a.copy()
    k = int(fired.sum(axis=1).max(initial=0))
    rows = np.flatnonzero(fired.sum(axis=1) >= 2)
    if len(rows):
        ar = a[rows]
        nodes, weights = np.polynomial.legendre.leggauss(max(1, -(-k // 2)))
        integral = np.zeros_like(ar)
        for t, wt in zip((nodes + 1) / 2, weights / 2, strict=True):
            logs = np.log1p(ar * (t - 1.0))  # factors 1 - a + a t >= t > 0
            integral += wt * np.exp(logs.sum(axis=1, keepdims=True) - logs)
        share[rows] = ar * integral
    return Acceptance(a, a * others, share, total)
