"""Argument types that refuse a bad value while parsing: argparse then exits 2 naming the option.

A count, a size or a period that is zero, negative, NaN, infinite or absurdly large would otherwise
reach the event loop (or a process pool, or an allocation) and fail there with a traceback, or
not fail at all. Each factory returns the ``type=`` callable of one option.

>>> count(1, 10)("3"), number(0.0, strict=True)("0.5")
(3, 0.5)
>>> count(1)("0")
Traceback (most recent call last):
...
argparse.ArgumentTypeError: expected an integer >= 1, got '0'
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

__all__ = ["MAX_WORKERS", "count", "number"]

#: more processes than this is a typo, not a machine (each pool worker holds a few hundred MB)
MAX_WORKERS = 512


def count(minimum: int = 1, maximum: int | None = None) -> Callable[[str], int]:
    """An integer in ``[minimum, maximum]``."""
    span = f">= {minimum}" if maximum is None else f"in {minimum}..{maximum}"

    def parse(text: str) -> int:
        try:
            value = int(text.strip().replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer {span}, got {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"expected an integer {span}, got {text!r}")
        return value

    parse.__name__ = "integer"
    return parse


def number(
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    strict: bool = False,
    allow_inf: bool = False,
) -> Callable[[str], float]:
    """A finite float (``inf`` only with ``allow_inf``) ``> minimum`` (``strict``) or ``>= minimum``, ``<= maximum``."""
    parts = []
    if minimum is not None:
        parts.append(f"{'>' if strict else '>='} {minimum:g}")
    if maximum is not None:
        parts.append(f"<= {maximum:g}")
    span = ("a finite number " if not allow_inf else "a number ") + " and ".join(parts)

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {span.strip()}, got {text!r}") from None
        bad = math.isnan(value) or (math.isinf(value) and not allow_inf)
        bad = bad or (minimum is not None and (value <= minimum if strict else value < minimum))
        bad = bad or (maximum is not None and value > maximum)
        if bad:
            raise argparse.ArgumentTypeError(f"expected {span.strip()}, got {text!r}")
        return value

    parse.__name__ = "number"
    return parse
