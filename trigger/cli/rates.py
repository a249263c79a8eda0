"""``l1emu rates MENU --input FILES``: the rate table against the budget (text, CSV, JSON, Markdown)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import Any

from trigger.cli._common import add_common, check_weights, dataset_for, prepare, run_processor
from trigger.cli._inputs import digest
from trigger.errors import ConfigError
from trigger.menu import Menu
from trigger.menu.prescales import PrescaleTable, load_prescale_table
from trigger.rates import RateProcessor, to_csv, to_json, to_markdown, to_text, write_atomic
from trigger.rates.prescale import PrescaleMode
from trigger.rates.table import InputRecord
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
    parser.add_argument(
        "--prescale-table",
        default=None,
        metavar="FILE",
        help="prescale columns in the CMS CSV form Index,Name,<column>,...: the report gives the total after "
        "prescales of every column (seeds missing from the table keep the menu's prescale)",
    )
    parser.add_argument(
        "--column",
        default=None,
        metavar="NAME",
        help="the column of --prescale-table whose prescales the seed table uses (default: the menu's)",
    )
    parser.set_defaults(func=_rates)


def _prescale_columns(args: argparse.Namespace, menu: Menu) -> tuple[Menu, PrescaleTable | None, tuple[str, ...]]:
    """The menu with the prescales the table uses, the prescale table, and notes on what it lacks."""
    if args.prescale_table is None:
        if args.column is not None:
            raise ConfigError(f"--column {args.column!r} needs --prescale-table FILE (the CSV the column is in)")
        return menu, None, ()
    table = load_prescale_table(args.prescale_table)
    missing, extra = table.coverage(menu)
    notes = []
    if missing:
        notes.append(
            f"{len(missing)} seeds of the menu are not in prescale table {table.source} (they keep the menu's "
            f"prescale): {', '.join(missing)}"
        )
    if extra:
        notes.append(f"{len(extra)} rows of prescale table {table.source} are not in the menu: {', '.join(extra)}")
    for n in notes:
        print(f"note: {n}", file=sys.stderr)
    return (table.apply(menu, args.column) if args.column is not None else menu), table, tuple(notes)


def _rates(args: argparse.Namespace) -> int:
    job = prepare(args, args.input, lambda menu: _FILES)
    menu, ps_table, ps_notes = _prescale_columns(args, job.menu)
    plan = PrescalePlan.for_menu(menu, PrescaleMode(args.prescale_mode), args.random_prescale_counters)
    if ps_table is not None:
        plan = plan.with_columns(tuple((c, ps_table.apply(menu, c)) for c in ps_table.columns))
    processor = RateProcessor(menu, job.inputs.schema, plan)
    dataset = dataset_for(args, processor, job.inputs)
    result = run_processor(args, processor, dataset)
    source = "menu" if args.column is None or ps_table is None else f"column {args.column!r} of {ps_table.source}"
    table = replace(
        result.result,
        empty_files=dataset.empty,
        input_notes=job.notes + ps_notes,
        prescales_from=source,
        schema=f"{job.inputs.schema.name} ({job.inputs.schema.source})",
        inputs=tuple(InputRecord(f.path, f.tree, f.entries, digest(f.path)) for f in dataset.files),
    )
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
