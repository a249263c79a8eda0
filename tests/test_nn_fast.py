"""The fused fast path's shortcuts, each at the edge its proof covers, against the traced layer-by-layer path."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from trigger.fixed import FixedType
from trigger.nn import ScaleLayer, describe, run_fixed
from trigger.nn.layers import ActivationLayer, DenseLayer, ModelDescription

T = FixedType.from_string


def _fast_and_traced(model: ModelDescription, x: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    fast = run_fixed(model, x)
    traced, _ = run_fixed(model, x, trace=True)
    return fast.to_float(), traced.to_float()


def test_scale_shift_beyond_the_double_range_keeps_the_sign() -> None:
    """Shift 2000: 2.0**-2000 underflows to 0 in float64, the arithmetic shift still gives -1 for negatives."""
    st = T("ap_fixed<18,13,AP_TRN,AP_SAT>")
    layer = ScaleLayer("scale", st, st, T("ap_fixed<8,6,AP_TRN,AP_SAT>"), np.zeros(3), np.array([2000, 2000, 2]))
    model = describe("scaled", st, [layer])
    fast, traced = _fast_and_traced(model, [[-7.0, 7.0, -7.0], [-0.03125, 0.0, 9.0]])
    assert fast.tolist() == traced.tolist() == [[-0.25, 0.0, -1.75], [-0.25, 0.0, 2.25]]


def _dense_relu(result_t: str, act_t: str | None = None) -> tuple[DenseLayer, ActivationLayer]:
    in_t, w_t = T("ap_fixed<10,4>"), T("ap_fixed<6,1>")
    rng = np.random.default_rng(7)
    w, b = rng.uniform(-1, 1, (8, 6)), rng.uniform(-1, 1, 6)
    exact = T("ap_fixed<24,10>")
    res = T(result_t)
    dense = DenseLayer("fc", w, b, in_t, w_t, w_t, exact, res, exact)
    return dense, ActivationLayer("fc_relu", "relu", 6, res, T(act_t) if act_t else res)


def test_relu_as_one_clip_at_both_saturation_ends() -> None:
    """relu(saturate(y)) as one clip: values far beyond both ends of the result type, ties, zeros."""
    x = np.random.default_rng(8).uniform(-32, 32, (4000, 8))
    x[:10] = 31.98  # every product at its largest: sums far above the result range
    x[10:20] = -32.0
    for result_t in (
        "ap_fixed<6,2,AP_RND_CONV,AP_SAT>",
        "ap_fixed<6,2,AP_RND,AP_SAT_SYM>",
        "ap_ufixed<6,2,AP_TRN,AP_SAT>",
        "ap_fixed<6,2,AP_RND,AP_WRAP>",
        "ap_fixed<24,10>",  # result = exact sum: no cast, the clip at hi is a no-op
    ):
        dense, relu = _dense_relu(result_t)
        model = describe("dense_relu", dense.input_t, [dense, relu])
        fast, traced = _fast_and_traced(model, x)
        assert np.array_equal(fast, traced), result_t
        hi = dense.result_t.max_raw * dense.result_t.lsb
        assert (fast.min() == 0.0 and (fast == hi).any()) or result_t.endswith("<24,10>")
