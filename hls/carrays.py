"""Constant data as the C++ sees it: raw words in plain integer arrays, and lookup-table index structs.

Values are written as the raw integers of their fixed-point type (``l1t::from_raw<T>`` reads
them back, a bit reinterpretation): exact at any width up to 64 bits, and plain constant data
for g++ (5 000 ``ap_fixed`` objects initialised from hex-float doubles cost g++ over 30 s).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from numpy.typing import NDArray

from trigger.errors import ModelError
from trigger.fixed import FixedType
from trigger.nn.layers import LookupTable

__all__ = ["CArray", "CTable", "ctable"]


@dataclass
class CArray:
    """One constant array (weights, bias, table, offsets, shifts) written as a header of raw words."""

    name: str
    type: FixedType
    raw: NDArray[Any]

    @property
    def size(self) -> int:
        return int(self.raw.size)

    @property
    def word(self) -> str:
        """Smallest C integer type holding the raw bits (plain constant data: nothing to construct)."""
        if self.type.width > 64:
            raise ModelError(
                f"array {self.name} has type {self.type}, wider than 64 bits; use a narrower weight/table precision"
            )
        bits = next(b for b in (8, 16, 32, 64) if self.type.width <= b)
        return f"{'' if self.type.signed else 'u'}int{bits}_t"

    def literals(self) -> list[str]:
        """The raw integers, exactly (two's complement value of each W-bit word)."""
        out = []
        for v in self.raw.reshape(-1).tolist():
            v = int(v)
            if v == -(2**63):
                out.append("(-9223372036854775807LL - 1)")
            elif abs(v) >= 2**31:
                out.append(f"{v}{'LL' if self.type.signed else 'ULL'}")
            else:
                out.append(str(v))
        return out


@dataclass
class CTable:
    """A LookupTable as the C++ sees it: index config struct plus the constant array."""

    config: str
    array: CArray
    in_t: FixedType
    lo_raw: int
    shift: int
    toward_zero: bool = False

    @property
    def raw_t(self) -> FixedType:
        return FixedType.ap_int(self.in_t.width) if self.in_t.signed else FixedType.ap_uint(self.in_t.width)

    @property
    def diff_t(self) -> FixedType:
        """Holds ``raw + 2**shift - lo_raw`` for every raw of ``in_t``."""
        return FixedType.ap_int(max(self.in_t.width, abs(self.lo_raw).bit_length() + 1, self.shift + 1) + 2)


def ctable(config: str, array_name: str, table: LookupTable) -> CTable:
    """The C++ view of ``table``: index struct ``config``, entries in the array ``array_name``."""
    if not -(2**62) < table.lo_raw < 2**62 or table.input_t.width > 60:
        raise ModelError(f"table {array_name}: input type {table.input_t} is too wide for a 64-bit index")
    array = CArray(array_name, table.table_t, table.values_raw)
    return CTable(config, array, table.input_t, table.lo_raw, table.shift, table.toward_zero)
