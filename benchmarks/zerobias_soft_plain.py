"""Physical (unforced) soft crossings: the check of the muon-source forcing without the pool's hard entries
(issue 10 item 5).

Plain crossings (``--unweighted``) draw their hard interactions from the pool's few entries above the first
pTHat edge, each reused in hundreds of crossings, so they test the weighted sample's hard strata poorly. Here
``N`` crossings are Poisson(mu) pool entries with pTHat < 30 GeV (the soft stratum's crossings) with every muon
source sampled physically (weight p_soft / N, p_soft from the weighted file's provenance); the rates of the
default menu's unprescaled seeds are printed next to the soft stratum's (normal, forced and two-forced
parts) of the weighted file. Asserts nothing.

    .venv/bin/python benchmarks/zerobias_soft_plain.py WEIGHTED.root [N=100000] [SEED=11]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import zerobias_neff as zn

from trigger.menu import load_menu
from trigger.samples import production
from trigger.samples.events import SOURCE_FACTOR, build_branches
from trigger.samples.writer import read_provenance, write_root


def main() -> None:
    weighted = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 11
    prov = read_provenance(weighted)
    req = prov["request"]
    p_soft = 1.0 - prov["stitching"]["p_hard"]
    cache = production.default_cache_dir()
    pool = production._pool(str(production.ensure_pool(cache, req["pool_size"], req["pool_seed"])))
    detector = production._detector()
    rng = np.random.default_rng(seed)
    chunks = []
    for lo in range(0, n, 500):
        m = min(500, n - lo)
        b = build_branches(m, None, None, pool, req["mu"], rng, detector, req["pthat_bins"][0], "physical")
        b.pop(SOURCE_FACTOR)
        ids = {"run": np.ones(m, np.int64), "event": np.arange(lo + 1, lo + m + 1), "weight": np.full(m, p_soft / n)}
        chunks.append({**ids, **b})
    menu = load_menu(zn.MENU)
    seeds = [s for s in menu.seeds if s.prescale == 1]
    f = menu.zero_bias_khz
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "soft_plain.root"
        write_root(out, chunks, {"note": "physical soft crossings (benchmarks/zerobias_soft_plain.py)"})
        w_p, d_p = zn.decisions(out, seeds, menu)
    w_w, d_w = zn.decisions(weighted, seeds, menu)
    soft = np.char.startswith(zn.strata(prov, w_w.size).astype(str), "soft")
    print(f"{n} physical soft crossings (seed {seed}) vs the soft stratum of {weighted}; kHz +- stat., pull")
    for s in seeds:
        a, b = d_p[s.name], d_w[s.name] & soft
        ra, ea = w_p[a].sum() * f, np.sqrt((w_p[a] ** 2).sum()) * f
        rb, eb = w_w[b].sum() * f, np.sqrt((w_w[b] ** 2).sum()) * f
        pull = (rb - ra) / np.hypot(ea, eb) if ea + eb > 0 else 0.0
        phys = f"physical {ra:7.2f} +- {ea:5.2f} ({int(a.sum()):4d})"
        print(f"  {s.name:36s} {phys}  weighted {rb:7.2f} +- {eb:5.2f}  {pull:+.1f}")


if __name__ == "__main__":
    main()
