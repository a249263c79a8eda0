"""Arguments and plumbing shared by ``l1emu rates|scan|threshold|efficiency``."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from trigger.errors import ConfigError
from trigger.io import Dataset, Schema, detect_schema, load_schema, open_dataset
from trigger.menu import Menu, load_menu

__all__ = ["add_common", "dataset_for", "parse_range", "parse_rate", "run_processor", "schema_for"]


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
        help="built-in schema (l1emu, l1upgrade, l1nano, nanoaod) or a YAML file; default: detect",
    )
    parser.add_argument("--tree", default=None, help="tree name (default: the schema's)")
    parser.add_argument("--executor", default="iterative", choices=("iterative", "pool", "dask"))
    parser.add_argument("--workers", type=int, default=2, help="pool/dask workers (default 2)")
    parser.add_argument("--scheduler", default=None, help="existing Dask scheduler, tcp://host:port")
    parser.add_argument("--chunk-size", type=int, default=100_000, help="events per chunk (bounds memory)")
    parser.add_argument("--max-events", type=int, default=None)
    parser.add_argument("-o", "--outdir", default="out", help="output directory (default: out)")
    parser.add_argument(
        "--skip-bad-files", action="store_true", help="skip unreadable files (they are listed in the report)"
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar (default: when stderr is a terminal)",
    )


def parse_rate(text: str) -> float:
    """'10kHz' -> 10.0, '0.5 MHz' -> 500.0, '800Hz' -> 0.8, '12' -> 12.0 (kHz)."""
    m = re.fullmatch(r"\s*([0-9.eE+-]+)\s*(hz|khz|mhz)?\s*", text, re.IGNORECASE)
    if not m:
        raise ConfigError(f"cannot read rate {text!r}: expected e.g. 10kHz, 0.5MHz, 800Hz")
    try:
        value = float(m.group(1))
    except ValueError:
        raise ConfigError(f"cannot read rate {text!r}: expected e.g. 10kHz, 0.5MHz, 800Hz") from None
    unit = (m.group(2) or "khz").lower()
    return value * {"hz": 1e-3, "khz": 1.0, "mhz": 1e3}[unit]


def parse_range(text: str) -> list[float]:
    """'0:200:5' -> 0, 5, ..., 200 (inclusive); '10,20,30' -> [10, 20, 30]."""
    try:
        if ":" in text:
            lo, hi, step = (float(x) for x in text.split(":"))
            if step <= 0 or hi < lo:
                raise ValueError
            n = round((hi - lo) / step)
            return [lo + i * step for i in range(n + 1)]
        return [float(x) for x in text.split(",")]
    except ValueError:
        raise ConfigError(f"cannot read range {text!r}: expected LO:HI:STEP or a comma-separated list") from None


def schema_for(args: argparse.Namespace, inputs: list[str]) -> Schema:
    return load_schema(args.schema) if args.schema else detect_schema(inputs, args.tree)


def dataset_for(args: argparse.Namespace, processor: Any, schema: Schema, inputs: list[str]) -> Dataset:
    return open_dataset(
        inputs, schema, processor.needs().branches(schema), tree=args.tree, skip_bad_files=args.skip_bad_files
    )


def load(args: argparse.Namespace) -> Menu:
    if args.chunk_size < 1:
        raise ConfigError(f"--chunk-size must be >= 1, got {args.chunk_size}")
    if args.max_events is not None and args.max_events < 1:
        raise ConfigError(f"--max-events must be >= 1, got {args.max_events}")
    return load_menu(args.menu)


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
    for path, reason in result.result.skipped:
        print(f"note: skipped {path}: {reason}", file=sys.stderr)
    print(
        f"processed {result.events} events in {result.chunks} chunks, {result.seconds:.2f} s "
        f"({result.events / max(result.seconds, 1e-9):,.0f} events/s, executor {args.executor})",
        file=sys.stderr,
    )
    return result


def outdir(args: argparse.Namespace) -> Path:
    return Path(args.outdir)
