"""Cost of the anomaly seeds in the event loop (issue 13 item 6): prints its figures, asserts nothing.

The default menu's cut seeds alone, then the same plus the anomaly seeds of
``configs/menus/l1_menu_anomaly.yaml`` (the VAE's L1_AD_* and the autoencoder's L1_AE_Nominal, float and
fixed: ``mode: both``), on one zero-bias file; best of ``--repeat`` timed runs each (target: ratio <= 2), wall
clock and CPU time. The menus alternate to share the host's drift, but each timed run follows an untimed run
of the same menu: right after the other menu's run, a run also pays for the other's memory pattern (the heap
trimmed by one and grown again by the other: thousands of page faults moved from the anomaly menu's runs to
the cut-only ones, which made the ratio look ~0.3-0.7 better than either loop's steady state). Run with one
BLAS thread::

    make anomaly-samples    # or any zero-bias file
    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/anomaly_loop.py data/samples/anomaly/holdout-00.root
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from trigger.io import builtin_schema, open_dataset  # noqa: E402
from trigger.menu import load_menu  # noqa: E402
from trigger.processor import run  # noqa: E402
from trigger.rates import RateProcessor  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", help="zero-bias file")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    base = yaml.safe_load((REPO / "configs/menus/l1_menu_default.yaml").read_text())
    base["seeds"] = {k: v for k, v in base["seeds"].items() if "algorithm" not in v}
    ad = yaml.safe_load((REPO / "configs/menus/l1_menu_anomaly.yaml").read_text())
    anomaly = {k: v for k, v in ad["seeds"].items() if "algorithm" in v and v["algorithm"]["name"] == "anomaly"}
    with_ad = {**base, "seeds": {**base["seeds"], **anomaly}}
    schema = builtin_schema("l1emu")
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        menus = {"cut-only": Path(tmp) / "cut.yaml", "cut + anomaly": Path(tmp) / "ad.yaml"}
        menus["cut-only"].write_text(yaml.safe_dump(base))
        menus["cut + anomaly"].write_text(yaml.safe_dump(with_ad))
        events = 0
        cpu: dict[str, float] = {}
        for _ in range(args.repeat):
            for name, path in menus.items():
                for timed in (False, True):  # the untimed run leaves this menu's steady state behind
                    proc = RateProcessor(load_menu(path), schema)
                    ds = open_dataset([args.input], schema, proc.needs().branches(schema))
                    start, start_cpu = time.perf_counter(), time.process_time()
                    events = run(proc, ds).events
                    if timed:
                        best[name] = min(best.get(name, float("inf")), time.perf_counter() - start)
                        cpu[name] = min(cpu.get(name, float("inf")), time.process_time() - start_cpu)
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, load {os.getloadavg()[0]:.2f}")
    print(f"anomaly seeds: {', '.join(anomaly)} (VAE and autoencoder, float and fixed)")
    for name, seconds in best.items():
        print(
            f"{name:>14}: {events / seconds:12,.0f} events/s ({seconds * 1e3:.1f} ms, CPU {cpu[name] * 1e3:.1f} ms,"
            f" {events} events)"
        )
    print(f"ratio (target <= 2): {best['cut + anomaly'] / best['cut-only']:.2f}", end="")
    print(f" (CPU time: {cpu['cut + anomaly'] / cpu['cut-only']:.2f})")


if __name__ == "__main__":
    main()
