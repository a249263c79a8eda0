"""The per-element quantizer layer (HGQ2's heterogeneous activations) on hand-worked values."""

from __future__ import annotations

import numpy as np
import pytest

from trigger.errors import ModelError
from trigger.fixed import FixedType, Overflow, Quantization
from trigger.nn import QuantizeLayer, describe, run_fixed
from trigger.nn.quantize_layer import union_type

IN_T = FixedType(12, 6)  # ap_fixed<12,6>: lsb 1/64


def _layer(rounding: Quantization, overflow: Overflow) -> QuantizeLayer:
    # element 0: ap_fixed<4,2> (lsb 0.25, [-2, 1.75]); 1: ap_ufixed<3,1> (lsb 0.25, [0, 1.75]);
    # 2: ap_fixed<3,3> (integers in [-4, 3]); 3: pruned (width 0)
    width, integer, signed = np.array([4, 3, 3, 0]), np.array([2, 1, 3, 0]), np.array([1, 0, 1, 1])
    live = [FixedType(4, 2), FixedType(3, 1, False), FixedType(3, 3)]
    return QuantizeLayer("q", IN_T, union_type(live), width, integer, signed, rounding, overflow)


@pytest.mark.parametrize(
    ("rounding", "overflow", "row", "expected"),
    [
        # 0.125 is a tie at lsb 0.25: AP_RND rounds it up; unsigned 1.875 -> 2.0 wraps (modulo 2) to 0; 2.5 -> 3
        (Quantization.AP_RND, Overflow.AP_WRAP, [0.125, 1.875, 2.5, 9.0], [0.25, 0.0, 3.0, 0.0]),
        # 1.875 -> 2.0 saturates to 1.75; unsigned -0.5 -> 0; -7.5 -> -7 (tie up) -> -4
        (Quantization.AP_RND, Overflow.AP_SAT, [1.875, -0.5, -7.5, 9.0], [1.75, 0.0, -4.0, 0.0]),
        # symmetric: -2.0 -> -1.75, -4 -> -3; 1.9 is 1.890625 in the input type, truncated to 1.75
        (Quantization.AP_TRN, Overflow.AP_SAT_SYM, [-2.0, 1.9, -4.0, 1.0], [-1.75, 1.75, -3.0, 0.0]),
        # -0.01 is -1/64 in the input type: floor -0.25, unsigned wraps to 1.75; 4.5 -> 4 wraps to -4
        (Quantization.AP_TRN, Overflow.AP_WRAP, [-0.01, -0.01, 4.5, 1.0], [-0.25, 1.75, -4.0, 0.0]),
    ],
)
def test_each_element_its_own_type(
    rounding: Quantization, overflow: Overflow, row: list[float], expected: list[float]
) -> None:
    layer = _layer(rounding, overflow)
    model = describe("q", IN_T, [layer])
    out, _ = run_fixed(model, [row], trace=True)
    assert out.to_float().tolist() == [expected]
    assert str(out.type) == "ap_fixed<5,3>"  # holds <4,2>, <3,1> unsigned (4 bits signed) and <3,3>
    assert run_fixed(model, [row]).to_float().tolist() == [expected]


def test_result_type_must_hold_every_element() -> None:
    with pytest.raises(ModelError, match=r"element 1 of type ap_ufixed<3,2> does not fit exactly in the result type"):
        QuantizeLayer("q", IN_T, FixedType(4, 2), np.array([4, 3]), np.array([2, 2]), np.array([1, 0]))
