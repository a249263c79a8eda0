"""Entry-point groups: how algorithms and their training/evaluation commands plug in without edits.

``l1emu.algorithms`` names algorithm factories (:mod:`trigger.menu.algorithm`); ``l1emu.train`` and
``l1emu.evaluate`` name functions ``register(parser)`` that add a sub-command's arguments and set its
``func`` (``l1emu train jet-tagger ...``). Entry-point modules should import heavy packages lazily:
the command line loads them all to build its parser.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

__all__ = ["try_load_group"]


def try_load_group(group: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Every entry point of ``group`` loaded, and, for those that fail to load, a message naming them."""
    found: dict[str, Any] = {}
    broken: dict[str, str] = {}
    for ep in entry_points(group=group):
        try:
            found[ep.name] = ep.load()
        except Exception as exc:
            dist = ep.dist.name if ep.dist else "?"
            broken[ep.name] = (
                f"plugin {ep.name!r} of entry-point group {group!r} ({ep.value}, distribution {dist}) "
                f"does not load: {type(exc).__name__}: {exc}"
            )
    return found, broken
