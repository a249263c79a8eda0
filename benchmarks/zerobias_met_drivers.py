"""What makes MET in pile-up-only crossings (issue 10 item 5: can the soft stratum be enriched for L1_ETMHF100?).

``N`` physical soft crossings (Poisson(mu) pool entries with pTHat < 30 GeV, every muon source sampled
physically: the soft stratum's crossings, as ``zerobias_soft_plain.py`` makes them) run through the production
detector model; per crossing the L1 MET is kept beside what a stratification could use before the detector
draws: the hardest overlaid entry's pTHat, the number of interactions, and the truth-level MET of the
deposits (before response and smearing, with the same pile-up-dependent tower thresholds). Prints, for MET
above 60 / 80 / 100 GeV, how much more often crossings with a hard entry or many interactions fire, and how
many firing crossings a cut on the truth-level MET keeps; then the same crossings' MET with the tower smearing
off and with every hadron at its median response (ablations of the model, not physics: which random draws make
the tail). Asserts nothing.

    .venv/bin/python benchmarks/zerobias_met_drivers.py [N=20000] [SEED=3]
"""

from __future__ import annotations

import sys
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trigger.samples import production
from trigger.samples.calo import CaloModel
from trigger.samples.events import Detector, build_branches
from trigger.samples.geometry import phi_centres
from trigger.samples.pileup import MinBiasPool
from trigger.samples.response import HadronResponse

MU, MAX_PTHAT, POOL_SIZE, POOL_SEED, CHUNK = 60.0, 30.0, 100_000, 1, 500
CUTS = (60.0, 80.0, 100.0)


class RecordingPool:
    """The pool with its overlay recorded: per crossing the hardest entry's pTHat, the count, the truth MET."""

    def __init__(self, pool: MinBiasPool, calo: CaloModel) -> None:
        self.pool, self.calo = pool, calo
        self.rows: list[np.ndarray] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pool, name)

    def overlay(self, n: int, mu: float, rng: np.random.Generator, max_pthat: float | None = None) -> Any:
        state = rng.bit_generator.state
        n_pu, deposits, muons, hadrons = self.pool.overlay(n, mu, rng, max_pthat)
        rng.bit_generator.state = state  # the same draws again, to know which entries were overlaid
        rng.poisson(mu, size=n)
        allowed = np.arange(self.pool.size) if max_pthat is None else np.nonzero(self.pool.pthat < max_pthat)[0]
        entries = allowed[rng.integers(0, allowed.size, size=int(n_pu.sum()))]
        hardest = np.zeros(n)
        np.maximum.at(hardest, np.repeat(np.arange(n), n_pu), self.pool.pthat[entries])
        truth = deposits.dense(n)
        total = truth.sum(axis=1)
        keep = total > self.calo.met_threshold(self.calo.pileup_estimate(truth))[:, :, None]
        et_phi = np.where(keep, total, 0.0).sum(axis=1)
        phi = phi_centres()
        truth_met = np.hypot((et_phi * np.cos(phi)).sum(axis=1), (et_phi * np.sin(phi)).sum(axis=1))
        self.rows.append(np.c_[hardest, n_pu, truth_met])
        return n_pu, deposits, muons, hadrons


class NoSmearing(CaloModel):
    def smear(self, truth: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = truth.copy()
        out[out < self.tower_threshold] = 0.0
        return out


class _Median:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def random(self, size: int, dtype: Any = None) -> np.ndarray:
        return np.full(size, 0.5, dtype=dtype)


class MedianResponse(HadronResponse):
    def apply(self, cell: np.ndarray, et: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return super().apply(cell, et, _Median(rng))  # type: ignore[arg-type]


def _ratio(fired: np.ndarray, group: np.ndarray) -> str:
    """P(fire | in group) / P(fire | not), with the firings on each side."""
    a, b = int(fired[group].sum()), int(fired[~group].sum())
    if b == 0:
        return f"fired {a} in, 0 outside"
    return f"P(fire) x {fired[group].mean() / fired[~group].mean():.2f} ({a} in, {b} outside)"


def _as(cls: type, obj: Any) -> Any:
    """``obj``'s settings in the variant class ``cls`` (a subclass of its dataclass)."""
    return cls(**{f.name: getattr(obj, f.name) for f in fields(obj) if f.init})


def soft_met(n: int, seed: int, pool: Any, detector: Detector) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = []
    for lo in range(0, n, CHUNK):
        b = build_branches(min(CHUNK, n - lo), None, None, pool, MU, rng, detector, MAX_PTHAT, "physical")
        out.append(np.asarray(b["L1EtSum_MET"], np.float64))
    return np.concatenate(out)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    pool = production._pool(str(production.ensure_pool(production.default_cache_dir(), POOL_SIZE, POOL_SEED)))
    assert pool is not None
    detector = production._detector()
    recording = RecordingPool(pool, detector.calo)
    met = soft_met(n, seed, recording, detector)
    hardest, n_pu, truth_met = np.concatenate(recording.rows).T
    print(f"{n} physical soft crossings (mu {MU:g}, pool {POOL_SIZE}, seed {seed}); P(MET > cut) and firings")
    for cut in CUTS:
        f = met > cut
        print(f"MET > {cut:g}: {f.sum()} fired ({f.mean():.2e})")
        for edge in (15.0, 20.0):
            hot = hardest >= edge
            print(f"  an entry with pTHat >= {edge:g} in {hot.mean():.2f} of the crossings: {_ratio(f, hot)}")
        many = n_pu > MU + np.sqrt(MU)
        print(f"  > mu + sqrt(mu) interactions in {many.mean():.2f} of the crossings: {_ratio(f, many)}")
        for q in (0.8, 0.9, 0.95):
            x = np.quantile(truth_met, q)
            kept = (truth_met[f] > x).mean() if f.any() else 0.0
            print(f"  truth MET above its {q:.0%} quantile ({x:.1f} GeV) holds {kept:.2f} of the firing crossings")
    for name, det in (
        ("no tower smearing", replace(detector, calo=_as(NoSmearing, detector.calo))),
        ("median hadron response", replace(detector, response=_as(MedianResponse, detector.response))),
    ):
        m = soft_met(n, seed, pool, det)
        print(
            f"{name}: "
            + ", ".join(f"MET > {c:g}: {int((m > c).sum())}" for c in CUTS)
            + " (model: "
            + ", ".join(str(int((met > c).sum())) for c in CUTS)
            + ")"
        )


if __name__ == "__main__":
    main()
