"""Sample-production throughput on one core: events/s per process, and zero-bias mixing.

Per process: the full ``generate()`` path (Pythia init + generation + detector model + ROOT
write) without pile-up (zero-bias: at mu = 60, half of it hard QCD in 7 pTHat bins), one worker.
Mixing: tower-level overlay of Poisson(mu) pool entries plus the whole L1 model (smearing, jets,
sums, e/gamma, muons) per crossing, at mu = 60 and 200, once the pool exists.
Usage: ``python benchmarks/generation.py [N] [--cache DIR]`` (N events per process).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from trigger.samples.events import Detector, build_branches
from trigger.samples.pileup import MinBiasPool
from trigger.samples.production import Request, ensure_pool, generate

PROCESSES = ("muon-gun", "wmunu", "zmumu", "np-haa4mu", "boosted-w", "boosted-t", "minbias", "zerobias")


def mixing_rate(pool: MinBiasPool, mu: float, seconds: float = 4.0, batch: int = 100) -> tuple[float, float]:
    """Crossings per wall-clock second and per CPU second of this process."""
    rng = np.random.default_rng(1)
    detector = Detector()
    build_branches(batch, None, None, pool, mu, rng, detector, 30.0)  # warm-up
    n = 0
    wall, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - wall < seconds:
        build_branches(batch, None, None, pool, mu, rng, detector, 30.0)
        n += batch
    return n / (time.perf_counter() - wall), n / (time.process_time() - cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("n", type=int, nargs="?", default=300)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "l1emu")
    parser.add_argument("--pool-size", type=int, default=2000)
    args = parser.parse_args()

    start = time.perf_counter()
    pool_file = ensure_pool(args.cache, args.pool_size, 1)
    ready = time.perf_counter() - start
    print(f"min-bias pool: {args.pool_size} entries ready in {ready:.1f} s ({pool_file.name})")
    pool = MinBiasPool.load(pool_file)
    print(f"{'mixing':24s} {'mu':>5s} {'crossings/s (wall)':>20s} {'crossings/s (CPU)':>18s}")
    for mu in (60.0, 200.0):
        wall, cpu = mixing_rate(pool, mu)
        print(f"{'zero-bias overlay + L1':24s} {mu:5.0f} {wall:20.0f} {cpu:18.0f}")

    print(f"\n{'process':24s} {'events':>7s} {'events/s (wall)':>16s} {'events/s (CPU)':>15s}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in PROCESSES:
            mu = 60.0 if name == "zerobias" else 0.0  # zero-bias: half soft crossings, half hard QCD
            req = Request(
                name,
                args.n,
                seed=1,
                mu=mu,
                workers=1,
                chunk=500,
                cache_dir=args.cache,
                pool_size=args.pool_size,
            )
            wall, cpu = time.perf_counter(), time.process_time()
            generate(req, Path(tmp) / f"{name}.root", progress=False)
            dt, dc = time.perf_counter() - wall, time.process_time() - cpu
            print(f"{name:24s} {args.n:7d} {args.n / dt:16.0f} {args.n / dc:15.0f}")


if __name__ == "__main__":
    main()
