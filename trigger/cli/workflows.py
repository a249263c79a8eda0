"""``l1emu train NAME`` and ``l1emu evaluate NAME``: each algorithm's own training and metrics commands.

The sub-commands come from the entry-point groups ``l1emu.train`` and ``l1emu.evaluate``
(:mod:`trigger.plugins`): an algorithm package adds its commands without editing this module.
"""

from __future__ import annotations

from typing import Any

from trigger.plugins import load_group

__all__ = ["register"]

_HELP = {
    "train": "train an algorithm (writes its models and configs)",
    "evaluate": "metrics of a trained algorithm on sample files",
}


def register(sub: Any) -> None:
    for verb, text in _HELP.items():
        parser = sub.add_parser(verb, help=text)
        names = parser.add_subparsers(dest="algorithm", required=True, metavar="ALGORITHM")
        for name, add in sorted(load_group(f"l1emu.{verb}").items()):
            add(names.add_parser(name, help=f"{verb} {name}"))
