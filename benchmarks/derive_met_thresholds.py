"""Derive the ETMHF pile-up-mitigation look-up of :class:`~trigger.samples.calo.CaloModel`.

For pile-up-only crossings (Poisson(mu) pool entries with pTHat < 30 GeV, the hadron response and the
tower smearing applied) at mu = 5 ... 200: the median pile-up estimate ``n_tt`` and, per |eta| band
(< 1.5, 1.5-3, > 3), the raw tower ET that pile-up towers exceed in ``occupancy`` of the band's towers
(zeros included). ``met_thresholds`` holds these rows; ``met_pu_edges`` the midpoints between the medians.
Usage: ``python benchmarks/derive_met_thresholds.py [--occupancy 0.004] [--pool FILE]``.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np

from trigger.samples.calo import CaloModel
from trigger.samples.geometry import Deposits, eta_centres
from trigger.samples.pileup import MinBiasPool
from trigger.samples.production import default_cache_dir, ensure_pool
from trigger.samples.response import HadronResponse

MUS = (5, 10, 20, 30, 45, 60, 80, 100, 140, 200)
# the pool the shipped look-up was derived from (the 100 000-entry default gives the same within 0.05 GeV at mu >= 10)
POOL_SIZE = 30_000


def derive(
    pool: MinBiasPool, occupancy: float, crossings: int = 600, quiet: bool = True
) -> tuple[tuple[int, ...], tuple[tuple[float, float, float], ...]]:
    """``(met_pu_edges, met_thresholds)`` of :class:`CaloModel` at ``occupancy`` (seeded: the same pool gives the
    same look-up); ``quiet=False`` prints each pile-up point."""
    calo, response = CaloModel(), HadronResponse()
    rng = np.random.default_rng(3)
    band = np.digitize(np.abs(eta_centres()), np.asarray(calo.met_band_edges))
    medians, rows = [], []
    for mu in MUS:
        values: list[list[np.ndarray]] = [[], [], []]
        n_tt = []
        for _ in range(0, crossings, 50):
            _, dep, _, _ = pool.overlay(50, mu, rng, 30.0)
            visible = Deposits(dep.event, dep.cell, response.apply(dep.cell, dep.et, rng))
            raw = calo.smear(visible.dense(50), rng)
            n_tt.append(calo.pileup_estimate(raw))
            total = raw.sum(axis=1)
            for b in range(3):
                values[b].append(total[:, band == b].ravel())
        q = [float(np.quantile(np.concatenate(values[b]), 1.0 - occupancy)) for b in range(3)]
        medians.append(int(np.median(np.concatenate(n_tt))))
        rows.append((q[0], q[1], q[2]))
        if not quiet:
            print(f"mu {mu:4d}  n_tt median {medians[-1]:5d}  thresholds {q[0]:.2f} {q[1]:.2f} {q[2]:.2f}")
    edges = (0, *[(a + b) // 2 for a, b in itertools.pairwise(medians)])
    return edges, tuple(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--occupancy", type=float, default=0.004)
    parser.add_argument("--pool", type=Path, default=None)
    parser.add_argument("--crossings", type=int, default=600)
    args = parser.parse_args()
    pool = MinBiasPool.load(args.pool or ensure_pool(default_cache_dir(), POOL_SIZE, 1))
    edges, _ = derive(pool, args.occupancy, args.crossings, quiet=False)
    print("met_pu_edges", edges)


if __name__ == "__main__":
    main()
