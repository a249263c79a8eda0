"""Lookup tables for sigmoid, tanh and softmax, generated once in Python.

A table covers ``[lo, lo + size * 2**shift)`` in raw input units with a power-of-two step, so the
firmware indexes it with a subtraction, a shift and a clamp (no multiplier, no division), and the
emulator does the same integer steps.  Entries are the function at the centre of their interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from trigger.errors import FixedPointError
from trigger.fixed import FixedType
from trigger.nn.layers import LookupTable

__all__ = ["make_table"]


def make_table(
    fn: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    input_t: FixedType,
    x_lo: float,
    x_hi: float,
    size: int,
    table_t: FixedType,
) -> LookupTable:
    """Table of ``fn`` over ``[x_lo, x_hi]`` (at least) for inputs of ``input_t``, entries in ``table_t``."""
    if size < 2 or size & (size - 1):
        raise FixedPointError(f"table size must be a power of two >= 2, got {size}")
    if not (math.isfinite(x_lo) and math.isfinite(x_hi)) or x_hi < x_lo:
        raise FixedPointError(f"table range [{x_lo}, {x_hi}] is not a finite interval")
    lsb = input_t.lsb
    lo_raw = max(math.floor(x_lo / lsb), input_t.min_raw)
    hi_raw = min(math.ceil(x_hi / lsb), input_t.max_raw)
    span = max(hi_raw - lo_raw + 1, 1)
    shift = max(0, math.ceil(math.log2(span / size))) if span > size else 0
    k = np.arange(size, dtype=np.float64)
    centre_raw = lo_raw + k * 2.0**shift + (2.0 ** (shift - 1) if shift > 0 else 0.0)
    x = centre_raw * lsb
    with np.errstate(over="ignore", under="ignore"):
        values = fn(x)
    values = np.nan_to_num(values, nan=0.0, posinf=table_t.max, neginf=table_t.min)
    return LookupTable(input_t, table_t, int(lo_raw), int(shift), table_t.from_float(values).raw.astype(np.int64))
