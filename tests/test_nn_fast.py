"""The fused fast path's shortcuts, each at the edge its proof covers, against the traced layer-by-layer path."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.typing import ArrayLike, NDArray

import trigger.nn.fast as fast
from trigger.errors import FixedPointError
from trigger.fixed import FixedType
from trigger.nn import ScaleLayer, describe, run_fixed
from trigger.nn.layers import ActivationLayer, DenseLayer, LookupTable, ModelDescription

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


def _spy_f32(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record, per fused dense call, whether it proved float32 sums."""
    original = fast._f32_sum_reach
    used: list[bool] = []

    def spy(*args: Any) -> Any:
        out = original(*args)
        used.append(out is not None)
        return out

    monkeypatch.setattr(fast, "_f32_sum_reach", spy)
    return used


def _saturating_then(w: list[list[float]], b: list[float], w_t: str) -> ModelDescription:
    """fc1 (identity, saturating ap_fixed<16,6>) + relu, then fc2 with ``w``, ``b``: fc2's inputs reach 32767 raw."""
    in_t = T("ap_fixed<16,6,AP_RND_CONV,AP_SAT>")
    one = T("ap_fixed<2,2>")  # 1.0 is raw 1: fc1's own sums are small
    fc1 = DenseLayer("fc1", np.eye(2), np.zeros(2), in_t, one, one, T("ap_fixed<20,10>"), in_t, T("ap_fixed<20,10>"))
    relu = ActivationLayer("fc1_relu", "relu", 2, in_t, in_t)
    wt = T(w_t)
    exact = T(f"ap_fixed<{10 + wt.frac + 9},9>")
    fc2 = DenseLayer("fc2", np.array(w), np.array(b), in_t, wt, wt, exact, in_t, exact)
    return describe("edge", in_t, [fc1, relu, fc2])


