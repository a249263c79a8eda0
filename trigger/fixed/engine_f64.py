"""The conversions of :mod:`trigger.fixed.engine` on float64 arrays that hold raw integers exactly.

For types up to :data:`F64_BITS` bits every raw integer, every power-of-two scaling of it and every
half-way comparison is exact in float64, so the same rules (``engine._round_increment``,
``engine._saturation_limits``) can run in a few vectorized passes with no integer conversions,
and dense layers can use BLAS.  The oracle tests check this path against the headers too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from trigger.fixed.engine import BoolArray, _cannot_overflow, _round_increment, _saturation_limits
from trigger.fixed.types import FixedType, Overflow, Quantization

__all__ = ["F64_BITS", "f64_eligible", "fixed_to_fixed_f64", "resolve_f64", "round_f64"]

#: Widest type whose raw integers this path carries (one spare bit keeps ``floor + 0.5`` exact).
F64_BITS = 52

F64 = NDArray[np.float64]
#: Empty mask returned when the types prove that no element can overflow (saves a pass and a count).
NO_OVERFLOW: BoolArray = np.zeros(0, dtype=bool)


def f64_eligible(*types: FixedType) -> bool:
    """True when every type is narrow enough for exact float64 raw arithmetic (and not ap_int)."""
    return all(t.width <= F64_BITS and not t.is_int for t in types)


def round_f64(y: F64, mode: Quantization, inplace: bool = False) -> F64:
    """Round exact values ``y`` (|y| < 2**52) to integers with ap_types' quantization ``mode``.

    ``inplace=True`` lets the single-pass modes overwrite ``y`` (a temporary the caller owns).
    """
    out = y if inplace else None
    if mode is Quantization.AP_TRN:
        return np.floor(y, out=out)
    if mode is Quantization.AP_TRN_ZERO:
        return np.trunc(y, out=out)
    if mode is Quantization.AP_RND_CONV:
        return np.rint(y, out=out)  # IEEE round-half-even, exact
    floor = np.floor(y)
    midpoint = floor + 0.5  # exact: |floor| < 2**52
    inc = _round_increment(mode, y > midpoint, y == midpoint, y < 0, np.zeros(0, dtype=bool))
    rounded: F64 = floor + inc
    return rounded


def _wrap_f64(q: F64, width: int, signed: bool, small: bool) -> F64:
    period = 2.0**width
    if small:  # |q| < 2**52: q + offset and the floor are exact
        offset = 2.0 ** (width - 1) if signed else 0.0
        out: F64 = q - period * np.floor((q + offset) / period)
        return out
    r = np.fmod(q, period)  # exact for any double
    r = np.where(r < 0, r + period, r)
    return np.where(r >= 2.0 ** (width - 1), r - period, r) if signed else r


def resolve_f64(
    q: F64, dst: FixedType, small: bool = True, track: bool = True, inplace: bool = False
) -> tuple[F64, BoolArray]:
    """Apply ``dst``'s overflow mode to exact integer-valued ``q``; ``small`` promises |q| < 2**52.

    ``track=False`` skips building the overflow mask where it costs a pass (saturation); the mask
    then comes back empty.  ``inplace=True`` lets saturation overwrite ``q`` (a temporary the caller owns).
    """
    lo, hi = _saturation_limits(dst)
    if dst.overflow in (Overflow.AP_SAT, Overflow.AP_SAT_SYM):
        clipped = np.clip(q, float(lo), float(hi), out=q if inplace and not track else None)
        return clipped, (clipped != q) if track else NO_OVERFLOW
    outside = (q > hi) | (q < lo)
    if dst.overflow is Overflow.AP_WRAP:
        return _wrap_f64(q, dst.width, dst.signed, small), outside
    return np.where(outside, 0.0, q), outside


def fixed_to_fixed_f64(v: F64, src: FixedType, dst: FixedType, track: bool = True) -> tuple[F64, BoolArray]:
    """:func:`trigger.fixed.engine.fixed_to_fixed` for float64 raw values (both types f64-eligible)."""
    shift = src.frac - dst.frac
    rshift = min(max(shift, 0), src.width + 1)  # beyond the source width every decision is the same
    lshift = min(max(-shift, 0), dst.width + 1)
    if rshift:
        q = round_f64(v * 2.0**-rshift, dst.rounding, inplace=True)
    elif lshift:
        q = v * 2.0**lshift
    else:
        q = v
    if _cannot_overflow(src, dst, rshift, lshift, shift):
        return q, NO_OVERFLOW
    return resolve_f64(q, dst, small=src.width + lshift + 1 < 52, track=track)


def as_f64(raw: NDArray[Any]) -> F64:
    """Raw integers (int64 or Python ints below 2**52) as float64."""
    return raw if raw.dtype == np.float64 else raw.astype(np.float64)
