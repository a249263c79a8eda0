"""``l1emu train NAME`` and ``l1emu evaluate NAME``: each algorithm's own training and metrics commands.

The sub-commands come from the entry-point groups ``l1emu.train`` and ``l1emu.evaluate``
(:mod:`trigger.plugins`): an algorithm package adds its commands without editing this module.
"""

from __future__ import annotations

import argparse
from typing import Any

from trigger.errors import ConfigError
from trigger.plugins import try_load_group

__all__ = ["register"]

_HELP = {
    "train": "train an algorithm (writes its models and configs)",
    "evaluate": "metrics of a trained algorithm on sample files",
}


def register(sub: Any) -> None:
    for verb, text in _HELP.items():
        parser = sub.add_parser(verb, help=text)
        names = parser.add_subparsers(dest="algorithm", required=True, metavar="ALGORITHM")
        found, broken = try_load_group(f"l1emu.{verb}")
        for name, add in sorted(found.items()):
            add(names.add_parser(name, help=f"{verb} {name}"))
        for name, why in sorted(broken.items()):  # other commands keep working; this one says why not
            names.add_parser(name, help=f"{verb} {name} (broken plugin)").set_defaults(func=_broken(why))


def _broken(why: str) -> Any:
    def fail(args: argparse.Namespace) -> int:
        raise ConfigError(why)

    return fail
