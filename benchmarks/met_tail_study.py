"""The zero-bias MET tail under variants of the detector model, on the same generated events.

Hard QCD events per pTHat bin (Pythia, cached in ``--cache``) and soft crossings are pushed through
``build_branches`` once per variant with the same random seed, so differences between variants are not
sampling noise of the hard events. The rate above each threshold is stitched as the zero-bias sample is
(soft crossings with probability 1 - p_hard, bin k with p_hard sigma_k / sum sigma), 2760 bunches.
Variants: the ETMHF pile-up-mitigation occupancy (the thresholds re-derived from the pool at that occupancy)
and the hadron response's tail. Prints ETMHF70-120 next to CMS's 2017 table scaled to this luminosity
(trigger/samples/README.md, "Published anchors") at mu 40, 60 and 80.
Usage: ``python benchmarks/met_tail_study.py [--per-bin 2000] [--soft 20000] [--occupancy 0.004 0.005 ...]``.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
from dataclasses import fields as fields_of
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import published_anchors as anchors
from derive_met_thresholds import POOL_SIZE, derive

from trigger.samples.calo import CaloModel
from trigger.samples.events import Detector, build_branches
from trigger.samples.pileup import MinBiasPool
from trigger.samples.production import DEFAULT_PTHAT_BINS as BINS
from trigger.samples.production import default_cache_dir, ensure_pool
from trigger.samples.pythia import Generator, HardEvents

BUNCH_RATE_KHZ = anchors.OUR_BUNCHES * anchors.F_REV_HZ / 1e3
#: CMS's 2017 ETMHF rates scaled to this sample (kHz), from benchmarks/published_anchors.py
CMS_2017_SCALED = {c: anchors.CMS_2017[f"L1_ETMHF{c}"][1] * anchors.SCALE / 1e3 for c in (70, 80, 90, 100, 110, 120)}


def hard_events(cache: Path, per_bin: int) -> list[tuple[HardEvents, float]]:
    """``per_bin`` Pythia events per pTHat bin and each bin's cross section (mb), cached as plain arrays."""
    out = []
    edges = [*BINS, math.inf]
    for k, (lo, hi) in enumerate(itertools.pairwise(edges)):
        path = cache / f"met-study-hard-{per_bin}-bin{k}.npz"
        if path.exists():
            with np.load(path, allow_pickle=False) as f:
                fields = {name: f[name] for name in f.files if name not in ("n", "sigma_mb")}
                out.append((HardEvents(n=int(f["n"]), **fields), float(f["sigma_mb"])))
            continue
        cuts = ("HardQCD:all = on", f"PhaseSpace:pTHatMin = {lo}", f"PhaseSpace:pTHatMax = {hi if hi < 1e9 else -1}")
        gen = Generator(cuts, 1000 + k)
        ev = gen.generate(per_bin)
        np.savez(path, sigma_mb=gen.sigma_mb(), **{f.name: getattr(ev, f.name) for f in fields_of(ev)})
        out.append((ev, gen.sigma_mb()))
        print(f"bin {lo:.0f}-{hi:.0f}: {per_bin} events, sigma {gen.sigma_mb():.3e} mb", flush=True)
    return out


def derive_thresholds(pool: MinBiasPool, occupancy: float) -> CaloModel:
    """``CaloModel`` with the ETMHF look-up re-derived at ``occupancy`` (benchmarks/derive_met_thresholds.py)."""
    edges, rows = derive(pool, occupancy)
    return replace(CaloModel(), met_pu_edges=edges, met_thresholds=rows)


def met_rates(
    detector: Detector, pool: MinBiasPool, hard: list[tuple[HardEvents, float]], n_soft: int, mu: float, reuse: int = 1
) -> dict[int, float]:
    rng = np.random.default_rng(11)
    soft = build_branches(n_soft, None, None, pool, mu, rng, detector, BINS[0])["L1EtSum_MET"]
    sig = np.array([s for _, s in hard])
    p_k = sig / pool.sigma_mb
    p_hard = 1.0 - math.exp(-mu * p_k.sum())
    parts = [(soft, (1.0 - p_hard))]
    for (ev, _), p in zip(hard, p_k, strict=True):  # each hard event under `reuse` independent overlays
        met = np.concatenate(
            [build_branches(ev.n, ev, None, pool, mu, rng, detector, BINS[0])["L1EtSum_MET"] for _ in range(reuse)]
        )
        parts.append((met, p_hard * p / p_k.sum()))
    rates = {}
    for cut in CMS_2017_SCALED:
        rates[cut] = BUNCH_RATE_KHZ * sum(share * float(np.mean(met > cut)) for met, share in parts)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-bin", type=int, default=2000)
    parser.add_argument("--soft", type=int, default=20000)
    parser.add_argument("--occupancy", type=float, nargs="+", default=[0.004])
    parser.add_argument("--mu", type=float, nargs="+", default=[40.0, 60.0, 80.0])
    parser.add_argument("--reuse", type=int, default=1, help="overlays per hard event")
    parser.add_argument("--cache", type=Path, default=Path("/tmp"))
    args = parser.parse_args()
    pool = MinBiasPool.load(ensure_pool(default_cache_dir(), POOL_SIZE, 1))
    hard = hard_events(args.cache, args.per_bin)
    print("variant            mu  " + "  ".join(f"ETMHF{c:<4d}" for c in CMS_2017_SCALED))
    print("CMS 2017 x1.164    60  " + "  ".join(f"{v:9.2f}" for v in CMS_2017_SCALED.values()))
    for occ in args.occupancy:
        detector = Detector(calo=derive_thresholds(pool, occ))
        for mu in args.mu:
            r = met_rates(detector, pool, hard, args.soft, mu, args.reuse)
            print(f"occupancy {occ:<7.4f} {mu:4.0f}  " + "  ".join(f"{v:9.2f}" for v in r.values()), flush=True)


if __name__ == "__main__":
    main()
