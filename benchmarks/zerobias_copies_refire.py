"""Does a seed that hard crossings fire follow the hard event or its overlay? (zero-bias copies, issue 10 item 5)

``N`` Pythia events of one pTHat bin are simulated once as zero-bias hard crossings (Poisson(60) overlay of the
cached default pool, the production detector); the events that fired any of the seeds below are simulated ``R``
more times each (``trigger.samples.pythia.take_events``: the same hard event, a new overlay and detector draw).
Per seed: how many fired the first time and the share of their copies that fire again. A share near 0 means
the overlay and the calorimeter decide (copies of one event are nearly independent: `copies` in a sample list
pay); near 1, the hard event decides (copies add nothing). Prints CPU ms per event (Pythia) and per crossing
(overlay + detector). Asserts nothing.

    .venv/bin/python benchmarks/zerobias_copies_refire.py LO HI [N=5000] [R=30] [SEED=1]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import zerobias_neff as zn

from trigger.menu import load_menu
from trigger.menu.model import Menu, Seed
from trigger.samples import production
from trigger.samples.events import SOURCE_FACTOR, build_branches
from trigger.samples.pythia import Generator, HardEvents, take_events
from trigger.samples.writer import write_root

MENUS = {
    "l1_menu_default.yaml": (
        "L1_ETMHF100",
        "L1_SingleEG42er2p5",
        "L1_SingleLooseIsoEG40er2p1",
        "L1_DoubleEG_25_12_er2p5",
        "L1_QuadJet60er2p5",
        "L1_HTT280er",
        "L1_SingleJet120er2p5",
    ),
    "l1_menu_anchors.yaml": ("L1_ETMHF80", "L1_ETMHF90", "L1_SingleEG40", "L1_QuadJet60er3p0"),
}


def decide(
    hard: HardEvents, rng: np.random.Generator, work: Path, menus: list[tuple[Menu, list[Seed]]]
) -> tuple[dict[str, np.ndarray], float]:
    """Each seed's decision on one zero-bias draw of every event of ``hard``, and the CPU s of the draw."""
    pool = production._pool(str(production.pool_path(production.default_cache_dir(), 100_000, 1)))
    start = time.process_time()
    branches = build_branches(hard.n, hard, None, pool, 60.0, rng, production._detector(), 30.0, "normal", (1, 0, 0))
    cpu = time.process_time() - start
    branches.pop(SOURCE_FACTOR)
    n = hard.n
    event = np.arange(1, n + 1, dtype=np.int64)
    chunk = {"run": np.ones(n, np.int64), "event": event, "cluster": event, "weight": np.ones(n), **branches}
    path = work / "draw.root"
    write_root(path, [chunk], {"process": "zerobias"})
    out: dict[str, np.ndarray] = {}
    for menu, seeds in menus:
        out.update(zn.decisions(path, seeds, menu)[1])
    return out, cpu


def main() -> None:
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    lo, hi = float(args[0]), float(args[1])
    n, repeat, seed = (int(args[i]) if len(args) > i else d for i, d in ((2, 5000), (3, 30), (4, 1)))
    menus = []
    for name, wanted in MENUS.items():
        menu = load_menu(zn.REPO / "configs" / "menus" / name)
        menus.append((menu, [s for s in menu.seeds if s.name in wanted]))
    settings = ("HardQCD:all = on", f"PhaseSpace:pTHatMin = {lo}", f"PhaseSpace:pTHatMax = {hi}")
    start = time.process_time()
    hard = Generator(settings, 1000 + seed, cache_dir=production.default_cache_dir()).generate(n)
    pythia_ms = 1e3 * (time.process_time() - start) / n
    with tempfile.TemporaryDirectory() as tmp:
        first, cpu = decide(hard, np.random.default_rng(seed), Path(tmp), menus)
        fired = np.flatnonzero(np.any(np.stack(list(first.values())), axis=0))
        again = {name: np.zeros(fired.size) for name in first}
        subset = take_events(hard, fired)
        cpu_copies = 0.0
        for r in range(repeat):
            dec, c = decide(subset, np.random.default_rng([seed, r + 1]), Path(tmp), menus)
            cpu_copies += c
            for name in again:
                again[name] += dec[name]
    print(f"pTHat {lo:g}-{hi:g} GeV: {n} events, Pythia {pythia_ms:.1f} ms an event (init included), overlay +")
    per_copy = 1e3 * cpu_copies / max(1, repeat * fired.size)
    print(f"detector {1e3 * cpu / n:.1f} ms a crossing ({per_copy:.1f} for the copies)")
    print(f"{'seed':30s} {'fired':>6s} {'copies firing again':>20s}")
    for name, mask in first.items():
        m = mask[fired]
        if m.any():
            print(f"{name:30s} {int(m.sum()):6d} {float((again[name][m] / repeat).mean()):20.2f}")


if __name__ == "__main__":
    main()
