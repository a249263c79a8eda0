"""Integer kernels behind the fixed-point types: conversions as ap_types' C++ computes them.

Values travel as raw integers: numpy ``int64`` arrays when every intermediate provably fits in
62 bits, ``dtype=object`` arrays of Python integers otherwise (exact at any width, just slower).
No kernel goes through floating point; the only float input is decoded bit by bit from IEEE-754.

Each conversion returns the raw result and a boolean mask of the elements that overflowed
(wrapped, saturated or zeroed), which the NN trace mode counts per layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from trigger.errors import FixedPointError
from trigger.fixed.types import FixedType, Overflow, Quantization

__all__ = [
    "INT64_SAFE_BITS",
    "IntArray",
    "as_object",
    "fixed_to_fixed",
    "fixed_to_int",
    "float_to_fixed",
    "float_to_int",
    "needs_object",
    "wrap",
]

#: Largest magnitude, in bits, that the int64 path lets any intermediate value reach.
INT64_SAFE_BITS = 62

IntArray = NDArray[Any]  # int64 or object (Python ints)
BoolArray = NDArray[np.bool_]


def needs_object(*bits: int) -> bool:
    """True when some intermediate needs more than :data:`INT64_SAFE_BITS` bits."""
    return max(bits) > INT64_SAFE_BITS


def as_object(a: IntArray) -> IntArray:
    """The same integers as Python ints (``astype(object)`` gives ints, not numpy scalars)."""
    if a.dtype == np.float64:  # float64 raw integers (trigger.fixed.engine_f64): exact below 2**53
        a = a.astype(np.int64)
    return a if a.dtype == object else a.astype(object)


def _as_int64(a: IntArray) -> IntArray:
    return a if a.dtype == np.int64 else a.astype(np.int64)


def wrap(v: IntArray, width: int, signed: bool) -> IntArray:
    """Keep the low ``width`` bits of ``v`` (two's complement), as C++ assignment to a narrower int does."""
    if needs_object(width + 1):
        v = as_object(v)
    mask = (1 << width) - 1
    if not signed:
        return v & mask
    half = 1 << (width - 1)
    out: IntArray = ((v + half) & mask) - half  # two's complement sign extension of the low bits
    return out


def _round_increment(
    mode: Quantization, above: BoolArray, tie: BoolArray, negative: BoolArray, odd: BoolArray
) -> BoolArray:
    """Whether the floor gets +1: the one statement of ap_types' rounding rules (``quantization_adjust``).

    ``above``/``tie``: the dropped part is more than / exactly half an LSB; ``odd``: the floor is odd.
    """
    if mode is Quantization.AP_RND:
        return above | tie
    if mode is Quantization.AP_RND_ZERO:
        return above | (tie & negative)
    if mode is Quantization.AP_RND_MIN_INF:
        return above
    if mode is Quantization.AP_RND_INF:
        return above | (tie & ~negative)
    if mode is Quantization.AP_RND_CONV:
        return above | (tie & odd)
    raise AssertionError(mode)  # pragma: no cover - AP_TRN and AP_TRN_ZERO never get here


def _round_right_shift(v: IntArray, shift: Any, negative: BoolArray, mode: Quantization) -> IntArray:
    """``v * 2**-shift`` rounded to an integer with ap_types' quantization ``mode`` (shift >= 0)."""
    q: IntArray = v >> shift
    if mode is Quantization.AP_TRN:
        return q
    rem = v - (q << shift)  # 0 <= rem < 2**shift: the dropped bits
    nonzero = rem != 0
    if mode is Quantization.AP_TRN_ZERO:
        return q + (negative & nonzero)  # type: ignore[no-any-return]
    half = (rem * 0 + 1 << shift) >> 1  # elementwise 2**(shift-1); 0 where shift == 0
    inc = _round_increment(mode, rem > half, (rem == half) & nonzero, negative, (q & 1) == 1)
    return q + inc


def _saturation_limits(dst: FixedType) -> tuple[int, int]:
    """Raw (lo, hi) that saturation clamps to.

    AP_SAT_SYM's signed minimum is ``min | 1``: -max, except at W=1 where it stays -1 (as in the headers).
    """
    hi = dst.max_raw
    lo = dst.min_raw | 1 if (dst.overflow is Overflow.AP_SAT_SYM and dst.signed) else dst.min_raw
    return lo, hi


def _apply_overflow(q: IntArray, over: BoolArray, under: BoolArray, dst: FixedType) -> IntArray:
    """Resolve out-of-range values of the exact result ``q`` with the overflow mode of ``dst``."""
    if dst.overflow is Overflow.AP_WRAP:
        return wrap(q, dst.width, dst.signed)
    lo, hi = _saturation_limits(dst)
    if dst.overflow is Overflow.AP_SAT_ZERO:
        return np.where(over | under, q * 0, q)
    # not np.clip: on the int64 path q may already be wrapped modulo 2**64 where it overflowed
    return np.where(over, q * 0 + hi, np.where(under, q * 0 + lo, q))


def _range_masks(q: IntArray, dst: FixedType) -> tuple[BoolArray, BoolArray]:
    lo, hi = _saturation_limits(dst)
    return q > hi, q < lo


def _left_shift_to(q: IntArray, k: Any, dst: FixedType) -> tuple[IntArray, BoolArray]:
    """Resolve the exact value ``q * 2**k`` (``0 <= k <= dst.width + 1``) into ``dst``.

    On the int64 path the range test is done before shifting (``q > max >> k``) and the shift itself
    is modular (uint64), whose low W bits are exact: no intermediate ever leaves 64 bits.
    """
    if q.dtype == object:
        full = q << k
        over, under = _range_masks(full, dst)
        return _apply_overflow(full, over, under, dst), over | under
    lo, hi = _saturation_limits(dst)
    k64 = np.asarray(k, dtype=np.int64)
    over = q > (np.int64(hi) >> k64)
    under = q < -(np.int64(-lo) >> k64)
    shifted = (q.astype(np.int64).view(np.uint64) << k64.astype(np.uint64)).view(np.int64)
    return _apply_overflow(shifted, over, under, dst), over | under


def _int64_ok(dst: FixedType, *bits: int) -> bool:
    return not needs_object(dst.width + 1, *bits)


def fixed_to_fixed(v: IntArray, src: FixedType, dst: FixedType) -> tuple[IntArray, BoolArray]:
    """Raw ``v`` of type ``src`` assigned to an ap_fixed ``dst`` (``operator=`` of ap_fixed_base)."""
    shift = src.frac - dst.frac
    negative = v < 0
    # Bits dropped beyond the source width all decide the same way, and a left shift past the target
    # width leaves only zeros in it: clamp both shifts there.
    rshift = min(max(shift, 0), src.width + 1)
    lshift = min(max(-shift, 0), dst.width + 1)
    work = _as_int64(v) if _int64_ok(dst, src.width + 2) else as_object(v)
    q = _round_right_shift(work, rshift, negative, dst.rounding) if rshift else work
    if _cannot_overflow(src, dst, rshift, lshift, shift):
        return (q << lshift if lshift else q), np.zeros(np.shape(q), dtype=bool)
    return _left_shift_to(q, lshift, dst)


def _cannot_overflow(src: FixedType, dst: FixedType, rshift: int, lshift: int, shift: int) -> bool:
    """True when every value of ``src`` lands inside ``dst`` (rounding can add one LSB at the top)."""
    if shift > src.width or lshift > dst.width:
        return False
    lo, hi = _saturation_limits(dst)
    top = (src.max_raw >> rshift) + (1 if rshift else 0)
    bottom = src.min_raw >> rshift
    return lo <= bottom << lshift and top << lshift <= hi


def fixed_to_int(v: IntArray, src: FixedType, dst: FixedType) -> tuple[IntArray, BoolArray]:
    """Raw ``v`` of ap_fixed ``src`` assigned to an ap_int ``dst``: C's truncation towards zero.

    Follows ``ap_fixed_base::to_ap_int_base``: the integer part lands in ``ap_int<max(I,1)>``, negative
    values with a fraction get +1 there (so I == 0 gives -1 for negative inputs, as the headers do),
    then the result is wrapped into ``dst``.
    """
    if src.is_int:
        out = wrap(v, dst.width, dst.signed)
        return out, out != v
    width, integer, signed = src.width, src.integer, src.signed
    if integer < 0:
        raise FixedPointError(
            f"converting {src} (negative integer bits) to {dst} reads an uninitialised value in ap_types; "
            "cast to an ap_fixed with I >= 0 first"
        )
    obj = needs_object(width + 2, integer + 2, dst.width + 1)
    work = as_object(v) if obj else _as_int64(v)
    if integer == 0:
        ipart = work * 0
    elif integer <= width:
        ipart = work >> (width - integer)
    else:
        ipart = work << (integer - width)
    if signed and integer < width:
        frac_mask = (1 << (width - max(integer, 0))) - 1
        ipart = ipart + ((work < 0) & ((work & frac_mask) != 0))
    ipart = wrap(ipart, max(integer, 1), signed)
    out = wrap(ipart, dst.width, dst.signed)
    return out, out != ipart


# ------------------------------------------------------------------------------------- from double
_MAN_BITS = 52
_EXP_MASK = 0x7FF


def _reject_nan(x: NDArray[np.float64]) -> None:
    if np.isnan(x).any():
        bad = np.flatnonzero(np.isnan(x))
        raise FixedPointError(
            f"{bad.size} NaN value(s) cannot be converted to fixed point (first at flat index {bad[0]}); "
            "ap_types gives no defined result for NaN: remove or replace them first"
        )


def _decode_doubles(x: NDArray[np.float64]) -> tuple[IntArray, IntArray, BoolArray, BoolArray]:
    """Split doubles as ap_types does: magnitude ``man`` (hidden bit always set) and ``exp``.

    Returns ``(man, exp, negative, zero)`` with ``|x| == man * 2**(exp - 52)`` for normal numbers.
    Like the headers, subnormals keep the hidden bit and infinities read as ``2**1024``.
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    bits = x.view(np.uint64)
    exp = ((bits >> np.uint64(_MAN_BITS)) & np.uint64(_EXP_MASK)).astype(np.int64) - 1023
    man = ((bits & np.uint64((1 << _MAN_BITS) - 1)) | np.uint64(1 << _MAN_BITS)).astype(np.int64)
    negative = (bits >> np.uint64(63)).astype(bool)
    zero = (bits & np.uint64(0x7FFF_FFFF_FFFF_FFFF)) == 0
    return man, exp, negative, zero


def float_to_fixed(
    x: NDArray[np.float64], dst: FixedType, *, f64: bool = False, track: bool = True
) -> tuple[IntArray, BoolArray]:
    """float64 -> ap_fixed ``dst``, as the ``ap_fixed_base(double)`` constructor does.

    Elements whose scaled value ``x * 2**F`` is a normal double below 2**52 take a float fast path
    that is still exact (power-of-two scaling, floor and the half-way comparison are exact there);
    the rest go through the integer decoding of the IEEE-754 bits.  With ``f64=True`` (W <= 52) the
    raw integers come back as float64 (see :mod:`trigger.fixed.engine_f64`); ``track=False`` may skip
    the overflow mask.
    """
    from trigger.fixed.engine_f64 import resolve_f64, round_f64

    x = np.ascontiguousarray(x, dtype=np.float64)
    if dst.width > 52 or x.size == 0:
        _reject_nan(x)
        raw, over = _float_to_fixed_bits(x, dst)
        return (raw.astype(np.float64) if f64 else raw), over
    with np.errstate(over="ignore"):
        y = x * 2.0**dst.frac if abs(dst.frac) < 1000 else np.ldexp(x, dst.frac)  # exact, or inf
    saturating = dst.overflow in (Overflow.AP_SAT, Overflow.AP_SAT_SYM)
    if saturating and 0 <= dst.frac < 1021:
        # Saturation needs no range pre-check: beyond 2**52 (> max) any rounding result clamps to the same
        # end, as does inf (the headers read it as 2**1024); a NaN survives the clamp and is caught after.
        q, over = resolve_f64(round_f64(y, dst.rounding, inplace=True), dst, track=track, inplace=True)
        if np.isnan(q.sum()):
            _reject_nan(x)
        return (q if f64 else q.astype(np.int64)), over
    # below 2**52 everywhere (a NaN fails these comparisons too) ...
    if y.max() < 2.0**52 and y.min() > -(2.0**52):
        # ... and no value in (0, 2**-1022) after scaling, where bits could be lost (F < 0) or where the
        # headers read a subnormal with its hidden bit set.  For 0 <= F < 1021 that misreading moves a value
        # already below a quarter LSB and changes no rounding decision, so no check is needed there.
        safe = 0 <= dst.frac < 1021
        if safe or not bool(((np.abs(y) < np.ldexp(1.0, -1022 + max(dst.frac, 0))) & (x != 0)).any()):
            q, over = resolve_f64(round_f64(y, dst.rounding, inplace=True), dst, track=track, inplace=True)
            return (q if f64 else q.astype(np.int64)), over
    mag = np.abs(y)
    smallest = np.ldexp(1.0, -1022 + max(dst.frac, 0))
    _reject_nan(x)
    fast = (mag < 2.0**52) & ((mag >= smallest) | (x == 0))
    raw_f = np.zeros(x.shape, dtype=np.float64)
    over = np.zeros(x.shape, dtype=bool)
    raw_f[fast], over[fast] = resolve_f64(round_f64(y[fast], dst.rounding), dst)
    slow = ~fast
    slow_raw, over[slow] = _float_to_fixed_bits(x[slow], dst)
    raw_f[slow] = slow_raw
    return (raw_f if f64 else raw_f.astype(np.int64)), over


def _float_to_fixed_bits(x: NDArray[np.float64], dst: FixedType) -> tuple[IntArray, BoolArray]:
    """The general path: decode the IEEE-754 bits and round/shift in integers."""
    man, exp, negative, zero = _decode_doubles(x)
    v = np.where(zero, 0, np.where(negative, -man, man))  # value v * 2**-(52 - exp)
    shift = (_MAN_BITS - exp) - dst.frac  # > 0: drop bits (round); < 0: shift left
    # Beyond 55 dropped bits (the mantissa's width + 1) every rounding decision is the same.
    rshift = np.clip(shift, 0, 55)
    lshift = np.clip(-shift, 0, dst.width + 1)
    if not _int64_ok(dst, 56):
        v, rshift, lshift = as_object(v), as_object(rshift), as_object(lshift)
    q = _round_right_shift(v, rshift, negative, dst.rounding)
    return _left_shift_to(q, lshift, dst)


def float_to_int(x: NDArray[np.float64], dst: FixedType) -> tuple[IntArray, BoolArray]:
    """float64 -> ap_int ``dst``, as ``ap_int_base(double)`` does.

    The magnitude is truncated, then negated; a quirk of the headers is kept bit for bit: a negative
    value with |x| < 0.5 becomes +1 (the magnitude path returns -1 for it before the negation).
    """
    _reject_nan(x)
    man, exp, negative, zero = _decode_doubles(x)
    shift = _MAN_BITS - exp
    rshift = np.clip(shift, 0, 53)
    lshift = np.clip(-shift, 0, dst.width + 1)
    mag = np.where(shift >= _MAN_BITS + 2, np.where(negative, -1, 0), man >> rshift)
    signed_mag = np.where(zero, 0, np.where(negative, -mag, mag))
    if not _int64_ok(dst, 56):
        signed_mag, lshift = as_object(signed_mag), as_object(lshift)
    return _left_shift_to(signed_mag, lshift, dst.replace(overflow=Overflow.AP_WRAP))
