"""``l1emu scan MENU SEED`` (rate vs threshold) and ``l1emu threshold MENU SEED --rate 10kHz``."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from typing import Any

import numpy as np

from trigger.cli._args import count, number
from trigger.cli._common import (
    DEFAULT_MAX_THRESHOLDS,
    Prepared,
    add_common,
    check_weights,
    dataset_for,
    parse_range,
    parse_rate,
    prepare,
    run_processor,
)
from trigger.errors import ConfigError
from trigger.menu import ScanTarget
from trigger.menu.coverage import scan_below_stored_cut
from trigger.rates.report import write_atomic
from trigger.rates.scan import Scan, ScanProcessor

__all__ = ["register"]


def _target(text: str | None, seed: Any) -> ScanTarget:
    if text is None:
        return ScanTarget.default(seed)
    kind, _, index = text.partition(":")
    limits = {"leg": len(seed.legs), "sum": len(seed.sums), "algorithm": 1 if seed.algorithm else 0}
    if kind not in limits or not (index or "0").isdigit() or int(index or 0) >= limits[kind]:
        raise ConfigError(
            f"--vary {text!r}: seed {seed.name} has {limits['leg']} legs, {limits['sum']} sums, "
            f"{limits['algorithm']} algorithm; use leg:N, sum:N or algorithm"
        )
    return ScanTarget(kind, int(index or 0))


def _scan_common(parser: argparse.ArgumentParser) -> None:
    add_common(parser)
    parser.add_argument("seed", help="seed name in the menu")
    parser.add_argument("--vary", default=None, help="threshold to vary: leg:N (default leg:0), sum:N, algorithm")


def register(sub: Any) -> None:
    scan = sub.add_parser("scan", help="rate versus threshold for one seed, in one pass")
    _scan_common(scan)
    scan.add_argument("--thresholds", default=None, help="LO:HI:STEP or a list (default 0..max step 1)")
    scan.add_argument(
        "--max-thresholds",
        type=count(1),
        default=DEFAULT_MAX_THRESHOLDS,
        help=f"refuse a scan of more thresholds than this (default {DEFAULT_MAX_THRESHOLDS})",
    )
    scan.add_argument("--no-plot", action="store_true")
    scan.set_defaults(func=_scan)
    solve = sub.add_parser("threshold", help="threshold of a seed that gives a target rate")
    _scan_common(solve)
    solve.add_argument("--rate", required=True, help="target rate, e.g. 10kHz")
    solve.add_argument(
        "--step", type=number(0.0, strict=True), default=0.5, help="threshold granularity, > 0 (default 0.5 GeV)"
    )
    solve.set_defaults(func=_threshold)


def _prepare(args: argparse.Namespace, names: tuple[str, ...]) -> tuple[Prepared, Any, ScanTarget]:
    """The checked menu, inputs and output directory, the seed and what to vary: before the event loop."""
    job = prepare(args, args.input, lambda menu: (n.format(seed=menu.seed(args.seed).name) for n in names))
    seed = job.menu.seed(args.seed)
    return job, seed, _target(args.vary, seed)


def _run(args: argparse.Namespace, job: Prepared, seed: Any, target: ScanTarget) -> Scan:
    processor = ScanProcessor(job.menu, job.inputs.schema, seed, target)
    dataset = dataset_for(args, processor, job.inputs)
    scan: Scan = run_processor(args, processor, dataset).result
    check_weights(scan.sumw, scan.n, scan.weighted, f"seed {seed.name}")
    return scan


def _warn(message: str | None) -> None:
    if message is not None:
        print(f"warning: {message}", file=sys.stderr)


def _scan(args: argparse.Namespace) -> int:
    names = ("scan_{seed}.csv",) + (() if args.no_plot else ("scan_{seed}.png", "scan_{seed}.pdf"))
    given = parse_range(args.thresholds, "--thresholds", args.max_thresholds) if args.thresholds is not None else None
    job, seed, target = _prepare(args, names)
    scan = _run(args, job, seed, target)
    thresholds = np.asarray(given) if given is not None else scan.default_thresholds(limit=args.max_thresholds)
    curve = scan.curve(thresholds)
    if target.kind == "leg" and len(thresholds):
        _warn(scan_below_stored_cut(seed, target.index, float(thresholds.min()), job.inputs.schema))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("threshold", "rate_khz", "err_down_khz", "err_up_khz", "count"))
    for t, r, lo, hi, k in curve:
        w.writerow((f"{t:g}", f"{r:.6g}", f"{lo:.6g}", f"{hi:.6g}", int(k)))
    files: dict[str, str | bytes] = {f"scan_{scan.seed}.csv": buf.getvalue()}
    if not args.no_plot:
        from trigger.plotting import plot_scan

        files.update(plot_scan(scan, curve, job.outdir / f"scan_{scan.seed}", job.menu.budget_khz))
    print(f"{'threshold':>10}  {'rate [kHz]':>12}  {'-err':>9}  {'+err':>9}  {'count':>8}")
    for t, r, lo, hi, k in curve:
        print(f"{t:>10g}  {r:>12.3f}  {lo:>9.3f}  {hi:>9.3f}  {int(k):>8}")
    paths = write_atomic(job.outdir, files)
    print(f"wrote {', '.join(str(p) for p in paths)}")
    return 0


def _threshold(args: argparse.Namespace) -> int:
    target_khz = parse_rate(args.rate)
    job, seed, target = _prepare(args, ("threshold_{seed}.json",))
    scan = _run(args, job, seed, target)
    sol = scan.solve(target_khz, args.step)
    if target.kind == "leg":
        _warn(scan_below_stored_cut(seed, target.index, sol.threshold, job.inputs.schema))
    print(
        f"{scan.seed}: threshold {sol.threshold:g} gives {sol.rate_khz:.3f} -{sol.err_down:.3f} "
        f"+{sol.err_up:.3f} kHz (target {target_khz:g} kHz; {sol.threshold - sol.step:g} would give "
        f"{sol.rate_one_step_below_khz:.3f} kHz)"
    )
    body = (
        json.dumps(
            {
                "seed": scan.seed,
                "vary": f"{scan.target.kind}:{scan.target.index}",
                "menu_threshold": scan.menu_threshold,
                **sol.__dict__,
            },
            indent=2,
        )
        + "\n"
    )
    paths = write_atomic(job.outdir, {f"threshold_{scan.seed}.json": body})
    print(f"wrote {', '.join(str(p) for p in paths)}")
    return 0
