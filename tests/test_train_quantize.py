"""The Keras QAT quantizer against FixedType.quantize (the project's ap_types truth), every mode."""

from __future__ import annotations

import itertools
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf

from trigger.errors import FixedTypeSyntaxError
from trigger.fixed import FixedArray, FixedType, Overflow, Quantization
from trigger.train import as_type, fixed_quantize

# W, I, signed: narrow, wide, I < 0 (all fraction), I > W (LSB above 1), unsigned
SHAPES = [(6, 1, True), (16, 6, True), (5, -2, True), (4, 7, True), (8, 3, False), (1, 1, True), (12, 0, False)]
OVERFLOWS = [o for o in Overflow if o is not Overflow.AP_WRAP_SM]


def _values(t: FixedType, rng: np.random.Generator) -> np.ndarray:
    """Ties at every half LSB of the range and beyond it, random values, range edges, +-0, huge values."""
    lsb, reach = t.lsb, 2 * max(-t.min_raw, t.max_raw) + 2  # in LSBs: twice the range, both signs
    halves = rng.integers(-2 * reach, 2 * reach + 1, 20000) * (lsb / 2)  # ties and exact values
    near = np.arange(-16, 17) * (lsb / 2)
    ends = np.concatenate([near + t.min, near + t.max, near, near - t.max])
    rand = rng.uniform(-reach * lsb, reach * lsb, 4000)
    huge = np.array([1e6, -1e6, 3.5e15, -3.5e15])
    x = np.concatenate([halves, ends, np.nextafter(ends, np.inf), np.nextafter(ends, -np.inf), rand, huge, [-0.0]])
    # TensorFlow's CPU kernels read subnormals as zero (denormals-are-zero): documented, excluded here
    return x[(x == 0) | (np.abs(x) >= np.finfo(np.float64).tiny)]


@pytest.mark.parametrize(("rounding", "overflow"), list(itertools.product(Quantization, OVERFLOWS)))
def test_float64_op_equals_fixedtype_quantize(rounding: Quantization, overflow: Overflow) -> None:
    rng = np.random.default_rng(list(Quantization).index(rounding) * 10 + OVERFLOWS.index(overflow))
    for width, integer, signed in SHAPES:
        t = FixedType(width, integer, signed, rounding, overflow)
        x = _values(t, rng)
        got = fixed_quantize(tf.constant(x, dtype=tf.float64), t).numpy()
        np.testing.assert_array_equal(got, t.quantize(x), err_msg=str(t))


@pytest.mark.parametrize("overflow", OVERFLOWS)
def test_float32_op_is_exact_below_the_float32_mantissa(overflow: Overflow) -> None:
    """Training runs in float32: for W <= 24 and |x| * 2**F < 2**23 the op is still FixedType's value."""
    rng = np.random.default_rng(3)
    for rounding in Quantization:
        for width, integer, signed in SHAPES:
            t = FixedType(width, integer, signed, rounding, overflow)
            x = _values(t, rng).astype(np.float32)
            x = x[(np.abs(x.astype(np.float64)) * 2.0**t.frac < 2**23) & ((x == 0) | (np.abs(x) >= 2.0**-126))]
            got = fixed_quantize(tf.constant(x), t).numpy().astype(np.float64)
            np.testing.assert_array_equal(got, t.quantize(x.astype(np.float64)), err_msg=str(t))


@pytest.mark.parametrize("spelling", ["ap_fixed<6,2,AP_RND,AP_SAT>", "ap_ufixed<6,2,AP_TRN,AP_SAT_ZERO>"])
def test_clip_gradient_is_zero_exactly_where_the_cast_overflows(spelling: str) -> None:
    t = FixedType.from_string(spelling)
    x = np.linspace(-6.0, 6.0, 1201)
    xt = tf.constant(x)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(xt)
        clipped = fixed_quantize(xt, t, "clip")
        straight = fixed_quantize(xt, t, "identity")
    overflowed = FixedArray.from_float(x, t).overflowed  # the engine's own overflow flags
    assert overflowed.any() and not overflowed.all()
    np.testing.assert_array_equal(tape.gradient(clipped, xt).numpy(), np.where(overflowed, 0.0, 1.0))
    np.testing.assert_array_equal(tape.gradient(straight, xt).numpy(), np.ones_like(x))


def test_wrapping_types_pass_the_gradient_everywhere() -> None:
    t = FixedType.from_string("ap_fixed<6,2>")
    xt = tf.constant(np.linspace(-6.0, 6.0, 101))
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = fixed_quantize(xt, t, "clip")
    np.testing.assert_array_equal(tape.gradient(y, xt).numpy(), np.ones(101))


def test_bad_precisions_are_named() -> None:
    with pytest.raises(FixedTypeSyntaxError, match=r"fc1 weight: cannot parse"):
        as_type("ap_fixd<6,1>", "fc1 weight")
    with pytest.raises(FixedTypeSyntaxError, match=r"integer type; use ap_fixed"):
        as_type("ap_int<8>", "fc1 weight")
    with pytest.raises(ValueError, match="ste must be one of"):
        fixed_quantize(tf.constant([1.0]), FixedType(8, 3), "round")
