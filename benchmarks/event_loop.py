"""Event-loop benchmark (issue 5 item 9): prints its figures, asserts nothing.

1. events/s of ``l1emu rates`` with a menu of 20 cut seeds over a >= 1 M-event file, against reading
   the same branches with uproot alone (same chunk size), in one run (target >= 0.5x);
2. Dask distributed with 1 and 2 local workers (target >= 1.7x);
3. peak RSS of a rates run at 1x and 10x the input (the file listed 10 times), each in a fresh process
   (target: flat).

    .venv/bin/python benchmarks/event_loop.py [--events 1000000] [--chunk-size 100000] [--skip-rss]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from trigger.executors import DaskExecutor, IterativeExecutor  # noqa: E402
from trigger.io import builtin_schema, open_dataset  # noqa: E402
from trigger.io.synthetic import write_sample  # noqa: E402
from trigger.menu import Menu, load_menu  # noqa: E402
from trigger.processor import run  # noqa: E402
from trigger.rates import RateProcessor  # noqa: E402

MENU = REPO / "configs" / "menus" / "l1_menu_default.yaml"


def cut_menu() -> Menu:
    full = load_menu(MENU)
    seeds = tuple(s for s in full.seeds if s.algorithm is None)[:20]
    assert len(seeds) == 20, len(seeds)
    return Menu(full.name + "_20cuts", seeds, source=full.source)


def read_only(path: Path, branches: set[str], chunk: int) -> tuple[int, float]:
    import uproot

    start = time.perf_counter()
    n = 0
    for arrays in uproot.iterate({str(path): "Events"}, sorted(branches), step_size=chunk, library="ak"):
        n += len(arrays)
    return n, time.perf_counter() - start


def loop(path: Path, executor: object, chunk: int, copies: int = 1) -> tuple[int, float]:
    menu = cut_menu()
    schema = builtin_schema("l1emu")
    proc = RateProcessor(menu, schema)
    ds = open_dataset([str(path)] * copies, schema, proc.needs().branches(schema))
    result = run(proc, ds, executor, chunk_size=chunk)  # type: ignore[arg-type]
    return result.events, result.seconds


RSS_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {repo!r})
sys.argv = ['x']
from benchmarks.event_loop import loop
from trigger.executors import IterativeExecutor
n, s = loop(__import__('pathlib').Path({path!r}), IterativeExecutor(), {chunk}, {copies})
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"events": n, "seconds": s, "maxrss_mib": rss}}))
"""


def rss(path: Path, chunk: int, copies: int) -> dict[str, float]:
    code = RSS_CHILD.format(repo=str(REPO), path=str(path), chunk=chunk, copies=copies)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--chunk-size", type=int, default=100_000)
    ap.add_argument("--file", type=Path, default=None, help="reuse/keep the sample here")
    ap.add_argument("--skip-rss", action="store_true")
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="best of N timings (default 3)")
    args = ap.parse_args()

    tmp = tempfile.TemporaryDirectory()
    path = args.file or Path(tmp.name) / "sample.root"
    if not path.exists():
        t = time.perf_counter()
        write_sample(path, args.events, seed=5)
        print(
            f"wrote {args.events:,} toy events to {path} ({path.stat().st_size / 2**20:.0f} MiB) "
            f"in {time.perf_counter() - t:.1f} s"
        )
    menu = cut_menu()
    schema = builtin_schema("l1emu")
    branches = RateProcessor(menu, schema).needs().branches(schema)
    print(f"menu: {len(menu.seeds)} cut seeds, {len(branches)} branches; chunk {args.chunk_size:,} events")

    loop(path, IterativeExecutor(), args.chunk_size)  # warm the page cache and imports
    # best of --repeat, read and loop interleaved, so a busy shared machine hurts both alike
    reads, loops, cpu_read, cpu_loop = [], [], [], []
    for _ in range(args.repeat):
        c0 = time.process_time()
        reads.append(read_only(path, branches, args.chunk_size))
        c1 = time.process_time()
        loops.append(loop(path, IterativeExecutor(), args.chunk_size))
        cpu_read.append(c1 - c0)
        cpu_loop.append(time.process_time() - c1)
    n, t_read = min(reads, key=lambda x: x[1])
    n2, t_loop = min(loops, key=lambda x: x[1])
    assert n == n2
    r_read, r_loop = n / t_read, n / t_loop
    cr, cl = min(cpu_read), min(cpu_loop)
    print(f"uproot read only   : {r_read:12,.0f} events/s ({t_read:.2f} s for {n:,})")
    print(
        f"rates, iterative   : {r_loop:12,.0f} events/s ({t_loop:.2f} s)  ratio {r_loop / r_read:.2f}x (target >= 0.5x)"
    )
    print(
        f"CPU time per 1 M events: read {cr * 1e6 / n:.2f} s, loop {cl * 1e6 / n:.2f} s, "
        f"ratio {cr / cl:.2f}x (less sensitive to other load on the machine)"
    )

    if not args.skip_dask:
        import os

        from trigger.executors import local_cluster

        r = {}
        for workers in (1, 2):
            with local_cluster(workers) as cluster:
                executor = DaskExecutor(scheduler=cluster.scheduler_address)
                loop(path, executor, args.chunk_size)  # warm-up: worker imports, file opened once
                # 4 passes over the file per run: the client connection and the last straggling chunk
                # are fixed costs that a 1 M-event run (10 chunks) would otherwise count against scaling
                n3, t = min(
                    (loop(path, executor, args.chunk_size, copies=4) for _ in range(args.repeat)), key=lambda x: x[1]
                )
            r[workers] = n3 / t
            label = f"rates, dask {workers} worker{'s' if workers > 1 else ' '}"
            print(f"{label}: {r[workers]:12,.0f} events/s ({t:.2f} s, warm cluster, best of {args.repeat})")
        print(
            f"dask speed-up 2 vs 1 workers: {r[2] / r[1]:.2f}x (target >= 1.7x); "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )

    if not args.skip_rss:
        one = rss(path, args.chunk_size, 1)
        ten = rss(path, args.chunk_size, 10)
        print(
            f"peak RSS  1x input ({one['events']:,.0f} events): {one['maxrss_mib']:7.0f} MiB "
            f"({one['events'] / one['seconds']:,.0f} events/s)"
        )
        print(
            f"peak RSS 10x input ({ten['events']:,.0f} events): {ten['maxrss_mib']:7.0f} MiB "
            f"({ten['events'] / ten['seconds']:,.0f} events/s)  "
            f"ratio {ten['maxrss_mib'] / one['maxrss_mib']:.2f}x (target flat)"
        )
    tmp.cleanup()


if __name__ == "__main__":
    main()
