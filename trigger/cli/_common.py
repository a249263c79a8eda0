"""Arguments and plumbing shared by ``l1emu rates|scan|threshold|efficiency``.

Every command runs :func:`prepare` first: the menu, the output directory and the input files are
checked before the event loop, so a mistake costs nothing and writes nothing. After the loop,
:func:`run_processor` refuses a result over zero events and :func:`check_weights` a weight sum a
rate cannot be normalised by.
"""

from __future__ import annotations

import argparse
import itertools
import math
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from trigger.cli._args import MAX_WORKERS, count
from trigger.cli._inputs import Inputs, check_inputs
from trigger.errors import ConfigError, EmptyInputError, WeightError
from trigger.io import Dataset, Schema, open_dataset
from trigger.io.schema import COORDINATES
from trigger.menu import Menu, load_menu
from trigger.menu.coverage import below_stored_cuts
from trigger.outputs import check_outdir

__all__ = [
    "DEFAULT_MAX_THRESHOLDS",
    "Prepared",
    "add_common",
    "check_weights",
    "dataset_for",
    "parse_range",
    "parse_rate",
    "prepare",
    "run_processor",
]

#: more thresholds than this in one scan is a typo in STEP (each costs a pass over the sorted values)
DEFAULT_MAX_THRESHOLDS = 100_000
_SCHEDULER = re.compile(r"(tcp|tls|inproc|ws|wss|ucx)://[^\s/:]+(:\d{1,5})?/?")


def _scheduler(text: str) -> str:
    if not _SCHEDULER.fullmatch(text):
        raise argparse.ArgumentTypeError(f"expected a Dask scheduler address like tcp://host:8786, got {text!r}")
    return text


def add_common(parser: argparse.ArgumentParser, input_required: bool = True) -> None:
    parser.add_argument("menu", help="menu YAML, e.g. configs/menus/l1_menu_default.yaml")
    parser.add_argument(
        "--input",
        "-i",
        nargs="+",
        required=input_required,
        metavar="FILE",
        help="ROOT files or glob patterns (quote globs)",
    )
    parser.add_argument(
        "--schema",
        default=None,
        help="built-in schema (l1emu, l1upgrade, l1nano, l1nano_full, nanoaod) or a YAML file; default: detect",
    )
    parser.add_argument("--tree", default=None, help="tree name (default: the schema's)")
    parser.add_argument(
        "--muon-coordinates",
        choices=COORDINATES,
        default="vertex",
        help="eta/phi of muons extrapolated to the vertex, where uGT cuts them (default; L1Nano etaAtVtx, "
        "L1Ntuple muonEtaAtVtx), or at the muon station; schemas without vertex coordinates read eta/phi as stored",
    )
    parser.add_argument("--executor", default="iterative", choices=("iterative", "pool", "dask"))
    parser.add_argument(
        "--workers", type=count(1, MAX_WORKERS), default=2, help=f"pool/dask workers, 1..{MAX_WORKERS} (default 2)"
    )
    parser.add_argument("--scheduler", type=_scheduler, default=None, help="existing Dask scheduler, tcp://host:port")
    parser.add_argument(
        "--chunk-size", type=count(1), default=100_000, help="events per chunk, >= 1 (bounds memory; default 100000)"
    )
    parser.add_argument("--max-events", type=count(1), default=None, help="process at most N events (N >= 1)")
    parser.add_argument("-o", "--outdir", default="out", help="output directory (default: out)")
    parser.add_argument(
        "--skip-bad-files", action="store_true", help="skip unreadable files (they are listed in the report)"
    )
    parser.add_argument(
        "--allow-duplicates",
        action="store_true",
        help="accept the same file twice (same path or same content); by default refused, its events would count twice",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar (default: when stderr is a terminal)",
    )


_RATE = "expected a positive rate, e.g. 10kHz, 0.5MHz, 800Hz"


def parse_rate(text: str) -> float:
    """'10kHz' -> 10.0, '0.5 MHz' -> 500.0, '800Hz' -> 0.8, '12' -> 12.0 (kHz); finite and > 0."""
    m = re.fullmatch(r"\s*([0-9.eE+-]+)\s*(hz|khz|mhz)?\s*", text, re.IGNORECASE)
    if not m:
        raise ConfigError(f"cannot read rate {text!r}: {_RATE}")
    try:
        value = float(m.group(1))
    except ValueError:
        raise ConfigError(f"cannot read rate {text!r}: {_RATE}") from None
    unit = (m.group(2) or "khz").lower()
    khz = value * {"hz": 1e-3, "khz": 1.0, "mhz": 1e3}[unit]
    if not math.isfinite(khz) or khz <= 0:
        raise ConfigError(f"rate {text!r}: {_RATE} (finite, > 0)")
    return khz


