"""Cost of the jet-tagger seeds in the event loop (issue 9 item 6): prints its figures, asserts nothing.

The default menu's cut seeds alone, then the same plus the jet-tagger seeds of
``configs/menus/l1_menu_jet_tagger.yaml`` (float and fixed: ``mode: both``), on one zero-bias file with
``L1WideJet`` branches; best of ``--repeat`` alternating runs each (target: ratio <= 2). Run with one BLAS
thread::

    l1emu generate zerobias -n 20000 -o zb.root --seed 7 --mu 60
    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/jet_tagger_loop.py zb.root [--repeat 8]
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
    parser.add_argument("input", help="zero-bias file with L1WideJet branches")
    parser.add_argument("--repeat", type=int, default=8)
    args = parser.parse_args()
    base = yaml.safe_load((REPO / "configs/menus/l1_menu_default.yaml").read_text())
    base["seeds"] = {k: v for k, v in base["seeds"].items() if "algorithm" not in v}
    tag = yaml.safe_load((REPO / "configs/menus/l1_menu_jet_tagger.yaml").read_text())
    tagged = {**base, "seeds": {**base["seeds"], **{k: v for k, v in tag["seeds"].items() if "JetTag" in k}}}
    schema = builtin_schema("l1emu")
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        menus = {"cut-only": Path(tmp) / "cut.yaml", "cut + tagger": Path(tmp) / "tag.yaml"}
        menus["cut-only"].write_text(yaml.safe_dump(base))
        menus["cut + tagger"].write_text(yaml.safe_dump(tagged))
        events = 0
        for _ in range(args.repeat):
            for name, path in menus.items():
                proc = RateProcessor(load_menu(path), schema)
                ds = open_dataset([args.input], schema, proc.needs().branches(schema))
                start = time.perf_counter()
                events = run(proc, ds).events
                best[name] = min(best.get(name, float("inf")), time.perf_counter() - start)
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, load {os.getloadavg()[0]:.2f}")
    for name, seconds in best.items():
        print(f"{name:>13}: {events / seconds:12,.0f} events/s ({seconds * 1e3:.1f} ms, {events} events)")
    print(f"ratio (target <= 2): {best['cut + tagger'] / best['cut-only']:.2f}")


if __name__ == "__main__":
    main()
