"""Classic-pT resolution of the muon-system model by region: a muon gun straight into `MuonSystem`.

Prints, per |eta| and true pT, the median of classic pT / true pT and its 68 % half-width
((p84 - p16) / 2) over the triggered muons, the fraction measured above twice the truth (the tail
that makes single-muon rate), and the single-quality efficiency. Issue 10 item 4 asks the endcap
(|eta| > 1.2) to be no better than the barrel. ``--tails``: also the fraction of single-quality muons
of a fixed pT measured at >= 22 GeV per region (40 000 a point; what makes L1_SingleMu22's rate).
Usage: python benchmarks/muon_resolution.py [N] [--tails]
"""

from __future__ import annotations

import sys
import time

import numpy as np

from trigger.samples.muons import MuonSystem

ETAS = (0.3, 0.7, 1.0, 1.3, 1.5, 1.8, 2.0, 2.2)
PTS = (5.0, 10.0, 15.0, 30.0, 60.0)
# the track finders' regions (|eta|): BMTF, OMTF, EMTF
REGIONS = {"barrel": (0.0, 0.83), "overlap": (0.83, 1.24), "endcap": (1.24, 2.4)}
TAIL_REGIONS = {"barrel": (0.0, 0.83), "overlap": (0.83, 1.24), "endcap": (1.24, 2.1), "forward": (2.1, 2.4)}
TAIL_PTS = (4.5, 6.0, 8.0, 11.0, 15.0)


def shoot(
    system: MuonSystem, pt: float, eta: float | tuple[float, float], n: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A gun of ``n`` muons of true ``pt`` at +-eta (or |eta| uniform in a range): classic pT, which became
    L1 muons, and which of those are single quality (>= 12)."""
    rng = np.random.default_rng(seed)
    q = rng.choice(np.array([-1.0, 1.0]), n)
    size = rng.uniform(*eta, n) if isinstance(eta, tuple) else np.full(n, eta)
    e = size * rng.choice(np.array([-1.0, 1.0]), n)
    hits = system.stations(np.full(n, pt), e, rng.uniform(-3, 3, n), q, rng)
    keep = system.triggered(e, hits, rng)
    l1pt, _ = system.classic_pt(hits)
    return l1pt, keep, keep & (system.quality(hits) >= 12)


def gun(system: MuonSystem, pt: float, eta: float | tuple[float, float], n: int, seed: int) -> tuple[np.ndarray, float]:
    """classic pT / true pT of the triggered muons and the single-quality efficiency (:func:`shoot`)."""
    l1pt, keep, single = shoot(system, pt, eta, n, seed)
    return l1pt[keep] / pt, float(np.mean(single))


def above_22(system: MuonSystem, pt: float, span: tuple[float, float], n: int, seed: int) -> float:
    """Fraction of muons of true ``pt`` (|eta| uniform in ``span``) that become single-quality L1
    muons with classic pT >= 22 GeV."""
    l1pt, _, single = shoot(system, pt, span, n, seed)
    return float(np.mean(single & (l1pt >= 22)))


def w68(ratio: np.ndarray) -> float:
    """68 % half-width, (p84 - p16) / 2."""
    return float(np.subtract(*np.percentile(ratio, [84, 16])) / 2)


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--tails"]
    n = int(args[0]) if args else 3000
    t0 = time.perf_counter()
    system = MuonSystem()
    print(f"MuonSystem() built in {time.perf_counter() - t0:.2f} s; {n} muons per point")
    print("|eta| " + "".join(f"| {pt:>4.0f} GeV: med, w68, >2x, eff " for pt in PTS))
    for k, eta in enumerate(ETAS):
        cells = []
        for j, pt in enumerate(PTS):
            ratio, eff = gun(system, pt, eta, n, seed=100 * k + j)
            cells.append(f"| {np.median(ratio):.2f}, {w68(ratio):.2f}, {np.mean(ratio > 2):.3f}, {eff:.2f} ")
        print(f"{eta:>5.1f} " + "".join(cells))
    print("region, |eta| uniform " + "".join(f"| {pt:>4.0f} GeV: w68, >2x " for pt in PTS))
    for k, (name, span) in enumerate(REGIONS.items()):
        cells = []
        for j, pt in enumerate(PTS):
            ratio, _ = gun(system, pt, span, 2 * n, seed=10_000 + 100 * k + j)
            cells.append(f"| {w68(ratio):.2f}, {np.mean(ratio > 2):.3f} ")
        print(f"{name:>7} {span[0]:.2f}-{span[1]:.2f} " + "".join(cells))

    if "--tails" in sys.argv:
        print("fraction measured >= 22 GeV, 40 000 muons a point: " + " | ".join(f"{pt:g} GeV" for pt in TAIL_PTS))
        for k, (name, span) in enumerate(TAIL_REGIONS.items()):
            cells = [f"{above_22(system, pt, span, 40_000, 20_000 + 100 * k + j):.1e}" for j, pt in enumerate(TAIL_PTS)]
            print(f"{name:>7} {span[0]:.2f}-{span[1]:.2f} | " + " | ".join(cells))


if __name__ == "__main__":
    main()
