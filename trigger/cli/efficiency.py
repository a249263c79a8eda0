"""``l1emu efficiency MENU SEED --signal FILES --reference genmuons``: turn-on curve with CP errors."""

from __future__ import annotations

import argparse
import csv
import io
import math
from typing import Any

import numpy as np

from trigger.cli._args import number
from trigger.cli._common import add_common, dataset_for, parse_range, prepare, run_processor
from trigger.errors import ConfigError
from trigger.rates.efficiency import Efficiency, EfficiencyProcessor, Reference
from trigger.rates.report import write_atomic

__all__ = ["register"]


def register(sub: Any) -> None:
    parser = sub.add_parser("efficiency", help="efficiency turn-on of a seed on a signal sample")
    add_common(parser, input_required=False)
    parser.add_argument("seed")
    parser.add_argument("--signal", nargs="+", metavar="FILE", help="signal ROOT files (same as --input)")
    parser.add_argument(
        "--reference",
        required=True,
        help="collection whose leading pt is the x axis (e.g. genmuons), or sum:NAME",
    )
    parser.add_argument("--reference-max-abs-eta", type=number(0.0, allow_inf=True), default=math.inf)
    parser.add_argument("--bins", default="0:100:5", help="LO:HI:STEP bin edges (default 0:100:5)")
    parser.add_argument("--no-plot", action="store_true")
    parser.set_defaults(func=_efficiency)


def _efficiency(args: argparse.Namespace) -> int:
    files = (args.signal or []) + (args.input or [])
    if not files:
        raise ConfigError("give the signal sample with --signal FILES")
    edges = np.asarray(parse_range(args.bins, "--bins"))
    if len(edges) < 2:
        raise ConfigError(f"--bins {args.bins!r} gives fewer than two edges")
    ref = Reference.parse(args.reference, args.reference_max_abs_eta)
    stems = ("csv",) + (() if args.no_plot else ("png", "pdf"))
    job = prepare(args, files, lambda menu: (f"efficiency_{menu.seed(args.seed).name}.{ext}" for ext in stems))
    seed = job.menu.seed(args.seed)
    processor = EfficiencyProcessor(job.menu, job.inputs.schema, seed, ref, edges)
    dataset = dataset_for(args, processor, job.inputs)
    eff: Efficiency = run_processor(args, processor, dataset).result
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("low", "high", "passed", "total", "efficiency", "cp_low", "cp_high"))
    print(f"{'bin':>16}  {'passed':>8}  {'total':>8}  efficiency (68% CP)")
    for i in range(len(eff.passed)):
        e = eff.value[i]
        w.writerow(
            (
                f"{edges[i]:g}",
                f"{edges[i + 1]:g}",
                int(eff.passed[i]),
                int(eff.total[i]),
                f"{e:.6g}",
                f"{eff.lo[i]:.6g}",
                f"{eff.hi[i]:.6g}",
            )
        )
        print(
            f"{edges[i]:>7g}-{edges[i + 1]:<8g}  {int(eff.passed[i]):>8}  {int(eff.total[i]):>8}  "
            f"{e:.3f} [{eff.lo[i]:.3f}, {eff.hi[i]:.3f}]"
        )
    out: dict[str, str | bytes] = {f"efficiency_{seed.name}.csv": buf.getvalue()}
    if not args.no_plot:
        from trigger.plotting import plot_efficiency

        out.update(plot_efficiency(eff, job.outdir / f"efficiency_{seed.name}"))
    paths = write_atomic(job.outdir, out)
    print(f"wrote {', '.join(str(p) for p in paths)}")
    return 0