def test_float32_sums_after_a_relu_use_the_signed_bound_at_its_edge(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a relu a partial sum lies between the sums of the negative and of the positive terms: weights
    +-511/512 on inputs at the top of ap_fixed<16,6> (32767 raw) bound it by 511 * 32767 + 16 * 1024 =
    16 760 321 < 2**24 exact LSBs, where the |w| bound is twice that. float32 without a pass over the data."""
    model = _saturating_then(
        [[511 / 512, -511 / 512, 511 / 512], [-511 / 512, 511 / 512, 0.0]], [16 / 512] * 3, "ap_fixed<10,1>"
    )
    used = _spy_f32(monkeypatch)
    monkeypatch.setattr(fast, "_block_reach", lambda *a: pytest.fail("the static bound should have sufficed"))
    x = np.random.default_rng(3).uniform(-40, 40, (3000, 2))
    x[:500] = 100.0  # both inputs saturated: partial sums at 511 * 32767, the bound's edge
    fast_out, traced = _fast_and_traced(model, x)
    assert np.array_equal(fast_out, traced)
    assert used[-1]
    # by hand: 0 + 1/32 twice; (32767 * 511 + 16 * 1024) / 2**19 rounded to 2**-10: 32735.002 -> 32735
    assert (fast_out[:500] == [1 / 32, 1 / 32, 32735 / 1024]).all()


def test_one_lsb_beyond_the_float32_bound_takes_float64(monkeypatch: pytest.MonkeyPatch) -> None:
    """Weight 1.0 (512 raw) and a bias of one LSB: 512 * 32767 + 1024 > 2**24, so a saturated block runs in float64."""
    model = _saturating_then([[1.0], [0.0]], [1 / 512], "ap_fixed<11,2>")
    used = _spy_f32(monkeypatch)
    x = np.full((100, 2), 100.0)
    fast_out, traced = _fast_and_traced(model, x)
    assert np.array_equal(fast_out, traced)
    assert used == [True, False]  # fc1 in float32, fc2 refused: static bound and block reach both too large


@pytest.mark.parametrize(
    "act_t",
    [
        "ap_ufixed<6,2,AP_RND,AP_SAT>",
        "ap_fixed<6,2,AP_RND_INF,AP_WRAP>",  # relu before the wrap: a large sum wraps to a negative value
        "ap_fixed<8,3,AP_TRN_ZERO,AP_SAT_ZERO>",
        "ap_fixed<6,2,AP_RND_MIN_INF,AP_SAT_SYM>",
        "ap_ufixed<9,7,AP_RND_ZERO,AP_WRAP>",
        "ap_fixed<20,3,AP_TRN,AP_SAT>",  # more fraction bits than the exact sum: a left shift, no rounding
    ],
)
@pytest.mark.parametrize("function", ["relu", "linear"])
def test_exact_dense_result_then_one_cast_to_the_activation_type(act_t: str, function: str) -> None:
    """Dense result = exact sum: the weights are scaled to the activation type's LSB, one rounding, relu
    commuted with it; every rounding and overflow mode, in float32 (sums below 2**24) and beyond both ends."""
    dense, act = _dense_relu("ap_fixed<24,10>", act_t)
    act = ActivationLayer(f"fc_{function}", function, 6, dense.result_t, act.result_t)
    model = describe("one_cast", dense.input_t, [dense, act])
    rng = np.random.default_rng(11)
    x = rng.uniform(-32, 32, (3000, 8))
    x[:300] = rng.choice([-32.0, 31.98], (300, 8))  # sums at the bound's ends
    x[300:600] = rng.integers(-64, 64, (300, 8)) / 2**6  # many sums exactly half-way between LSBs
    fast_out, traced = _fast_and_traced(model, x)
    assert np.array_equal(fast_out, traced), (act_t, function)


@pytest.mark.parametrize("act_t", ["ap_ufixed<8,3,AP_TRN,AP_WRAP>", "ap_fixed<7,4,AP_RND,AP_SAT_SYM>"])
def test_dense_result_cast_then_the_activation_cast_in_float32(act_t: str) -> None:
    """Dense result narrower than the exact sum and a second cast to the activation type: two roundings."""
    dense, act = _dense_relu("ap_fixed<16,6,AP_RND,AP_SAT>", act_t)
    model = describe("two_casts", dense.input_t, [dense, act])
    x = np.random.default_rng(12).uniform(-32, 32, (3000, 8))
    fast_out, traced = _fast_and_traced(model, x)
    assert np.array_equal(fast_out, traced)


def test_nan_input_is_the_reference_error_and_an_empty_batch_an_empty_output() -> None:
    dense, relu = _dense_relu("ap_fixed<16,6,AP_RND,AP_SAT>")
    model = describe("nan", dense.input_t, [dense, relu])
    x = np.zeros((10, 8))
    x[7, 3] = np.nan
    with pytest.raises(FixedPointError, match="NaN"):
        run_fixed(model, x)
    empty = run_fixed(model, np.zeros((0, 8)))
    assert empty.shape == (0, 6) and empty.type == relu.result_t


@pytest.mark.parametrize("in_t", ["ap_fixed<10,4,AP_RND_CONV,AP_SAT>", "ap_ufixed<8,3,AP_RND,AP_SAT_SYM>"])
def test_wide_input_cast_row_major_before_a_dense(in_t: str) -> None:
    """30 inputs before a dense layer: the cast runs on the rows as they come (BLAS reads them transposed).
    Ties, both saturation ends, infinities and an empty batch as the traced path; a NaN is its error."""
    rng = np.random.default_rng(13)
    t = T(in_t)
    dense = DenseLayer(
        "fc", rng.uniform(-1, 1, (30, 4)), rng.uniform(-1, 1, 4), t, T("ap_fixed<6,1>"), T("ap_fixed<6,1>"),
        T("ap_fixed<24,10>"), T("ap_fixed<24,10>"), T("ap_fixed<24,10>"),
    )  # fmt: skip
    model = describe("wide", t, [dense, ActivationLayer("fc_relu", "relu", 4, dense.result_t, T("ap_ufixed<9,4>"))])
    x = rng.uniform(-40, 40, (2000, 30))
    x[:100] = rng.integers(-64, 64, (100, 30)) * (t.lsb / 2)  # every other value half-way between two LSBs
    x[100:110] = np.inf
    x[110:120] = -np.inf
    fast_out, traced = _fast_and_traced(model, x)
    assert np.array_equal(fast_out, traced)
    assert run_fixed(model, np.zeros((0, 30))).shape == (0, 4)
    x[5, 7] = np.nan
    with pytest.raises(FixedPointError, match="NaN"):
        run_fixed(model, x)


@pytest.mark.parametrize(("lo_raw", "shift"), [(-300, 3), (17, 0), (-5000, 6)])
def test_table_index_on_float_raws_at_every_edge(lo_raw: int, shift: int) -> None:
    """A table whose entry k is k raw: the output is the index. By hand, clamp((raw - lo) >> shift, 0, size - 1)
    in integers, for raws at each interval's first and last value, below the table and far beyond it."""
    in_t, out_t = T("ap_fixed<16,6>"), T("ap_ufixed<9,8>")
    size = 40
    table = LookupTable(in_t, out_t, lo_raw, shift, np.arange(size))
    one = T("ap_fixed<2,2>")
    dense = DenseLayer("fc", np.eye(3), np.zeros(3), in_t, one, one, T("ap_fixed<18,8>"), in_t, T("ap_fixed<18,8>"))
    model = describe("table", in_t, [dense, ActivationLayer("fc_sigmoid", "sigmoid", 3, in_t, out_t, table=table)])
    starts = lo_raw + (np.arange(-3, size + 3) << shift)
    raws = np.concatenate([starts, starts - 1, [in_t.min_raw, in_t.max_raw, 0, -1]])
    raws = np.clip(raws, in_t.min_raw, in_t.max_raw)
    x = np.resize(raws, (len(raws) // 3 + 1) * 3).reshape(-1, 3) * in_t.lsb
    fast_out, traced = _fast_and_traced(model, x)
    by_hand = np.clip((np.round(x / in_t.lsb).astype(np.int64) - lo_raw) >> shift, 0, size - 1)
    assert np.array_equal(fast_out * 2, by_hand) and np.array_equal(traced * 2, by_hand)


@pytest.mark.parametrize(
    ("in_t", "result_t"),
    [
        ("ap_fixed<18,13,AP_RND_CONV,AP_SAT>", "ap_fixed<14,6,AP_RND_CONV,AP_SAT>"),  # the anomaly trigger's
        ("ap_fixed<12,8,AP_TRN,AP_SAT_SYM>", "ap_fixed<10,3,AP_TRN,AP_SAT_SYM>"),
        ("ap_ufixed<10,6,AP_TRN_ZERO,AP_SAT>", "ap_ufixed<10,6,AP_TRN,AP_SAT>"),
    ],
)
def test_row_scale_is_the_traced_scaling_on_every_raw(in_t: str, result_t: str) -> None:
    """The row-at-a-time float32 scaling (folded clamps) against the traced layer-by-layer path, on every raw of
    the input type and a few beyond it, each exact, at the rounding ties between them and at huge values, in
    float32 and float64 (values float32 cannot hold), for offsets at both ends of the range and shifts from 0
    to past the width."""
    from trigger.nn.fast_scale import RowScale

    t = T(in_t)
    lsb = 2.0**-t.frac
    grid = np.arange(t.min_raw - 4, t.max_raw + 5, dtype=np.float64) * lsb
    x64 = np.concatenate([grid, grid + lsb / 2, grid + lsb / 3, [1e30, -1e30, 3.0e38, -3.0e38]])
    offsets = np.array([0.0, t.max_raw * lsb, t.min_raw * lsb, 3 * lsb, -5 * lsb, t.max_raw * lsb / 2])
    offsets = t.quantize(offsets)
    shifts = np.array([0, 1, 3, t.width, t.width + 1, 40])
    layer = ScaleLayer("scale", t, t, T(result_t), offsets, shifts)
    rows, values = RowScale.of(layer), RowScale.of(layer, values=True)
    assert rows is not None and values is not None
    model = describe("scaled", t, [layer])
    for x in (x64.astype(np.float32), x64 + lsb / 7):  # float32 values; float64 ones off the float32 grid
        want = run_fixed(model, np.repeat(x.astype(np.float64)[:, None], layer.n, axis=1), trace=True)[0].raw
        for i in range(layer.n):
            got, got_values = np.empty(len(x), np.float32), np.empty(len(x), np.float32)
            rows(i, x, got)
            values(i, x, got_values)  # the values mode: the same raws times 2**-F
            assert got.astype(np.int64).tolist() == np.asarray(want[:, i], dtype=np.int64).tolist(), (x.dtype, i)
            assert got_values.tolist() == np.ldexp(np.asarray(want[:, i], dtype=np.float64), -T(result_t).frac).tolist()
    assert RowScale.of(ScaleLayer("s", t, T("ap_fixed<18,13,AP_TRN,AP_SAT>"), T(result_t), offsets, shifts)) is None


@pytest.mark.parametrize(
    ("x_t", "w_t", "lo_raw", "shift"),
    [
        ("ap_fixed<8,3>", "ap_fixed<6,1>", -700, 4),  # sums below 2**24: the float32 product
        ("ap_fixed<16,4>", "ap_fixed<16,1>", -(2**20), 12),  # 16 x 16 bits: the float64 product
        ("ap_ufixed<10,2>", "ap_fixed<9,2>", 33, 0),  # a table starting above zero, no shift
    ],
)
def test_dense_product_is_the_table_index_of_its_exact_sum(x_t: str, w_t: str, lo_raw: int, shift: int) -> None:
    """Dense (result = exact sum) + a table read by it, as one product whose value is the index: by hand,
    ``clamp((sum_raw - lo) >> shift, 0, size - 1)`` in Python integers, on sums inside, below and beyond the table;
    as the last layer (rows by features) and followed by a dense layer (a bias row), against the traced path."""
    rng = np.random.default_rng(21)
    in_t, wt = T(x_t), T(w_t)
    n_in, n_out, size = 12, 5, 64
    exact = T(f"ap_fixed<{in_t.width + wt.width + 5},{in_t.integer + wt.integer + 5}>")
    w = rng.integers(wt.min_raw, wt.max_raw + 1, (n_in, n_out)) * wt.lsb
    b = rng.integers(-(2**5), 2**5, n_out) * wt.lsb
    dense = DenseLayer("fc", w, b, in_t, wt, wt, exact, exact, exact)
    table_t = T("ap_ufixed<7,7>")
    table = LookupTable(exact, table_t, lo_raw, shift, np.arange(size))
    act = ActivationLayer("fc_tanh", "tanh", n_out, exact, table_t, table=table)
    x_raw = rng.integers(in_t.min_raw, in_t.max_raw + 1, (4000, n_in))
    x_raw[:100] = in_t.max_raw
    x_raw[100:200] = in_t.min_raw
    x_raw[200:300] = rng.integers(-2, 3, (100, n_in)).clip(in_t.min_raw)  # sums near zero, i.e. near lo
    x = x_raw * in_t.lsb
    sums = x_raw @ dense.weights_raw.astype(np.int64) + (dense.bias_raw.astype(np.int64) << in_t.frac)  # exact LSB
    by_hand = np.clip((sums - lo_raw) >> shift, 0, size - 1)
    assert 0 < (by_hand == size - 1).mean() < 1 and (0 < (by_hand == 0).mean() < 1 or lo_raw > 0)  # both ends met
    fast_out, traced = _fast_and_traced(describe("index", in_t, [dense, act]), x)
    assert np.array_equal(fast_out, by_hand) and np.array_equal(traced, by_hand)
    # entries cast to a narrower result (rounding and saturation per entry), then a dense layer reading them
    cast_act = ActivationLayer("fc_tanh", "tanh", n_out, exact, T("ap_ufixed<5,4,AP_RND,AP_SAT>"), table=table)
    one = T("ap_fixed<4,2>")
    nxt = DenseLayer(
        "fc2", rng.integers(-8, 8, (n_out, 3)) * one.lsb, np.full(3, 0.25), cast_act.result_t, one, one,
        T("ap_fixed<20,10>"), T("ap_fixed<20,10>"), T("ap_fixed<20,10>"),
    )  # fmt: skip
    fast_out, traced = _fast_and_traced(describe("index2", in_t, [dense, cast_act, nxt]), x)
    assert np.array_equal(fast_out, traced)
