"""The ``l1emu`` command: one sub-command group per module in this package.

Each module exposes ``register(subparsers)``, which adds its sub-command and sets ``func`` on the
parser; :func:`main` turns every :class:`~trigger.errors.L1EmuError` into a one-line message and a
non-zero exit instead of a traceback.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn

from trigger import __version__
from trigger.cli import compare, efficiency, fixed, generate, hls, nn, pileup, rates, scan, workflows
from trigger.errors import L1EmuError
from trigger.workers import Terminated, install_sigterm

__all__ = ["build_parser", "main"]

_GROUPS = (fixed, nn, hls, generate, rates, compare, pileup, scan, efficiency, workflows)


class _Parser(argparse.ArgumentParser):
    """An argument error is one line naming the option and what it expected (exit 2), not the whole usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="l1emu",
        description="Level-1 trigger emulation: float and bit-accurate fixed point, rates, HLS.",
    )
    parser.add_argument("--version", action="version", version=f"l1emu {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in _GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # a refused argument (2), or --help/--version (0): returned, as every other outcome
        return exc.code if isinstance(exc.code, int) else 2
    if threading.current_thread() is threading.main_thread():
        install_sigterm()  # SIGTERM unwinds like Ctrl-C: workers terminated, temporaries removed
    try:
        return int(args.func(args) or 0)
    except L1EmuError as exc:
        text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())  # one paragraph
        print(f"l1emu {args.command}: error: {text}", file=sys.stderr)
        return 2
    except Terminated:
        print(f"l1emu {args.command}: terminated (SIGTERM)", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print(f"l1emu {args.command}: interrupted", file=sys.stderr)
        return 130
