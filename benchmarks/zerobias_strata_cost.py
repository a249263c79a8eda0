"""CPU cost per crossing of each zero-bias stratum (issue 10 item 5: the allocation needs it).

For every stratum of the default request (soft, pTHat bin k; normal / forced half) one chunk of ``N``
crossings runs through the production code (``production._run``) on this process; prints CPU seconds
(``time.process_time``, best of ``REPEAT``) per crossing, with Pythia's own share (init excluded, measured
apart) and the Pythia init per chunk. Needs the cached pool of the default request. Say the load
(``uptime``) next to any figure.

    .venv/bin/python benchmarks/zerobias_strata_cost.py [N=300] [REPEAT=2]
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from trigger.samples import production  # noqa: E402
from trigger.samples.processes import get_process  # noqa: E402
from trigger.samples.pythia import Generator  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    req = production.Request("zerobias", n=20_000, mu=60.0)
    pool = str(production.ensure_pool(req.cache_dir, req.pool_size, req.pool_seed))
    production._detector()  # built once per worker in production too
    specs: dict[str, dict] = {}
    for spec in production._plan(get_process("zerobias"), req, pool):
        name = ("soft" if spec["kind"] == "soft" else f"b{spec['label']}") + "*" * int(spec["forced"])
        specs.setdefault(name, spec)
    print(f"load: {os.getloadavg()[0]:.1f} (1 min); {n} crossings a chunk, best of {repeat}")
    print(f"{'stratum':8s} {'ms/crossing':>12s} {'Pythia ms/ev':>13s} {'init s':>7s}")
    for name, spec in specs.items():
        task = production._Task(seed=np.random.SeedSequence(7), **{**spec, "n": n})
        total = min(_cpu(production._run, task, req.cache_dir) for _ in range(repeat))
        gen_ms, init_s = 0.0, 0.0
        if spec["kind"] == "hard":
            init_s = min(_cpu(Generator, spec["settings"], 3) for _ in range(repeat))
            g = Generator(spec["settings"], 3)
            gen_ms = 1e3 * min(_cpu(g.generate, n) for _ in range(repeat)) / n
        per = 1e3 * (total - init_s) / n
        print(f"{name:8s} {per:12.2f} {gen_ms:13.2f} {init_s:7.2f}")


def _cpu(f: Callable[..., object], *args: object) -> float:
    t = time.process_time()
    f(*args)
    return time.process_time() - t


if __name__ == "__main__":
    main()
