"""hls4ml mode's dense without the per-input loop (trigger.nn.fast_hls4ml): by hand, and against the loop.

The loop (the traced path) is the one compared with hls4ml 1.3's compiled predict in test_nn_keras.py;
those tests check the untraced (vectorised) path against hls4ml too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import trigger.nn.fast as fast
from trigger.fixed import FixedType
from trigger.nn import describe, run_fixed
from trigger.nn.fast_hls4ml import _plan
from trigger.nn.layers import Accumulation, ActivationLayer, DenseLayer, Strategy

T = FixedType.from_string
WIDE = T("ap_fixed<48,24>")  # the exact-sum type a DenseLayer carries (unused in hls4ml mode)


def _dense(w: Any, b: Any, in_t: str, w_t: str, acc_t: str, res_t: str, **kw: Any) -> DenseLayer:
    return DenseLayer(
        "fc", np.array(w), np.array(b), T(in_t), T(w_t), T(w_t), T(acc_t), T(res_t), WIDE,
        accumulation=Accumulation.HLS4ML, **kw,
    )  # fmt: skip


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record, per dense call of the fast path, whether the vectorised form applied."""
    original = fast.dense_hls4ml_rows
    used: list[bool] = []

    def spy(*args: Any) -> Any:
        out = original(*args)
        used.append(out is not None)
        return out

    monkeypatch.setattr(fast, "dense_hls4ml_rows", spy)
    return used


@pytest.mark.parametrize("n_in", [64, 65])
def test_every_product_is_floored_to_the_accumulator_lsb(monkeypatch: pytest.MonkeyPatch, n_in: int) -> None:
    """ap_fixed<16,6> everywhere (products have 20 fraction bits, the accumulator 10): x = -2**-10 times
    w = 2**-10 is -2**-20, floored to -2**-10; times w = 1 + 2**-10 it is -2**-10 - 2**-20, floored to
    -2 * 2**-10. By hand: n_in * -1/1024 and n_in * -2/1024, where the exact sums are -n_in/2**20 and
    -n_in (1/1024 + 1/2**20). Every residue is the largest, 2**10 - 1: 64 of them still sum in 16 bits,
    65 do not (the wider sum)."""
    t = "ap_fixed<16,6>"
    w = np.tile([[2**-10, 1 + 2**-10]], (n_in, 1))
    model = describe("floors", t, [_dense(w, [0.0, 0.0], t, t, t, t)])
    used = _spy(monkeypatch)
    x = np.full((7, n_in), -(2**-10))
    out = run_fixed(model, x).to_float()
    traced, _ = run_fixed(model, x, trace=True)
    assert used == [True]
    assert (out == [-n_in / 1024, -2 * n_in / 1024]).all()
    np.testing.assert_array_equal(out, traced.to_float())
    plan = _plan(model.layers[0], T(t))
    assert plan is not None and plan.sum_dtype == (np.uint16 if n_in == 64 else np.uint32)


# (input, weight, accumulator, result, the vectorised form applies)
CASES = [
    ("ap_fixed<16,6>", "ap_fixed<16,6>", "ap_fixed<16,6>", "ap_fixed<16,6>", True),  # k = 10, wraps
    ("ap_fixed<18,2>", "ap_fixed<12,2>", "ap_fixed<16,6>", "ap_fixed<10,4,AP_RND,AP_SAT>", True),  # k = 16
    ("ap_fixed<18,1>", "ap_fixed<12,2>", "ap_fixed<16,6>", "ap_fixed<16,6>", False),  # k = 17: the loop
    ("ap_fixed<12,4>", "ap_fixed<10,2>", "ap_fixed<32,8>", "ap_fixed<16,6,AP_RND_CONV,AP_SAT>", True),  # k = -8
    ("ap_ufixed<9,3>", "ap_fixed<7,1>", "ap_ufixed<12,4>", "ap_ufixed<12,4>", True),  # unsigned accumulator wraps
    ("ap_fixed<8,3>", "ap_fixed<8,2>", "ap_fixed<24,12,AP_TRN,AP_SAT>", "ap_fixed<12,6>", True),  # cannot saturate
    ("ap_fixed<8,3>", "ap_fixed<8,2>", "ap_fixed<10,4,AP_TRN,AP_SAT>", "ap_fixed<10,4>", True),  # rows checked
    ("ap_fixed<8,3>", "ap_fixed<8,2>", "ap_fixed<10,4,AP_RND,AP_WRAP>", "ap_fixed<10,4>", True),  # p + half, floored
    ("ap_fixed<12,4>", "ap_fixed<12,4>", "ap_fixed<12,4,AP_RND,AP_SAT_SYM>", "ap_fixed<12,4>", True),
    ("ap_fixed<12,4>", "ap_fixed<12,4>", "ap_fixed<12,4,AP_TRN,AP_SAT_ZERO>", "ap_fixed<12,4>", True),
    ("ap_fixed<8,3>", "ap_fixed<8,2>", "ap_fixed<10,4,AP_RND_CONV,AP_WRAP>", "ap_fixed<10,4>", False),  # ties
]


