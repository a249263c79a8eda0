"""The fixed-point type: ``ap_fixed<W,I,Q,O,N>``, ``ap_ufixed``, ``ap_int<W>``, ``ap_uint<W>``.

This module is the one place where a C++ type spelling is parsed or printed; the emulator, the
quantization-aware training and the HLS templates all take their types from here.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from trigger.errors import FixedTypeSyntaxError, UnsupportedFixedType

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

    from trigger.fixed.array import FixedArray

__all__ = ["MAX_WIDTH", "FixedType", "Overflow", "Quantization"]

#: ap_types' default ``AP_INT_MAX_W``: the widest type the headers accept without a macro.
MAX_WIDTH = 1024


class Quantization(enum.Enum):
    """What happens to the bits below the least significant bit (ap_types ``ap_q_mode``)."""

    AP_RND = "AP_RND"  #: round half towards +inf
    AP_RND_ZERO = "AP_RND_ZERO"  #: round half towards zero
    AP_RND_MIN_INF = "AP_RND_MIN_INF"  #: round half towards -inf
    AP_RND_INF = "AP_RND_INF"  #: round half away from zero
    AP_RND_CONV = "AP_RND_CONV"  #: round half to even (convergent)
    AP_TRN = "AP_TRN"  #: truncate towards -inf (the default)
    AP_TRN_ZERO = "AP_TRN_ZERO"  #: truncate towards zero


class Overflow(enum.Enum):
    """What happens to a value outside the representable range (ap_types ``ap_o_mode``)."""

    AP_SAT = "AP_SAT"  #: clamp to min/max
    AP_SAT_ZERO = "AP_SAT_ZERO"  #: set to zero
    AP_SAT_SYM = "AP_SAT_SYM"  #: clamp to -max/max (signed), min/max (unsigned)
    AP_WRAP = "AP_WRAP"  #: keep the low W bits (the default)
    AP_WRAP_SM = "AP_WRAP_SM"  #: sign-magnitude wrap (parsed, not emulated)


_MODE_ALIASES: dict[str, str] = {}
for _enum in (Quantization, Overflow):
    for _member in _enum:
        _MODE_ALIASES[_member.value] = _member.value
        _MODE_ALIASES[_member.value.removeprefix("AP_")] = _member.value

_TYPE_RE = re.compile(r"^\s*(?:ap_)?(?P<kind>fixed|ufixed|int|uint)\s*<(?P<args>[^<>]*)>\s*$", re.IGNORECASE)


def _parse_int(text: str, what: str, spelling: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise FixedTypeSyntaxError(
            f"cannot parse {what} {text.strip()!r} in {spelling!r}: expected an integer, "
            "as in 'ap_fixed<16,6,AP_RND,AP_SAT>'"
        ) from None


def _parse_mode(text: str, enum_type: type[Quantization] | type[Overflow], spelling: str) -> Any:
    key = _MODE_ALIASES.get(text.strip().upper())
    names = ", ".join(m.value for m in enum_type)
    if key is None or key not in enum_type.__members__:
        raise FixedTypeSyntaxError(
            f"unknown {enum_type.__name__.lower()} mode {text.strip()!r} in {spelling!r}; expected one of {names}"
        )
    return enum_type[key]


def _as_mode(mode: Any, enum_type: type[Quantization] | type[Overflow]) -> Any:
    if isinstance(mode, enum_type):
        return mode
    return _parse_mode(str(mode), enum_type, str(mode))


@dataclass(frozen=True)
class FixedType:
    """An immutable ap_types fixed-point (or integer) type.

    ``width`` is W, ``integer`` is I (may be negative or larger than W, as C++ allows), so the value of a
    raw W-bit integer ``r`` is ``r * 2**-(W - I)``.  ``is_int`` marks ``ap_int``/``ap_uint``: same
    arithmetic as ``ap_fixed<W,W>`` but C's conversion rules from double and from fixed point.

    >>> t = FixedType.from_string("ap_fixed<8,3,AP_RND,AP_SAT>")
    >>> str(t), t.min, t.max, t.lsb
    ('ap_fixed<8,3,AP_RND,AP_SAT>', -4.0, 3.96875, 0.03125)
    """

    width: int
    integer: int
    signed: bool = True
    rounding: Quantization = Quantization.AP_TRN
    overflow: Overflow = Overflow.AP_WRAP
    saturation_bits: int = 0
    is_int: bool = False
    #: how many template arguments the user spelled; only affects ``str`` (round-trips the spelling)
    spelled_args: int = field(default=0, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("width", "integer", "saturation_bits"):
            if not isinstance(getattr(self, name), (int, np.integer)) or isinstance(getattr(self, name), bool):
                raise FixedTypeSyntaxError(f"{name} must be an integer, got {getattr(self, name)!r}")
        if not 1 <= self.width <= MAX_WIDTH:
            raise UnsupportedFixedType(
                f"width W={self.width} is outside 1..{MAX_WIDTH} (ap_types' AP_INT_MAX_W); choose a width in that range"
            )
        if self.is_int and (
            self.integer != self.width
            or self.rounding is not Quantization.AP_TRN
            or self.overflow is not Overflow.AP_WRAP
        ):
            raise FixedTypeSyntaxError("ap_int/ap_uint have I == W, AP_TRN and AP_WRAP; use ap_fixed for more")
        if self.saturation_bits != 0:
            raise UnsupportedFixedType(
                f"{self}: saturation bits N={self.saturation_bits} are not emulated bit-exactly yet; use N=0"
            )
        if self.overflow is Overflow.AP_WRAP_SM:
            raise UnsupportedFixedType(f"{self}: AP_WRAP_SM is not emulated bit-exactly yet; use AP_WRAP or AP_SAT")

    # ----------------------------------------------------------------- constructors
    @classmethod
    def ap_fixed(
        cls,
        width: int,
        integer: int,
        rounding: Quantization | str = Quantization.AP_TRN,
        overflow: Overflow | str = Overflow.AP_WRAP,
    ) -> FixedType:
        """``ap_fixed<width, integer, rounding, overflow>``."""
        return cls(width, integer, True, _as_mode(rounding, Quantization), _as_mode(overflow, Overflow))

    @classmethod
    def ap_ufixed(
        cls,
        width: int,
        integer: int,
        rounding: Quantization | str = Quantization.AP_TRN,
        overflow: Overflow | str = Overflow.AP_WRAP,
    ) -> FixedType:
        """``ap_ufixed<width, integer, rounding, overflow>``."""
        return cls(width, integer, False, _as_mode(rounding, Quantization), _as_mode(overflow, Overflow))

    @classmethod
    def ap_int(cls, width: int) -> FixedType:
        """``ap_int<width>``."""
        return cls(width, width, True, is_int=True)

    @classmethod
    def ap_uint(cls, width: int) -> FixedType:
        """``ap_uint<width>``."""
        return cls(width, width, False, is_int=True)

    @classmethod
    def from_string(cls, spelling: str) -> FixedType:
        """Parse the C++ spelling; also accepts hls4ml's short forms (``fixed<16,6>``, ``RND``, ``SAT``)."""
        if not isinstance(spelling, str):
            raise FixedTypeSyntaxError(f"expected a type spelling such as 'ap_fixed<16,6>', got {spelling!r}")
        match = _TYPE_RE.match(spelling)
        if match is None:
            raise FixedTypeSyntaxError(
                f"cannot parse fixed-point type {spelling!r}; expected ap_fixed<W,I[,Q[,O[,N]]]>, "
                "ap_ufixed<...>, ap_int<W> or ap_uint<W>"
            )
        kind = match["kind"].lower()
        args = [a for a in match["args"].split(",")]
        if kind in ("int", "uint"):
            if len(args) != 1:
                raise FixedTypeSyntaxError(f"{spelling!r}: ap_{kind} takes exactly one argument, the width")
            width = _parse_int(args[0], "width", spelling)
            return cls(width, width, kind == "int", is_int=True, spelled_args=1)
        if not 2 <= len(args) <= 5:
            raise FixedTypeSyntaxError(f"{spelling!r}: ap_{kind} takes 2 to 5 arguments <W,I,Q,O,N>")
        width = _parse_int(args[0], "width", spelling)
        integer = _parse_int(args[1], "integer bits", spelling)
        rounding = _parse_mode(args[2], Quantization, spelling) if len(args) > 2 else Quantization.AP_TRN
        overflow = _parse_mode(args[3], Overflow, spelling) if len(args) > 3 else Overflow.AP_WRAP
        nbits = _parse_int(args[4], "saturation bits", spelling) if len(args) > 4 else 0
        return cls(width, integer, kind == "fixed", rounding, overflow, nbits, spelled_args=len(args))

    def replace(self, **changes: Any) -> FixedType:
        """A copy with some fields changed (the type itself is immutable)."""
        return replace(self, **changes)

    # ----------------------------------------------------------------- spelling
    def __str__(self) -> str:
        if self.is_int:
            return f"ap_{'' if self.signed else 'u'}int<{self.width}>"
        args = [
            str(self.width),
            str(self.integer),
            self.rounding.value,
            self.overflow.value,
            str(self.saturation_bits),
        ]
        needed = 2
        if self.rounding is not Quantization.AP_TRN:
            needed = 3
        if self.overflow is not Overflow.AP_WRAP:
            needed = 4
        if self.saturation_bits:
            needed = 5
        n = max(needed, min(self.spelled_args, 5))
        return f"ap_{'' if self.signed else 'u'}fixed<{','.join(args[:n])}>"

    # ----------------------------------------------------------------- range
    @property
    def frac(self) -> int:
        """Fractional bits F = W - I (negative when I > W)."""
        return self.width - self.integer

    @property
    def min_raw(self) -> int:
        """Smallest raw integer: -2**(W-1) signed, 0 unsigned."""
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def max_raw(self) -> int:
        """Largest raw integer: 2**(W-1)-1 signed, 2**W-1 unsigned."""
        return (1 << (self.width - (1 if self.signed else 0))) - 1

    @property
    def lsb(self) -> float:
        """Value of one least significant bit, 2**-F."""
        return float(np.ldexp(1.0, -self.frac))

    @property
    def min(self) -> float:
        """Smallest representable value (exact in float64 whenever W <= 53)."""
        return float(np.ldexp(float(self.min_raw), -self.frac))

    @property
    def max(self) -> float:
        """Largest representable value (exact in float64 whenever W <= 53)."""
        return float(np.ldexp(float(self.max_raw), -self.frac))

    # ----------------------------------------------------------------- values
    def from_float(self, values: ArrayLike, *, f64: bool = False, track_overflow: bool = True) -> FixedArray:
        """Cast float64 values to this type exactly as the C++ constructor from ``double`` does.

        ``f64=True`` keeps raw integers in float64 (exact, faster; W <= 52).
        """
        from trigger.fixed.array import FixedArray

        return FixedArray.from_float(values, self, f64=f64, track_overflow=track_overflow)

    def from_raw(self, raw: ArrayLike) -> FixedArray:
        """Wrap raw integers (already in range) as values of this type."""
        from trigger.fixed.array import FixedArray

        return FixedArray.from_raw(raw, self)

    def quantize(self, values: ArrayLike) -> NDArray[np.float64]:
        """Round and saturate/wrap float64 values to this type; return them as float64.

        The result is exact whenever W <= 53; the rounding and overflow are those of the C++
        constructor from ``double``.
        """
        return self.from_float(values).to_float()
