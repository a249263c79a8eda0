"""``l1emu generate``: produce a sample with Pythia 8 + the detector model into a ROOT file.

Pythia 8 and FastJet are the optional extra ``[gen]``: without them ``--list`` and ``--info`` work, and
generating exits 2 saying ``pip install 'l1emu[gen]'``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from trigger.cli._args import MAX_WORKERS, count, number

__all__ = ["register"]


def register(sub: Any) -> None:
    parser = sub.add_parser("generate", help="generate a sample (Pythia 8 + detector model) into a ROOT file")
    parser.add_argument("process", nargs="?", help="process name (see --list)")
    parser.add_argument("-n", "--events", type=count(1), default=None, help="events (default 1000)")
    parser.add_argument("-o", "--output", type=Path, help="output ROOT file")
    parser.add_argument("--seed", type=count(0), default=None, help="(default 1)")
    parser.add_argument(
        "--mu", type=number(0.0, 1000.0), default=None, help="mean pile-up (default: 60 for zerobias, else 0)"
    )
    parser.add_argument("-j", "--workers", type=count(1, MAX_WORKERS), default=min(2, os.cpu_count() or 1))
    parser.add_argument(
        "--chunk", type=count(1), default=None, help="events per chunk (one derived seed each; default 500)"
    )
    parser.add_argument(
        "--pool-size", type=count(1, 10_000_000), default=None, help="minimum-bias pool entries (default 100000)"
    )
    parser.add_argument("--pool-seed", type=count(0), default=None, help="(default 1)")
    parser.add_argument(
        "--unweighted",
        action="store_true",
        help="zerobias: plain Poisson(mu) crossings of equal weight (thresholds, anomaly training)",
    )
    parser.add_argument("--cache-dir", type=Path, default=None, help="pool and MPI cache ($L1EMU_CACHE)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--list", action="store_true", help="list the processes and exit")
    parser.add_argument(
        "--all", type=Path, metavar="YAML", help="produce every sample of a list (configs/samples.yaml)"
    )
    parser.add_argument("--outdir", type=Path, default=None, help="output directory for --all (default data/samples)")
    parser.add_argument(
        "--only", metavar="NAME[,NAME...]", default=None, help="with --all: only these samples of the list"
    )
    parser.add_argument("--info", type=Path, metavar="FILE", help="print a sample's size and provenance and exit")
    parser.set_defaults(func=_generate)


def _generate(args: argparse.Namespace) -> int:
    from trigger.errors import SampleError
    from trigger.samples.processes import get_process
    from trigger.samples.production import DEFAULT_POOL_SIZE, Request, default_cache_dir, describe, generate

    if args.info is not None:
        return _info(args.info)
    if args.list:
        for name, text in describe():
            print(f"{name:16s} {text}")
        return 0
    from trigger.extras import require_extra
    from trigger.outputs import check_outdir, probe_writable

    if args.only is not None and args.all is None:
        raise SampleError("--only picks samples of a list: give the list with --all (e.g. configs/samples.yaml)")
    if args.outdir is not None and args.all is None:
        raise SampleError("--outdir is where --all writes a list's samples; for one sample give -o FILE")
    if args.all is None:  # a typo in the process or an unwritable -o costs nothing, even without the extra
        if args.process is None or args.output is None:
            raise SampleError("give a PROCESS and -o FILE (or --list to see the processes)")
        if not get_process(args.process).zerobias and args.unweighted:
            raise SampleError(f"--unweighted applies to zerobias only; {args.process} events all weigh 1 already")
        _check_output(args.output)
    else:
        if not args.all.is_file():
            raise SampleError(f"--all {args.all}: no such sample list (e.g. configs/samples.yaml)")
        if given := _one_sample_options(args):
            raise SampleError(
                f"--all: the list sets each sample's process, events, seeds, pile-up and chunk; {', '.join(given)}"
                " would be ignored: put them in the list, or generate one sample with PROCESS -o FILE"
                + (" (the list's samples go to --outdir DIR)" if args.output is not None else "")
            )
        args.outdir = args.outdir or Path("data/samples")
        check_outdir(args.outdir)
    if args.cache_dir is not None:
        probe_writable(args.cache_dir, "cache directory")
    require_extra("gen", "l1emu generate")  # Pythia 8 and FastJet are the optional extra [gen]
    cache = args.cache_dir or default_cache_dir()
    progress = not args.quiet and sys.stderr.isatty()
    if args.all is not None:
        from trigger.samples.defaults import produce_all

        start = time.perf_counter()
        only = None if args.only is None else [n.strip() for n in args.only.split(",")]
        for name, path, made in produce_all(args.all, args.outdir, cache, max(1, args.workers), progress, only):
            print(f"{name:16s} {path}  ({'generated' if made else 'up to date'})")
        print(f"samples ready in {time.perf_counter() - start:.1f} s")
        return 0
    process = get_process(args.process)
    mu = args.mu if args.mu is not None else (60.0 if process.zerobias else 0.0)
    events = args.events or 1000
    req = Request(
        process=args.process,
        n=events,
        seed=1 if args.seed is None else args.seed,
        mu=mu,
        workers=max(1, args.workers),
        chunk=args.chunk or 500,
        cache_dir=cache,
        pool_size=args.pool_size or DEFAULT_POOL_SIZE,
        pool_seed=1 if args.pool_seed is None else args.pool_seed,
        weighted=not args.unweighted,
    )
    start = time.perf_counter()
    generate(req, args.output, progress=progress)
    dt = time.perf_counter() - start
    rate = events / dt
    what = f"{events} {args.process} events (mu {mu:g})"
    print(f"wrote {what} to {args.output} in {dt:.1f} s ({rate:.0f} ev/s)")
    return 0


def _one_sample_options(args: argparse.Namespace) -> list[str]:
    """The one-sample options given beside ``--all`` (a list decides them per sample: they would be ignored)."""
    flags = {
        "PROCESS": args.process,
        "-o": args.output,
        "-n": args.events,
        "--seed": args.seed,
        "--mu": args.mu,
        "--chunk": args.chunk,
        "--pool-size": args.pool_size,
        "--pool-seed": args.pool_seed,
        "--unweighted": args.unweighted or None,
    }
    return [flag for flag, value in flags.items() if value is not None]


def _check_output(path: Path) -> None:
    from trigger.errors import OutputError
    from trigger.outputs import probe_writable

    if str(path).strip() in ("", "."):
        raise OutputError("-o: give the output ROOT file, e.g. -o data/samples/ttbar.root")
    if path.is_dir():
        raise OutputError(f"-o {path} is a directory; give the output ROOT file, e.g. -o {path}/sample.root")
    probe_writable(path, "output file", beside=True)


def _info(path: Path) -> int:
    import json

    import uproot

    from trigger.cli._inputs import file_problem
    from trigger.errors import SampleError
    from trigger.samples.writer import read_provenance

    problem = file_problem(str(path))
    if problem is not None:
        raise SampleError(f"--info: {problem}")
    try:
        with uproot.open(path) as f:
            entries = f["Events"].num_entries
            branches = len(f["Events"].keys())
        prov = read_provenance(path)
    except Exception as exc:  # uproot raises many kinds for a file that is not a sample
        raise SampleError(f"{path} is not an l1emu sample (Events tree + provenance): {exc}") from exc
    print(f"{path}: {entries} events, {branches} branches")
    print(json.dumps(prov, indent=2, sort_keys=True))
    return 0
