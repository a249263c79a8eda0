"""``l1emu rates MENU --input FILES``: the rate table against the budget (text, CSV, JSON, Markdown)."""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

from trigger.cli._common import add_common, dataset_for, load, outdir, run_processor, schema_for
from trigger.io import expand_inputs
from trigger.rates import RateProcessor, to_csv, to_json, to_markdown, to_text, write_atomic
from trigger.rates.prescale import PrescaleMode
from trigger.rates.tally import PrescalePlan

__all__ = ["register"]


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
    menu = load(args)
    inputs = expand_inputs(args.input)
    schema = schema_for(args, inputs)
    plan = PrescalePlan.for_menu(menu, PrescaleMode(args.prescale_mode), args.random_prescale_counters)
    processor = RateProcessor(menu, schema, plan)
    dataset = dataset_for(args, processor, schema, inputs)
    result = run_processor(args, processor, dataset)
    table = replace(result.result, empty_files=dataset.empty)
    text = to_text(table)
    paths = write_atomic(
        outdir(args),
        {
            "rates.txt": text,
            "rates.csv": to_csv(table),
            "rates.json": to_json(table),
            "rates.md": to_markdown(table),
        },
    )
    print(text, end="")
    print(f"wrote {', '.join(str(p) for p in paths)}")
    return 0