def parse_range(text: str, what: str = "range", limit: int = DEFAULT_MAX_THRESHOLDS) -> list[float]:
    """'0:200:5' -> 0, 5, ..., 200 (inclusive); '10,20,30' -> [10, 20, 30]: finite, increasing, at most ``limit``."""
    usage = f"{what} {text!r}: expected LO:HI:STEP (finite, LO <= HI, STEP > 0) or an increasing comma-separated list"
    try:
        if ":" in text:
            lo, hi, step = (float(x) for x in text.split(":"))
            if not all(math.isfinite(x) for x in (lo, hi, step)) or step <= 0 or hi < lo:
                raise ValueError
            n = math.floor((hi - lo) / step + 1e-9) + 1
            values = None
        else:
            values = [float(x) for x in text.split(",")]
            n = len(values)
    except ValueError:
        raise ConfigError(usage) from None
    if n > limit:
        raise ConfigError(
            f"{what} {text!r} gives {n:,} values, more than the limit {limit:,}: use a larger STEP "
            "(or raise --max-thresholds)"
        )
    if values is None:
        return [lo + i * step for i in range(n)]
    if not all(math.isfinite(v) for v in values) or any(b <= a for a, b in itertools.pairwise(values)):
        raise ConfigError(usage)
    return values


@dataclass(frozen=True)
class Prepared:
    menu: Menu
    inputs: Inputs
    outdir: Path
    #: for the report: the coordinates read and the warnings printed (seeds below the file's stored cuts)
    notes: tuple[str, ...] = ()


def _schema_notes(menu: Menu, schema: Schema) -> tuple[str, ...]:
    notes = [
        f"{c.name}: eta/phi at the {c.coordinates} ({c.branch('eta')}, {c.branch('phi')})"
        for c in schema.collections.values()
        if c.coordinates != "as stored"
    ]
    warnings = below_stored_cuts(menu, schema)
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    return (*notes, *warnings)


def prepare(args: argparse.Namespace, specs: Sequence[str], names: Callable[[Menu], Iterable[str]]) -> Prepared:
    """The menu, the output directory (``names(menu)`` are the report files) and the inputs, all checked up front."""
    menu = load_menu(args.menu)
    if "budget_khz" in dict(menu.meta).get("defaulted", ()):
        print(f"note: {menu.source} sets no budget_khz: using the default {menu.budget_khz:g} kHz", file=sys.stderr)
    out = check_outdir(args.outdir, names(menu))
    inputs = check_inputs(
        specs,
        schema=args.schema,
        tree=args.tree,
        skip_bad_files=args.skip_bad_files,
        allow_duplicates=args.allow_duplicates,
    )
    inputs = replace(inputs, schema=inputs.schema.with_coordinates(args.muon_coordinates))
    return Prepared(menu, inputs, out, _schema_notes(menu, inputs.schema))


def dataset_for(args: argparse.Namespace, processor: Any, inputs: Inputs) -> Dataset:
    dataset = open_dataset(
        inputs.files,
        inputs.schema,
        processor.needs().branches(inputs.schema),
        tree=args.tree,
        skip_bad_files=args.skip_bad_files,
    )
    return replace(dataset, skipped=inputs.skipped + dataset.skipped)


def run_processor(args: argparse.Namespace, processor: Any, dataset: Dataset) -> Any:
    from trigger.executors import make_executor
    from trigger.processor import run

    progress = sys.stderr.isatty() if args.progress is None else args.progress
    executor = make_executor(args.executor, args.workers, args.scheduler)
    result = run(
        processor,
        dataset,
        executor,
        chunk_size=args.chunk_size,
        max_events=args.max_events,
        progress=progress,
        skip_bad_files=args.skip_bad_files,
    )
    skipped = result.result.skipped
    for path, reason in skipped:
        print(f"note: skipped {path}: {reason}", file=sys.stderr)
    bad_chunks = len(skipped) - len(dataset.skipped)
    if result.events == 0:
        first = skipped[0][1] if skipped else "no events"
        raise EmptyInputError(
            f"all {result.chunks} chunks were unreadable (--skip-bad-files skipped every one): nothing was processed "
            f"and no table is written; first reason: {first}"
        )
    print(
        f"processed {result.events} events in {result.chunks - bad_chunks} chunks"
        + (f" ({bad_chunks} unreadable chunks skipped)" if bad_chunks else "")
        + f", {result.seconds:.2f} s ({result.events / max(result.seconds, 1e-9):,.0f} events/s, "
        f"executor {args.executor})",
        file=sys.stderr,
    )
    return result


def check_weights(sumw: float, events: int, weighted: bool, where: str) -> None:
    """Refuse a rate normalised by a sum of weights that is not finite and positive.

    Negative weights are fine (NLO samples have them), but a rate is ``zero-bias x passing / total``:
    with a total <= 0 or NaN the rates, their errors and the headroom are meaningless.
    """
    if weighted and not (math.isfinite(sumw) and sumw > 0):
        raise WeightError(
            f"{where}: the sum of event weights over {events} events is {sumw:g}; a rate needs a finite, positive "
            "total (negative weights are allowed, but not a negative, zero or NaN sum): check the weight branch "
            "of the schema (non-finite weights count as 0) or the sample"
        )
