"""Arrays of fixed-point values: raw integers plus one :class:`FixedType`, with ap_types arithmetic.

``a + b``, ``a - b`` and ``a * b`` return the full-precision result types that ap_types defines
(``RType<...>::plus``, ``minus``, ``mult``), so nothing is rounded until an explicit :meth:`cast`,
which behaves like C++ assignment to the target type.  ``a >> k`` is ap_fixed's shift: same type,
raw bits shifted arithmetically (the low bits dropped, no rounding, no overflow).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from trigger.errors import FixedPointError
from trigger.fixed import engine
from trigger.fixed.engine_f64 import F64_BITS, as_f64, f64_eligible, fixed_to_fixed_f64
from trigger.fixed.types import FixedType

__all__ = ["FixedArray", "minus_type", "mult_type", "plus_type", "result_type"]


def _align_integer(a: FixedType, b: FixedType) -> int:
    """Integer bits both operands need once signedness is shared (ap_types' ``AP_MAX(I + ..., I2 + ...)``)."""
    return max(a.integer + (b.signed and not a.signed), b.integer + (a.signed and not b.signed))


def _result(width: int, integer: int, signed: bool, a: FixedType, b: FixedType) -> FixedType:
    if a.is_int and b.is_int:
        return FixedType(width, width, signed, is_int=True)
    return FixedType(width, integer, signed)


def plus_type(a: FixedType, b: FixedType) -> FixedType:
    """Type of ``a + b`` in ap_types: one more integer bit than the wider operand, all fraction bits."""
    integer = _align_integer(a, b) + 1
    return _result(integer + max(a.frac, b.frac), integer, a.signed or b.signed, a, b)


def minus_type(a: FixedType, b: FixedType) -> FixedType:
    """Type of ``a - b`` in ap_types: as for ``+`` but always signed."""
    integer = _align_integer(a, b) + 1
    return _result(integer + max(a.frac, b.frac), integer, True, a, b)


def mult_type(a: FixedType, b: FixedType) -> FixedType:
    """Type of ``a * b`` in ap_types: widths and integer bits add."""
    return _result(a.width + b.width, a.integer + b.integer, a.signed or b.signed, a, b)


def result_type(op: str, a: FixedType, b: FixedType) -> FixedType:
    """Result type of ``op`` in ``{'+', '-', '*'}``."""
    return {"+": plus_type, "-": minus_type, "*": mult_type}[op](a, b)


@dataclass(frozen=True, eq=False)
class FixedArray:
    """Exact fixed-point values: ``raw`` integers (int64, or Python ints when wider) of one ``type``.

    ``overflowed`` marks the elements that were wrapped or saturated by the conversion that made this
    array; it is empty when none can have (exact arithmetic, or a cast the types prove safe), so
    ``overflowed.sum()`` always counts them.  The NN trace mode does.
    """

    raw: NDArray[Any]
    type: FixedType
    overflowed: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_float(
        cls, values: ArrayLike, type: FixedType, *, f64: bool = False, track_overflow: bool = True
    ) -> FixedArray:
        """C++ ``T x = double_value;`` for every element.

        ``f64=True`` keeps the raw integers in float64 (exact for W <= 52), the fast representation
        the NN emulator computes with; results are identical either way.
        """
        x = np.asarray(values, dtype=np.float64)
        if type.is_int:
            raw, over = engine.float_to_int(x.reshape(-1), type)
        else:
            raw, over = engine.float_to_fixed(x.reshape(-1), type, f64=f64 and f64_eligible(type), track=track_overflow)
        return cls(raw.reshape(x.shape), type, over.reshape(x.shape) if over.size else over)

    @classmethod
    def from_raw(cls, raw: ArrayLike, type: FixedType) -> FixedArray:
        """Values whose raw integers are already known; they must lie in the type's range."""
        arr = np.asarray(raw)
        if arr.dtype.kind not in "iuO":
            raise FixedPointError(f"raw values for {type} must be integers, got dtype {arr.dtype}")
        obj = engine.needs_object(type.width + 1) or (arr.dtype.kind == "u" and arr.dtype.itemsize == 8)
        arr = engine.as_object(arr) if obj else arr.astype(np.int64)
        if arr.size and (bool((arr < type.min_raw).any()) or bool((arr > type.max_raw).any())):
            raise FixedPointError(
                f"raw values outside {type}'s range [{type.min_raw}, {type.max_raw}]; "
                "use FixedArray.from_raw only with in-range integers, or cast() to wrap/saturate"
            )
        return cls(arr, type, np.zeros(arr.shape, dtype=bool))

    # ----------------------------------------------------------------- views
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.raw.shape)

    def __len__(self) -> int:
        return len(self.raw)

    def __getitem__(self, index: Any) -> FixedArray:
        over = self.overflowed[index] if self.overflowed.size else self.overflowed
        return FixedArray(self.raw[index], self.type, over)

    def __repr__(self) -> str:
        return f"FixedArray({self.type}, {self.to_float()!r})"

    def to_float(self) -> NDArray[np.float64]:
        """The values as float64: exact whenever W <= 53, correctly rounded otherwise."""
        raw = self.raw
        mantissa = (
            raw.astype(np.float64)
            if raw.dtype != object
            else np.array([float(v) for v in raw.reshape(-1)], dtype=np.float64).reshape(raw.shape)
        )
        return np.ldexp(mantissa, -self.type.frac)

    def to_python_ints(self) -> NDArray[Any]:
        """Raw integers as Python ints (dtype object), whatever the width or representation."""
        return engine.as_object(self.int_raw())

    def int_raw(self) -> NDArray[Any]:
        """Raw integers as int64 (or Python ints when wider), never float64."""
        return self.raw.astype(np.int64) if self.raw.dtype == np.float64 else self.raw

    def as_f64(self) -> FixedArray:
        """The same values with raw integers held in float64 (the fast path; needs W <= 52)."""
        if not f64_eligible(self.type):
            raise FixedPointError(f"{self.type} is too wide for exact float64 raw values (at most {F64_BITS} bits)")
        return FixedArray(as_f64(self.raw), self.type, self.overflowed)

    # ----------------------------------------------------------------- conversion
    def cast(self, target: FixedType, *, track_overflow: bool = True) -> FixedArray:
        """C++ assignment ``target_t y = x;``: rounding and overflow of ``target`` applied.

        ``track_overflow=False`` lets the fast path skip the overflow mask (values are the same).
        """
        if target == self.type and not target.is_int:
            return FixedArray(self.raw, target, np.zeros(0, dtype=bool))
        if self.raw.dtype == np.float64 and f64_eligible(self.type, target):
            raw, over = fixed_to_fixed_f64(self.raw, self.type, target, track=track_overflow)
        elif target.is_int:
            raw, over = engine.fixed_to_int(self.int_raw(), self.type, target)
        else:
            raw, over = engine.fixed_to_fixed(self.int_raw(), self.type, target)
        return FixedArray(raw, target, over)

    # ----------------------------------------------------------------- arithmetic
    def _operands(self, other: FixedArray, rtype: FixedType) -> tuple[NDArray[Any], NDArray[Any]]:
        if not isinstance(other, FixedArray):
            raise FixedPointError(
                f"fixed-point arithmetic needs two FixedArray operands, got {type(other).__name__}; "
                "convert floats first with FixedType.from_float"
            )
        a, b = self.raw, other.raw
        if a.dtype == np.float64 and b.dtype == np.float64 and f64_eligible(rtype):
            return a, b  # exact: every result fits in 52 bits
        a, b = self.int_raw(), other.int_raw()
        if engine.needs_object(rtype.width + 1) or a.dtype == object or b.dtype == object:
            a, b = engine.as_object(a), engine.as_object(b)
        return a, b

    def _exact(self, raw: NDArray[Any], rtype: FixedType) -> FixedArray:
        return FixedArray(raw, rtype, np.zeros(0, dtype=bool))

    @staticmethod
    def _align(raw: NDArray[Any], shift: int) -> NDArray[Any]:
        if raw.dtype == np.float64:
            out: NDArray[Any] = raw * 2.0**shift
            return out
        return raw << shift

    def __add__(self, other: FixedArray) -> FixedArray:
        rtype = plus_type(self.type, other.type)
        a, b = self._operands(other, rtype)
        align = self._align
        return self._exact(align(a, rtype.frac - self.type.frac) + align(b, rtype.frac - other.type.frac), rtype)

    def __sub__(self, other: FixedArray) -> FixedArray:
        rtype = minus_type(self.type, other.type)
        a, b = self._operands(other, rtype)
        align = self._align
        return self._exact(align(a, rtype.frac - self.type.frac) - align(b, rtype.frac - other.type.frac), rtype)

    def __mul__(self, other: FixedArray) -> FixedArray:
        rtype = mult_type(self.type, other.type)
        a, b = self._operands(other, rtype)
        return self._exact(a * b, rtype)

    def __rshift__(self, shift: ArrayLike) -> FixedArray:
        """``x >> k`` of ap_fixed (``k >= 0``, per element or one for all): the same type, the raw bits
        shifted right arithmetically, i.e. ``floor(raw / 2**k)``; a shift past the width leaves the
        sign (0 or -1), as the headers do (``ap_fixed_base::operator>>``)."""
        k = np.asarray(shift)
        if k.dtype.kind not in "iu" or (k.size and int(k.min()) < 0):
            raise FixedPointError(f"a fixed-point right shift needs non-negative integer amounts, got {shift!r}")
        raw = self.int_raw()
        if raw.dtype == object:
            out: NDArray[Any] = np.vectorize(lambda v, s: v >> s, otypes=[object])(raw, k)
        else:  # numpy's >> of int64 by >= 64 gives the sign, like the arithmetic shift it stands for
            out = raw >> k.astype(np.int64)
        return FixedArray(out, self.type, np.zeros(0, dtype=bool))
