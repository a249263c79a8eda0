"""Bit-accurate ``ap_fixed``/``ap_int`` types and arithmetic, as Xilinx's ap_types headers compute them.

>>> from trigger.fixed import FixedType
>>> t = FixedType.from_string("ap_fixed<8,3,AP_RND,AP_SAT>")
>>> t.quantize([0.015625, 5.0, -7.0]).tolist()
[0.03125, 3.96875, -4.0]
"""

from __future__ import annotations

from trigger.fixed.array import FixedArray, minus_type, mult_type, plus_type, result_type
from trigger.fixed.types import MAX_WIDTH, FixedType, Overflow, Quantization

__all__ = [
    "MAX_WIDTH",
    "FixedArray",
    "FixedType",
    "Overflow",
    "Quantization",
    "minus_type",
    "mult_type",
    "plus_type",
    "result_type",
]
