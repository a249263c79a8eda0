"""``l1emu pileup MENU --input FILES``: per seed, the rate in bins of the per-event pile-up, a linear or
quadratic fit, and the rate extrapolated to ``--target-pileup`` or ``--target-lumi`` (see
:mod:`trigger.rates.pileup`)."""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict
from typing import Any

from trigger.cli._args import count, number
from trigger.cli._common import add_common, dataset_for, prepare, run_processor
from trigger.errors import ConfigError
from trigger.menu import Menu
from trigger.rates.pileup import PileupProcessor, PileupResult, pileup_for_lumi
from trigger.rates.report import write_atomic

__all__ = ["register"]

#: inelastic pp cross-section for --target-lumi: 80 mb at 13.6 TeV (CMS's Run-3 pile-up estimate; 69.2 mb at
#: 13 TeV in Run 2, about 81 mb at 14 TeV for HL-LHC projections); override with --sigma-inel-mb
SIGMA_INEL_MB = 80.0


def register(sub: Any) -> None:
    parser = sub.add_parser("pileup", help="rate vs pile-up per seed, fitted and extrapolated")
    add_common(parser)
    parser.add_argument(
        "--pileup-branch",
        default=None,
        help="per-event pile-up branch (default: the schema's event 'pileup', else nPileup)",
    )
    parser.add_argument("--bin-width", type=number(0.0, strict=True), default=5.0, help="pile-up bin width (default 5)")
    parser.add_argument(
        "--fit", choices=("linear", "quadratic"), default="linear", help="fit polynomial (default linear)"
    )
    parser.add_argument(
        "--min-events", type=count(1), default=10, help="bins with fewer events are shown, not fitted (default 10)"
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--target-pileup", type=number(0.0), default=None, help="extrapolate to this pile-up")
    target.add_argument(
        "--target-lumi",
        type=number(0.0, strict=True),
        default=None,
        metavar="E34",
        help="extrapolate to this instantaneous luminosity, in 1e34 cm^-2 s^-1 (pile-up from --sigma-inel-mb "
        "and the menu's bunches)",
    )
    parser.add_argument(
        "--sigma-inel-mb",
        type=number(0.0, strict=True),
        default=SIGMA_INEL_MB,
        help=f"inelastic cross-section for --target-lumi (default {SIGMA_INEL_MB:g} mb, 13.6 TeV)",
    )
    parser.add_argument("--no-plot", action="store_true", help="no PNG/PDF per seed")
    parser.set_defaults(func=_pileup)


def _names(args: argparse.Namespace) -> Any:
    def names(menu: Menu) -> list[str]:
        out = ["pileup.csv", "pileup_fit.txt", "pileup_fit.json"]
        if not args.no_plot:
            out += [f"pileup_{s.name}.{ext}" for s in menu.seeds for ext in ("png", "pdf")]
        return out

    return names


def _text(result: PileupResult, target_note: str) -> str:
    lines = [f"menu {result.menu}: rate vs pile-up ({result.branch}, bins of {result.bin_width:g}); {target_note}", ""]
    head = ["seed", "fit", "coefficients (highest power first)", "chi2/ndf", "at target [kHz]"]
    rows = [head]
    for c in result.curves:
        coef = ", ".join(f"{x:.4g}" for x in c.coefficients) if c.fitted else c.note
        target = "" if c.target_khz is None else f"{c.target_khz:.3f} ± {c.target_err_khz:.3f}"
        chi2 = f"{c.chi2:.1f}/{c.ndf}" if c.fitted else ""
        rows.append([c.seed, "linear" if c.degree == 1 else "quadratic", coef, chi2, target])
    widths = [max(len(r[k]) for r in rows) for k in range(len(head))]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines) + "\n"


def _csv(result: PileupResult) -> str:
    out = ["seed,pileup_lo,pileup_hi,mean_pileup,events,rate_khz,err_down_khz,err_up_khz"]
    w = result.bin_width
    for c in result.curves:
        cells = zip(c.low_edge, c.mean_pileup, c.events, c.rate_khz, c.err_down, c.err_up, strict=True)
        for edge, mu, n, r, lo, hi in cells:
            out.append(f"{c.seed}," + ",".join(f"{v:.6g}" for v in (edge, edge + w, mu, n, r, lo, hi)))
    return "\n".join(out) + "\n"


def _pileup(args: argparse.Namespace) -> int:
    job = prepare(args, args.input, _names(args))
    schema = job.inputs.schema
    branch = args.pileup_branch or schema.event.get("pileup", "nPileup")
    if args.target_lumi is not None:
        mu = pileup_for_lumi(
            args.target_lumi * 1e34, args.sigma_inel_mb, job.menu.colliding_bunches, job.menu.revolution_hz
        )
        note = (
            f"target {args.target_lumi:g}e34 cm^-2 s^-1 = pile-up {mu:.2f} (sigma_inel {args.sigma_inel_mb:g} mb, "
            f"{job.menu.colliding_bunches} bunches x {job.menu.revolution_hz:g} Hz)"
        )
    else:
        mu = args.target_pileup
        note = "no target" if mu is None else f"target pile-up {mu:g}"
    if mu is not None and not math.isfinite(mu):
        raise ConfigError(f"the target pile-up is not finite ({mu})")
    processor = PileupProcessor(
        job.menu,
        schema,
        branch,
        args.bin_width,
        degree=1 if args.fit == "linear" else 2,
        min_events=args.min_events,
        target_pileup=mu,
    )
    dataset = dataset_for(args, processor, job.inputs)
    result = run_processor(args, processor, dataset).result
    text = _text(result, note)
    summary = {"target": note, **asdict(result)}
    files: dict[str, str | bytes] = {
        "pileup.csv": _csv(result),
        "pileup_fit.txt": text,
        "pileup_fit.json": json.dumps(summary, indent=2) + "\n",
    }
    if not args.no_plot:
        from trigger.plotting import plot_pileup

        for c in result.curves:
            files.update(plot_pileup(c, job.outdir / f"pileup_{c.seed}", result.bin_width))
    paths = write_atomic(job.outdir, files)
    print(text, end="")
    print(f"wrote {len(paths)} files to {job.outdir}")
    return 0
