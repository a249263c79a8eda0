"""The input cast and a scale layer on one input row at a time, in float32: the event loop's scaling.

:func:`trigger.nn.fast.cast_rows` then the scale layer of :func:`trigger.nn.fast.run_layers` make about ten
float64 passes over a batch (cast: multiply, round, clamp, NaN check; scale: subtract, clamp, multiply, floor,
multiply, clamp). On one row (one input, every event: a few hundred KiB, cache-resident) with that row's
constants as scalars, the same values take four or six float32 passes, written straight into the row of the
networks' block (:class:`RowScale`), e.g. as the features stage reads each row (:meth:`~trigger.features.FeatureSet.
rows`' ``cast``). Why every step is exact and the result the same:

- float32 input values: ``x * 2**f`` (a power of two: exact, or +-inf where float64 would exceed the range:
  both saturate), then the rounding: the float64 steps' values. Other dtypes run in float64, as the reference.
- the three clamps (input type, ``scale_t`` after the offset, ``result_t``) fold into one: with ``a`` the
  rounded raw, ``clip(clip(a, L, H) - o, Ls, Hs) = clip(a - o, clip(L - o, Ls, Hs), clip(H - o, Ls, Hs))``
  (a clamp of a clamp is one clamp), ``floor(clip(y, l, h) 2**-s) = clip(floor(y 2**-s), floor(l 2**-s),
  floor(h 2**-s))`` (floor is monotonic and maps the bounds), and ``clip(2**k w, Lr, Hr) = 2**k clip(w,
  Lr 2**-k, Hr 2**-k)`` (exact power-of-two scalings; e.g. 8191 / 8 = 1023.875 keeps the top value 8191).
- float32 holds every value exactly: ``|a - o| < 2**22`` inside the bounds; beyond them the rounded
  difference still lies beyond the (representable) bound, since rounding is monotonic, and is clamped to it.

Applies to the usual firmware scalings (:meth:`RowScale.of`: saturating types of at most 22 bits, the input
already in ``scale_t``, a one-step rounding, no rounding in the last cast); None otherwise. Values must be
finite (the features stage sets non-finite ones to 0): a NaN is not detected here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from trigger.fixed import FixedType, Quantization
from trigger.fixed.engine import _saturation_limits
from trigger.nn.fast import _SATURATING
from trigger.nn.layers import ScaleLayer

__all__ = ["RowScale"]

_WIDTH = 22  # |raw| <= 2**21 and |a - offset| < 2**22: integers float32 holds exactly
_ROUND = {
    Quantization.AP_RND_CONV: np.rint,  # IEEE round-half-even, as round_f64
    Quantization.AP_TRN: np.floor,
    Quantization.AP_TRN_ZERO: np.trunc,
}


def _plain(t: FixedType) -> bool:
    return t.overflow in _SATURATING and not t.is_int and t.width <= _WIDTH and 0 <= t.frac <= 100


class RowScale:
    """``layer``'s input cast and scaling on single rows: ``scale(i, values, out)`` writes row ``i``'s
    ``result_t`` raws (float32) into ``out``; with ``values``, the values they stand for (``raw 2**-F``: what the
    float path reads, so it needs no pass of its own to scale them)."""

    def __init__(self, layer: ScaleLayer, values: bool = False) -> None:
        it, st, rt = layer.input_t, layer.scale_t, layer.result_t
        self.layer, self.n, self.values = layer, layer.n, values
        self._input_factor = 2.0**it.frac
        self._round = _ROUND[it.rounding]
        # k >= 0 bits to the left (raws) or F_s to the right (values, |w| < 2**22, far from underflow): exact
        self._out_factor = 2.0**-st.frac if values else 2.0 ** (rt.frac - st.frac)
        lo, hi = (float(v) for v in _saturation_limits(st))
        r_lo, r_hi = (float(v) * 2.0 ** (st.frac - rt.frac) for v in _saturation_limits(rt))
        self._rows: list[tuple[float, float, float, float]] = []  # offset, 2**-shift (1: none), bounds
        for off, shift in zip(layer.offset_raw.tolist(), layer.shift.tolist(), strict=True):
            s = min(int(shift), st.width + 1)  # beyond W + 1 bits the sign alone is left, as W + 1 gives
            factor = 2.0**-s
            lo_s, hi_s = (math.floor(min(max(b - off, lo), hi) * factor) for b in (lo, hi))  # L = Ls, H = Hs
            self._rows.append((float(off), factor, min(max(lo_s, r_lo), r_hi), min(max(hi_s, r_lo), r_hi)))

    @staticmethod
    def of(layer: ScaleLayer, values: bool = False) -> RowScale | None:
        """The row scaling of ``layer`` (``values``: see the class), or None where its types are outside what the
        proof above covers."""
        it, st, rt = layer.input_t, layer.scale_t, layer.result_t
        if it != st or not (_plain(st) and _plain(rt)) or it.rounding not in _ROUND or rt.frac < st.frac:
            return None
        return RowScale(layer, values)

    def __call__(self, i: int, values: NDArray[Any], out: NDArray[np.float32]) -> None:
        off, factor, lo, hi = self._rows[i]
        if values.dtype == np.float32:
            work = out  # every step in place in the output row
        else:
            work = np.empty(values.shape, np.float64)
            values = values.astype(np.float64, copy=False)
        with np.errstate(over="ignore"):  # +-inf: saturates as the reference's 2**1024 does
            np.multiply(values, self._input_factor, out=work)
        self._round(work, out=work)
        if off:
            work -= off
        if factor != 1.0:
            work *= factor
            np.floor(work, out=work)
        np.clip(work, lo, hi, out=work)
        if self._out_factor != 1.0:
            np.multiply(work, self._out_factor, out=out)
        elif work is not out:
            out[...] = work