#: where the accumulator wraps or saturates on these inputs (saturated rows take the loop)
OVERFLOWING = {
    ("ap_fixed<16,6>", "ap_fixed<16,6>"),
    ("ap_fixed<8,3>", "ap_fixed<10,4,AP_TRN,AP_SAT>"),
    ("ap_fixed<12,4>", "ap_fixed<12,4,AP_RND,AP_SAT_SYM>"),
    ("ap_fixed<12,4>", "ap_fixed<12,4,AP_TRN,AP_SAT_ZERO>"),
}


@pytest.mark.parametrize(("in_t", "w_t", "acc_t", "res_t", "vectorised"), CASES)
@pytest.mark.parametrize("strategy", [Strategy.LATENCY, Strategy.RESOURCE])
def test_vectorised_dense_is_the_loop_bit_for_bit(
    monkeypatch: pytest.MonkeyPatch, in_t: str, w_t: str, acc_t: str, res_t: str, vectorised: bool, strategy: Strategy
) -> None:
    """Random weights at the weight type's ends too, inputs at the input type's ends and beyond, relu after:
    the fast path equals the loop on every output, wraps included, and is used exactly where it applies."""
    rng = np.random.default_rng(hash((in_t, acc_t)) % 2**32)
    wt, xt = T(w_t), T(in_t)
    n_in, n_out = 23, 9
    w = rng.uniform(wt.min, wt.max, (n_in, n_out))
    w[:, 0] = wt.max
    w[:3, 1] = wt.min
    dense = _dense(w, rng.uniform(-2, 2, n_out), in_t, w_t, acc_t, res_t, reuse_factor=23, strategy=strategy)
    relu = ActivationLayer("fc_relu", "relu", n_out, T(res_t), T("ap_ufixed<9,5,AP_RND,AP_SAT>"))
    model = describe("dense", in_t, [dense, relu])
    x = rng.uniform(xt.min, xt.max, (3000, n_in))
    x[:200] = rng.choice([xt.min, xt.max, xt.max * 4, -xt.lsb], (200, n_in))  # the ends, saturated, -1 raw
    x[200:400] = rng.integers(-8, 8, (200, n_in)) * xt.lsb  # small raws: residues of every kind
    used = _spy(monkeypatch)
    out = run_fixed(model, x).to_float()
    traced, traces = run_fixed(model, x, trace=True)
    np.testing.assert_array_equal(out, traced.to_float())
    assert used[0] is vectorised
    if (in_t, acc_t) in OVERFLOWING:
        assert traces[1].overflows > 0  # the accumulator did wrap or saturate (those rows take the loop)


def test_rounded_products_and_inputs_whose_weights_are_whole_lsbs(monkeypatch: pytest.MonkeyPatch) -> None:
    """AP_RND products (floor of p + half an accumulator LSB), x = 2**-10 (1 raw) on four inputs; inputs 0 and 1
    have weights +-1.0 (no bits below the accumulator's LSB: their residue is the half alone). By hand, in
    units of 2**-10: column 0, 1.0 twice and 0.5 (half an LSB, rounded up) twice: 1 + 1 + 1 + 1 = 4;
    column 1, -1.0 twice and 2**-10 (2**-20, rounded to 0) twice: -1 - 1 + 0 + 0 = -2."""
    t, acc = "ap_fixed<16,6>", "ap_fixed<16,6,AP_RND,AP_WRAP>"
    w = [[1.0, -1.0], [1.0, -1.0], [0.5, 2**-10], [0.5, 2**-10]]
    model = describe("rounded", t, [_dense(w, [0.0, 0.0], t, t, acc, t)])
    used = _spy(monkeypatch)
    x = np.full((5, 4), 2**-10)
    out = run_fixed(model, x).to_float()
    assert used == [True]
    assert (out == [4 / 1024, -2 / 1024]).all()
    np.testing.assert_array_equal(out, run_fixed(model, x, trace=True)[0].to_float())


def test_a_row_whose_floors_saturate_takes_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """ap_fixed<8,4,AP_TRN,AP_SAT> accumulator, nine products -0.9375 * 0.9375 = -225/256, each floored to
    -15/16: the exact |sum| (126.6/16) fits, the floors (-135/16) do not: by hand the sum saturates at
    -128/16 = -8. The bound counts one unit per floored product, so the row goes through the loop."""
    t, acc = "ap_fixed<8,4>", "ap_fixed<8,4,AP_TRN,AP_SAT>"
    model = describe("floors", t, [_dense(np.full((9, 1), 0.9375), [0.0], t, t, acc, acc)])
    used = _spy(monkeypatch)
    x = np.full((3, 9), -0.9375)
    x[1] = 0.0
    out = run_fixed(model, x).to_float()
    assert used == [True]
    assert out[:, 0].tolist() == [-8.0, 0.0, -8.0]
