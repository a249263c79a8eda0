"""FixedType: spelling, range, errors; FixedArray arithmetic types and exactness (no g++ needed)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trigger.errors import FixedPointError, FixedTypeSyntaxError, UnsupportedFixedType
from trigger.fixed import FixedArray, FixedType, Overflow, Quantization, mult_type, plus_type


@pytest.mark.parametrize(
    "spelling",
    [
        "ap_fixed<16,6>",
        "ap_fixed<8,3,AP_RND,AP_SAT>",
        "ap_fixed<16,6,AP_RND_CONV,AP_SAT>",
        "ap_ufixed<10,0,AP_RND_ZERO>",
        "ap_fixed<4,9,AP_TRN,AP_SAT_SYM>",
        "ap_fixed<5,-3,AP_TRN_ZERO,AP_SAT_ZERO>",
        "ap_fixed<8,3,AP_TRN,AP_WRAP>",
        "ap_fixed<8,3,AP_TRN,AP_WRAP,0>",
        "ap_int<1>",
        "ap_uint<64>",
    ],
)
def test_spelling_round_trips(spelling: str) -> None:
    t = FixedType.from_string(spelling)
    assert str(t) == spelling
    assert FixedType.from_string(str(t)) == t
    assert hash(FixedType.from_string(str(t))) == hash(t)


def test_short_forms_and_whitespace_parse_to_the_same_type() -> None:
    canonical = FixedType.from_string("ap_fixed<16,6,AP_RND,AP_SAT>")
    assert FixedType.from_string(" fixed< 16 , 6, RND, SAT > ") == canonical
    assert FixedType.ap_fixed(16, 6, "AP_RND", "SAT") == canonical
    assert str(FixedType.ap_fixed(16, 6, Quantization.AP_RND)) == "ap_fixed<16,6,AP_RND>"
    assert str(FixedType.ap_uint(12)) == "ap_uint<12>"


def test_range_and_resolution() -> None:
    t = FixedType.from_string("ap_fixed<8,3>")
    assert (t.min, t.max, t.lsb) == (-4.0, 3.96875, 0.03125)
    u = FixedType.from_string("ap_ufixed<8,3>")
    assert (u.min, u.max, u.lsb) == (0.0, 7.96875, 0.03125)
    wide_i = FixedType.from_string("ap_fixed<4,10>")  # I > W: steps of 2**6
    assert (wide_i.min, wide_i.max, wide_i.lsb) == (-512.0, 448.0, 64.0)
    neg_i = FixedType.from_string("ap_ufixed<4,-2>")  # I < 0: all bits below 2**-2
    assert (neg_i.min, neg_i.max, neg_i.lsb) == (0.0, 15 / 64, 1 / 64)
    one = FixedType.from_string("ap_fixed<1,1>")
    assert (one.min, one.max) == (-1.0, 0.0)


@pytest.mark.parametrize(
    ("spelling", "error"),
    [
        ("ap_fixed<16>", FixedTypeSyntaxError),
        ("ap_fixed<16,6,AP_ROUND>", FixedTypeSyntaxError),
        ("ap_fixed<16,6,AP_RND,AP_CLAMP>", FixedTypeSyntaxError),
        ("ap_fixed<x,6>", FixedTypeSyntaxError),
        ("float", FixedTypeSyntaxError),
        ("ap_fixed<0,0>", UnsupportedFixedType),
        ("ap_fixed<2000,10>", UnsupportedFixedType),
        ("ap_fixed<8,3,AP_TRN,AP_WRAP,2>", UnsupportedFixedType),
        ("ap_fixed<8,3,AP_TRN,AP_WRAP_SM>", UnsupportedFixedType),
    ],
)
def test_bad_spellings_raise_clear_errors(spelling: str, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        FixedType.from_string(spelling)
    assert isinstance(info.value, ValueError)
    assert "ap_" in str(info.value) or "width" in str(info.value)


def test_quantize_rounding_modes_on_ties() -> None:
    ties = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5])  # on ap_fixed<8,8>: halfway between integers
    expected = {
        Quantization.AP_RND: [-2, -1, 0, 1, 2, 3],
        Quantization.AP_RND_ZERO: [-2, -1, 0, 0, 1, 2],
        Quantization.AP_RND_MIN_INF: [-3, -2, -1, 0, 1, 2],
        Quantization.AP_RND_INF: [-3, -2, -1, 1, 2, 3],
        Quantization.AP_RND_CONV: [-2, -2, 0, 0, 2, 2],
        Quantization.AP_TRN: [-3, -2, -1, 0, 1, 2],
        Quantization.AP_TRN_ZERO: [-2, -1, 0, 0, 1, 2],
    }
    for mode, want in expected.items():
        got = FixedType(8, 8, True, mode).quantize(ties)
        assert got.tolist() == want, mode


def test_quantize_overflow_modes() -> None:
    x = np.array([-300.0, -129.0, -128.0, 127.0, 128.0, 300.0])
    expected = {
        Overflow.AP_WRAP: [-44, 127, -128, 127, -128, 44],
        Overflow.AP_SAT: [-128, -128, -128, 127, 127, 127],
        Overflow.AP_SAT_ZERO: [0, 0, -128, 127, 0, 0],
        Overflow.AP_SAT_SYM: [-127, -127, -127, 127, 127, 127],
    }
    for mode, want in expected.items():
        fx = FixedType(8, 8, True, Quantization.AP_TRN, mode).from_float(x)
        assert fx.to_float().tolist() == want, mode
    assert FixedType(8, 8, True, overflow=Overflow.AP_SAT).from_float(x).overflowed.tolist() == [
        True,
        True,
        False,
        False,
        True,
        True,
    ]


@pytest.mark.parametrize(
    "spelling", ["ap_fixed<8,3>", "ap_fixed<8,3,AP_RND_CONV,AP_SAT>", "ap_fixed<60,3,AP_RND,AP_SAT>"]
)
def test_nan_is_rejected_with_its_position(spelling: str) -> None:
    with pytest.raises(FixedPointError, match=r"NaN.*index 2"):
        FixedType.from_string(spelling).quantize(np.array([0.0, 1.0, np.nan, 5.0]))


def test_result_types_follow_ap_types() -> None:
    a = FixedType.from_string("ap_fixed<8,3>")
    b = FixedType.from_string("ap_ufixed<6,2>")
    assert str(plus_type(a, b)) == "ap_fixed<9,4>"
    assert str(mult_type(a, b)) == "ap_fixed<14,5>"
    assert str(plus_type(FixedType.ap_int(8), FixedType.ap_uint(8))) == "ap_int<10>"


@settings(max_examples=300, deadline=None)
@given(
    wa=st.integers(1, 40),
    ia=st.integers(-10, 50),
    wb=st.integers(1, 40),
    ib=st.integers(-10, 50),
    sa=st.booleans(),
    sb=st.booleans(),
    data=st.data(),
)
def test_arithmetic_is_exact(wa: int, ia: int, wb: int, ib: int, sa: bool, sb: bool, data: st.DataObject) -> None:
    """Sums, differences and products equal exact rational arithmetic (int64 and object paths)."""
    ta, tb = FixedType(wa, ia, sa), FixedType(wb, ib, sb)
    ra = data.draw(st.lists(st.integers(ta.min_raw, ta.max_raw), min_size=1, max_size=8))
    rb = data.draw(st.lists(st.integers(tb.min_raw, tb.max_raw), min_size=len(ra), max_size=len(ra)))
    a, b = ta.from_raw(np.array(ra, dtype=object)), tb.from_raw(np.array(rb, dtype=object))

    def exact(fx: FixedArray) -> list[Fraction]:
        return [Fraction(int(r)) * Fraction(2) ** -fx.type.frac for r in fx.to_python_ints()]

    for result, op in ((a + b, lambda p, q: p + q), (a - b, lambda p, q: p - q), (a * b, lambda p, q: p * q)):
        assert exact(result) == [op(p, q) for p, q in zip(exact(a), exact(b), strict=True)]
        ints = result.to_python_ints()
        assert all(result.type.min_raw <= int(v) <= result.type.max_raw for v in ints)


def test_wide_values_take_the_exact_object_path() -> None:
    t = FixedType.from_string("ap_fixed<64,40,AP_RND_CONV,AP_SAT>")
    fx = t.from_float(np.array([2.0**38 + 2.0**-14, -(2.0**50)]))
    assert fx.raw.dtype == object
    assert [int(v) for v in fx.raw] == [2**62 + 2**10, t.min_raw]
    product = fx * fx
    assert product.type.width == 128
    assert int(product.raw[0]) == (2**62 + 2**10) ** 2


def test_from_raw_rejects_out_of_range() -> None:
    with pytest.raises(FixedPointError, match="outside"):
        FixedType.from_string("ap_fixed<4,2>").from_raw(np.array([8]))
