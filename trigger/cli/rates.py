"""``l1emu rates MENU --input FILES``: the rate table against the budget (text, CSV, JSON, Markdown)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import Any

from trigger.cli._common import add_common, check_weights, dataset_for, prepare, run_processor
from trigger.rates import RateProcessor, to_csv, to_json, to_markdown, to_text, write_atomic
from trigger.rates.prescale import PrescaleMode
from trigger.rates.tally import PrescalePlan

__all__ = ["register"]

_FILES = ("rates.txt", "rates.csv", "rates.json", "rates.md")


def register(sub: Any) -> None:
    parser = sub.add_parser("rates", help="rate table of a menu against the L1 budget")
    add_common(parser)
    parser.add_argument(
        "--prescale-mode",
        choices=[m.value for m in PrescaleMode],
        default=PrescaleMode.AUTO.value,
        help="how prescales apply: the uGT counter, expected values (w/p per fire), or auto (default: "
        "expected values on weighted samples, the counter on unweighted ones)",
    )
    parser.add_argument(
        "--random-prescale-counters",
        type=int,
        default=None,
        metavar="SEED",
        help="start each uGT prescale counter at a random value in [0, 100 x prescale) drawn with SEED "
        "(CMS semiRandomInitialPSCounters); default: every counter starts at 0",
    )
    parser.set_defaults(func=_rates)


def _rates(args: argparse.Namespace) -> int:
    job = prepare(args, args.input, lambda menu: _FILES)
    plan = PrescalePlan.for_menu(job.menu, PrescaleMode(args.prescale_mode), args.random_prescale_counters)
    processor = RateProcessor(job.menu, job.inputs.schema, plan)
    dataset = dataset_for(args, processor, job.inputs)
    result = run_processor(args, processor, dataset)
    table = replace(result.result, empty_files=dataset.empty, input_notes=job.notes)
    check_weights(table.sumw, table.events, table.weighted, f"menu {job.menu.name}")
    for s in table.seeds:
        if s.raw.khz < 0:  # allowed (NLO weights) but never a physical rate: said, not hidden
            print(
                f"warning: seed {s.name}: rate {s.raw.khz:.3f} kHz is negative (the weights of its passing events sum "
                f"to {s.raw.sumw:g}): too few events for a sample with negative weights",
                file=sys.stderr,
            )
    text = to_text(table)
    reports = (text, to_csv(table), to_json(table), to_markdown(table))
    paths = write_atomic(job.outdir, dict(zip(_FILES, reports, strict=True)))
    print(text, end="")
    print(f"wrote {', '.join(str(p) for p in paths)}")
    return 0
