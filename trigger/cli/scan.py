"""``l1emu scan MENU SEED`` (rate vs threshold) and ``l1emu threshold MENU SEED --rate 10kHz``."""

from __future__ import annotations

import argparse
import csv
import io
import json
from typing import Any

import numpy as np

from trigger.cli._common import (
    add_common,
    dataset_for,
    load,
    outdir,
    parse_range,
    parse_rate,
    run_processor,
    schema_for,
)
from trigger.errors import ConfigError
from trigger.io import expand_inputs
from trigger.menu import ScanTarget
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
    scan.add_argument("--no-plot", action="store_true")
    scan.set_defaults(func=_scan)
    solve = sub.add_parser("threshold", help="threshold of a seed that gives a target rate")
    _scan_common(solve)
    solve.add_argument("--rate", required=True, help="target rate, e.g. 10kHz")
    solve.add_argument("--step", type=float, default=0.5, help="threshold granularity (default 0.5 GeV)")
    solve.set_defaults(func=_threshold)


def _do_scan(args: argparse.Namespace) -> Scan:
    menu = load(args)
    seed = menu.seed(args.seed)
    inputs = expand_inputs(args.input)
    schema = schema_for(args, inputs)
    processor = ScanProcessor(menu, schema, seed, _target(args.vary, seed))
    dataset = dataset_for(args, processor, schema, inputs)
    scan: Scan = run_processor(args, processor, dataset).result
    return scan


def _scan(args: argparse.Namespace) -> int:
    scan = _do_scan(args)
    thresholds = np.asarray(parse_range(args.thresholds)) if args.thresholds else scan.default_thresholds()
    curve = scan.curve(thresholds)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("threshold", "rate_khz", "err_down_khz", "err_up_khz", "count"))
    for t, r, lo, hi, k in curve:
        w.writerow((f"{t:g}", f"{r:.6g}", f"{lo:.6g}", f"{hi:.6g}", int(k)))
    files: dict[str, str | bytes] = {f"scan_{scan.seed}.csv": buf.getvalue()}
    if not args.no_plot:
        from trigger.plotting import plot_scan

        files.update(plot_scan(scan, curve, outdir(args) / f"scan_{scan.seed}", load(args).budget_khz))
    print(f"{'threshold':>10}  {'rate [kHz]':>12}  {'-err':>9}  {'+err':>9}  {'count':>8}")
    for t, r, lo, hi, k in curve:
        print(f"{t:>10g}  {r:>12.3f}  {lo:>9.3f}  {hi:>9.3f}  {int(k):>8}")
    paths = write_atomic(outdir(args), files)
    print(f"wrote {', '.join(str(p) for p in paths)}")
    return 0


def _threshold(args: argparse.Namespace) -> int:
    target = parse_rate(args.rate)
    scan = _do_scan(args)
    sol = scan.solve(target, args.step)
    print(
        f"{scan.seed}: threshold {sol.threshold:g} gives {sol.rate_khz:.3f} -{sol.err_down:.3f} "
        f"+{sol.err_up:.3f} kHz (target {target:g} kHz; {sol.threshold - sol.step:g} would give "
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
    paths = write_atomic(outdir(args), {f"threshold_{scan.seed}.json": body})
    print(f"wrote {', '.join(str(p) for p in paths)}")
    return 0
