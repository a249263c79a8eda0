"""``l1emu compare MENU --input FILES``: per seed, emulated vs stored ``L1_*`` decisions (agreements,
emulated-only, stored-only), as CMS's decision-count validation prints them."""

from __future__ import annotations

import argparse
from typing import Any

from trigger.cli._common import add_common, dataset_for, prepare, run_processor
from trigger.errors import ConfigError
from trigger.io.files import branch_map, open_tree
from trigger.rates.compare import CompareProcessor
from trigger.rates.report import write_atomic

__all__ = ["register"]

_FILES = ("compare.txt", "compare.csv")


def register(sub: Any) -> None:
    parser = sub.add_parser("compare", help="emulated vs stored L1_* decisions per seed")
    add_common(parser)
    parser.set_defaults(func=_compare)


def _compare(args: argparse.Namespace) -> int:
    job = prepare(args, args.input, lambda menu: _FILES)
    ttree, _ = open_tree(job.inputs.files[0], (args.tree,) if args.tree else job.inputs.schema.trees)
    stored = branch_map(ttree)
    # a seed that is itself a stored bit compares with itself: left out
    seeds = tuple(s.name for s in job.menu.seeds if s.name in stored and s.bit != s.name)
    missing = tuple(s.name for s in job.menu.seeds if s.name not in seeds)
    if not seeds:
        bits = sorted(b for b in stored if b.startswith("L1_"))
        raise ConfigError(
            f"no seed of menu {job.menu.name} has a stored decision bit of its name in {job.inputs.files[0]} "
            f"({len(bits)} L1_* branches there{': ' + ', '.join(bits[:5]) + ', ...' if bits else ''}): "
            "name the seeds after the stored bits to compare them"
        )
    processor = CompareProcessor(job.menu, job.inputs.schema, seeds, missing)
    dataset = dataset_for(args, processor, job.inputs)
    result = run_processor(args, processor, dataset).result
    text = result.to_text()
    paths = write_atomic(job.outdir, {"compare.txt": text, "compare.csv": result.to_csv()})
    print(text, end="")
    print(f"wrote {', '.join(str(p) for p in paths)}")
    return 0
