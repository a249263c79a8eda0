"""ScaleLayer (AXOL1TL's firmware input scaling), SumLayer (a fixed-point HT), SquareSumLayer (an
anomaly score) and SquareErrorLayer (an autoencoder's reconstruction error), built by hand.

Hand-worked cases pin the emulator's arithmetic; the C simulations (g++ against the real ap_types
headers) check every output bit on random inputs that leave the representable ranges, over several
rounding, overflow, shift and offset combinations.
"""

from __future__ import annotations

import dataclasses
import math
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from hls.csim import build_testbench, random_inputs, run_csim
from hls.estimate import estimate
from hls.writer import ProjectOptions, format_inputs, render_project, write_project
from trigger.errors import FixedPointError, ModelError
from trigger.fixed import FixedType
from trigger.nn import (
    ActivationLayer,
    ActivationSpec,
    DenseSpec,
    IOType,
    ModelDescription,
    NetworkSpec,
    ScaleLayer,
    SquareErrorLayer,
    SquareSumLayer,
    SumLayer,
    build_model,
    describe,
    run_fixed,
    run_float,
    serialize,
)
from trigger.nn.emulate import forward_fixed

T = FixedType.from_string
PT_T, HT_T = T("ap_ufixed<11,10,AP_TRN,AP_SAT>"), T("ap_ufixed<14,13,AP_TRN,AP_SAT>")


def _scale_model(
    input_t: str, scale_t: str, result_t: str, offset: list[float], shift: list[int], io: IOType = IOType.PARALLEL
) -> ModelDescription:
    layer = ScaleLayer("scale", T(input_t), T(scale_t), T(result_t), np.array(offset), np.array(shift))
    return describe("scaled", T(input_t), [layer], io_type=io)


def _hand_model() -> ModelDescription:
    return _scale_model("ap_fixed<20,14>", "ap_fixed<18,13>", "ap_fixed<8,6,AP_RND_CONV,AP_SAT>", [5.0] * 4, [2] * 4)


# ------------------------------------------------------------------------------- hand-worked
def test_scale_hand_worked() -> None:
    """Worked by hand: tmp = scale_t(x - offset), tmp >> shift (raw bits, floor), then result_t."""
    model = _hand_model()
    # 37.25 - 5 = 32.25 (raw 1032 in 5 fraction bits); >> 2 -> raw 258 = 8.0625; to 2 fraction bits:
    #   32.25 quarter-steps, round half to even -> 32 -> 8.0
    # 38.375 - 5 = 33.375 (raw 1068); >> 2 -> 267 = 8.34375 -> 33.375 quarters -> 33 -> 8.25
    # -3.3 is -3.3125 in ap_fixed<20,14> (raw floor(-211.2) = -212 in 6 fraction bits);
    #   -3.3125 - 5 = -8.3125 (raw -266); >> 2 -> floor(-66.5) = -67 = -2.09375 -> -8.375 quarters -> -8 -> -2.0
    # 5000 - 5 = 4995 wraps in ap_fixed<18,13> (range [-4096, 4096)): raw 159840 - 262144 = -102304 = -3197.0;
    #   >> 2 -> -25576 = -799.25 -> saturates at -32.0
    out = run_fixed(model, [[37.25, 38.375, -3.3, 5000.0]]).to_float()
    assert out.tolist() == [[8.0, 8.25, -2.0, -32.0]]
    assert run_float(model, [[37.25, 38.375, -3.3, 5000.0]])[0].tolist() == pytest.approx(
        [8.0625, 8.34375, -2.075, 1248.75]
    )


def test_scale_saturating_scale_type_and_big_shift() -> None:
    # AP_SAT scale_t: 4995 saturates to 4095.96875 (raw 131071); >> 2 -> raw 32767 = 1023.96875 -> 31.75
    # shift 30 > 18 bits: only the sign is left: -0.03125 (raw -1) for a negative value, 0 otherwise
    model = _scale_model(
        "ap_fixed<20,14>", "ap_fixed<18,13,AP_TRN,AP_SAT>", "ap_fixed<8,6,AP_TRN,AP_SAT>", [5.0, 0.0, 0.0], [2, 30, 30]
    )
    out = run_fixed(model, [[5000.0, -7.0, 7.0]]).to_float()
    assert out.tolist() == [[31.75, -0.25, 0.0]]  # raw -1 of scale_t is -0.03125, floor to quarters: -0.25


def test_sum_hand_worked() -> None:
    """HT of 12 pt slots: each pt truncated to 0.5 GeV and saturated at 1023.5, the sum saturated at 8191.5."""
    model = describe("fixed_ht", PT_T, [SumLayer("ht", 12, PT_T, HT_T)], input_name="jet_pt")
    assert str(model.layers[0].sum_t) == "ap_ufixed<15,14>"  # 11 bits + ceil(log2 12) = 4
    x = np.zeros((3, 12))
    x[0, :3] = [100.7, 45.2, 30.99]  # 100.5 + 45.0 + 30.5 = 176.0
    x[1, :2] = [2000.0, 10.3]  # 1023.5 (saturated) + 10.0 = 1033.5
    x[2, :] = 1000.0  # 12000 > 8191.5: saturates
    assert run_fixed(model, x).to_float().tolist() == [[176.0], [1033.5], [8191.5]]
    assert run_float(model, x)[:, 0].tolist() == pytest.approx([176.89, 2010.3, 12000.0])


def test_sum_of_one_and_signed_rounding() -> None:
    one = describe("one", T("ap_fixed<8,4>"), [SumLayer("s", 1, T("ap_fixed<8,4>"), T("ap_fixed<4,4,AP_RND>"))])
    assert str(one.layers[0].sum_t) == "ap_fixed<8,4>"
    assert run_fixed(one, [[2.5], [-2.5], [7.9375]]).to_float().tolist() == [[3.0], [-2.0], [-8.0]]  # RND, wraps


def test_square_sum_hand_worked() -> None:
    """Sum of mu^2 into ap_ufixed<18,14>: squares and sum exact, then truncation (and saturation) once."""
    mu_t = T("ap_fixed<8,4,AP_RND_CONV,AP_SAT>")  # 4 fraction bits, [-8, 8)
    layer = SquareSumLayer("score", 3, mu_t, T("ap_ufixed<18,14,AP_TRN,AP_SAT>"))
    assert str(layer.square_t) == "ap_ufixed<15,7>"  # (-8)^2 = 64 fits; 8 fraction bits
    assert str(layer.sum_t) == "ap_ufixed<17,9>"  # + ceil(log2 3) = 2
    model = describe("score", mu_t, [layer])
    # 1.0625^2 = 1.12890625 (raw 289 of 8 fraction bits), -0.3125^2 = 0.09765625, -8^2 = 64:
    #   65.2265625 -> 4 fraction bits, truncated: 65.1875
    # 0.0625^2 = 1/256 three times: 0.01171875 -> 0.0 (below the result's LSB 1/16)
    # 7.9375^2 x 3 = 189.01171875 -> 189.0
    x = [[1.0625, -0.3125, -8.0], [0.0625, -0.0625, 0.0625], [7.9375, -7.9375, 7.9375]]
    assert run_fixed(model, x).to_float().tolist() == [[65.1875], [0.0], [189.0]]
    assert run_float(model, x)[:, 0].tolist() == pytest.approx([65.2265625, 0.01171875, 189.01171875])
    sat = describe("s", mu_t, [SquareSumLayer("s", 3, mu_t, T("ap_ufixed<8,6,AP_TRN,AP_SAT>"))])
    assert run_fixed(sat, [[7.9375, 7.9375, 7.9375]]).to_float().tolist() == [[63.75]]  # saturated
    assert str(SquareSumLayer("u", 1, T("ap_ufixed<6,2>"), T("ap_ufixed<8,4>")).square_t) == "ap_ufixed<12,4>"


def test_square_sum_against_integers() -> None:
    """Random raw integers squared and summed in Python integers, then the ap_types truncation by hand."""
    mu_t = T("ap_fixed<16,6,AP_RND_CONV,AP_SAT>")
    res_t = T("ap_ufixed<18,14,AP_TRN,AP_SAT>")
    model = describe("score", mu_t, [SquareSumLayer("score", 13, mu_t, res_t)])
    raw = np.random.default_rng(4).integers(mu_t.min_raw, mu_t.max_raw + 1, (500, 13))
    got = run_fixed(model, raw * mu_t.lsb).to_float()[:, 0]
    exact = [sum(int(r) ** 2 for r in row) for row in raw]  # 20 fraction bits
    want = [min(v >> 16, res_t.max_raw) / 16 for v in exact]  # 4 fraction bits, floor, saturate
    assert got.tolist() == want


def _relu_error_model(result_t: str = "ap_ufixed<12,8,AP_TRN,AP_SAT>") -> ModelDescription:
    """x -> relu (cast to ap_fixed<6,3,AP_TRN,AP_SAT>) -> sum (x - relu(x))^2: the reference is the input."""
    x_t, y_t = T("ap_fixed<8,4>"), T("ap_fixed<6,3,AP_TRN,AP_SAT>")
    relu = ActivationLayer("r", "relu", 3, x_t, y_t)
    return describe("err", x_t, [relu, SquareErrorLayer("e", 3, y_t, "x", x_t, T(result_t))], input_name="x")


def test_square_error_hand_worked() -> None:
    """ref - x exact in ap_fixed<9,5> (ap_types' difference type), squares and sum exact, one truncation."""
    model = _relu_error_model()
    err = model.layers[1]
    assert isinstance(err, SquareErrorLayer)
    assert (str(err.diff_t), str(err.square_t), str(err.sum_t)) == (
        "ap_fixed<9,5>",
        "ap_ufixed<17,9>",
        "ap_ufixed<19,11>",
    )
    # [1.0625, -2.5, 5]: relu -> [1.0, 0, 3.875] (3 fraction bits, truncated; 5 saturates); differences
    #   [0.0625, -2.5, 1.125], squares 0.00390625 + 6.25 + 1.265625 = 7.51953125 -> 4 fraction bits: 7.5
    # [-8, -8, -8]: relu 0, 3 x 64 = 192; [7.9375] x 3: relu 3.875, 3 x 4.0625^2 = 49.51171875 -> 49.5
    x = [[1.0625, -2.5, 5.0], [-8.0, -8.0, -8.0], [7.9375, 7.9375, 7.9375]]
    assert run_fixed(model, x).to_float().tolist() == [[7.5], [192.0], [49.5]]
    out, traces = run_fixed(model, x, trace=True)
    assert out.to_float().tolist() == [[7.5], [192.0], [49.5]] and [t.name for t in traces] == ["x", "r", "e"]
    assert run_float(model, x)[:, 0].tolist() == [6.25, 192.0, 0.0]  # the float relu neither rounds nor clips
    sat = _relu_error_model("ap_ufixed<8,6,AP_TRN,AP_SAT>")
    assert run_fixed(sat, x).to_float()[:, 0].tolist() == [7.5, 63.75, 49.5]  # 192 saturates
    with pytest.raises(FixedPointError, match="compares with the output of 'x': run it inside its model"):
        forward_fixed(err, T("ap_fixed<6,3,AP_TRN,AP_SAT>").from_float([[0.0, 0.0, 0.0]]))


def _scaled_autoencoder() -> ModelDescription:
    """Scaling, a 6 -> 3 -> 6 network, the square error of its output against the scaling's (saturating at 4096)."""
    net = _scaled_network(IOType.PARALLEL)
    scale = net.layers[0]
    rng = np.random.default_rng(12)
    spec = NetworkSpec(
        "dec",
        "z",
        3,
        (DenseSpec("dec", rng.normal(0, 2.0, (3, 6)), rng.normal(0, 1.0, 6)),),
    )
    dec = build_model(
        spec,
        {
            "Model": {"Precision": "ap_fixed<12,5,AP_RND_CONV,AP_SAT>"},
            "LayerName": {"z": {"Precision": {"result": str(net.output_t)}}},
        },
    )
    error = SquareErrorLayer("score", 6, dec.output_t, "scale", scale.result_t, T("ap_ufixed<16,12,AP_TRN,AP_SAT>"))
    return ModelDescription("ae", "x", net.input_t, 6, (*net.layers, *dec.layers, error))


def test_square_error_against_integers() -> None:
    """The layer's score from the traced scale and reconstruction outputs, squared and summed in Python integers;
    the untraced path and a JSON round trip give the same bits."""
    model = _scaled_autoencoder()
    x = random_inputs(model, 3000, seed=2)
    out, traces = run_fixed(model, x, trace=True)
    ref, rec = traces[1].output, traces[-2].output  # the scaling's and the last dense layer's outputs
    err = model.layers[-1]
    assert isinstance(err, SquareErrorLayer) and ref.type == err.reference_t and rec.type == err.input_t
    f = err.diff_t.frac
    ref_raw = [[int(v) << (f - ref.type.frac) for v in row] for row in ref.to_python_ints().tolist()]
    rec_raw = [[int(v) << (f - rec.type.frac) for v in row] for row in rec.to_python_ints().tolist()]
    exact = [sum((a - b) ** 2 for a, b in zip(ra, rb, strict=True)) for ra, rb in zip(ref_raw, rec_raw, strict=True)]
    res_t = err.result_t
    want = [min(v >> (2 * f - res_t.frac), res_t.max_raw) * res_t.lsb for v in exact]
    assert out.to_float()[:, 0].tolist() == want and len(set(want)) > 200 and max(want) == res_t.max
    assert run_fixed(model, x).to_float()[:, 0].tolist() == want
    doc, arrays = serialize.to_json(model)
    again = serialize.from_json(doc, arrays)
    assert isinstance(again.layers[-1], SquareErrorLayer) and again.layers[-1].reference == "scale"
    assert run_fixed(again, x).to_float()[:, 0].tolist() == want


def test_square_error_reference_errors() -> None:
    x_t, y_t = T("ap_fixed<8,4>"), T("ap_fixed<6,3>")
    relu = ActivationLayer("r", "relu", 3, x_t, y_t)
    with pytest.raises(
        ModelError, match=r"compares with 'q', which is not an earlier layer or the input; .*\['r', 'x'\]"
    ):
        describe("m", x_t, [relu, SquareErrorLayer("e", 3, y_t, "q", x_t, HT_T)], input_name="x")
    with pytest.raises(ModelError, match="compares with 3 values of ap_fixed<6,3>, 'x' gives 3 of ap_fixed<8,4>"):
        describe("m", x_t, [relu, SquareErrorLayer("e", 3, y_t, "x", y_t, HT_T)], input_name="x")
    later = SquareErrorLayer("e", 3, y_t, "r2", y_t, HT_T)  # a layer after it is not earlier
    with pytest.raises(ModelError, match="compares with 'r2', which is not an earlier layer"):
        describe("m", x_t, [relu, later], input_name="x")
    twice = ActivationLayer("r", "relu", 3, y_t, y_t)
    with pytest.raises(ModelError, match="compares with 'r', a name used twice"):
        describe("m", x_t, [relu, twice, SquareErrorLayer("e", 3, y_t, "r", y_t, HT_T)], input_name="x")
    with pytest.raises(ModelError, match="reference must name an earlier layer"):
        SquareErrorLayer("e", 3, y_t, "", y_t, HT_T)
    top = render_project(_relu_error_model(), ProjectOptions())["firmware/err.cpp"]  # the input as the reference
    assert "l1t::square_error<r_t, input_t, result_t, config_e>(r_out, err_input, err_output);" in top
    stream = dataclasses.replace(_relu_error_model(), io_type=IOType.STREAM)
    with pytest.raises(ModelError, match=r"square error .* has no io_stream form yet"):
        render_project(stream, ProjectOptions())


def test_scale_in_front_of_a_network() -> None:
    """The features stage's use: scaling first, then a network whose input type is the scale's result."""
    model = _scaled_network(IOType.PARALLEL)
    assert [la.kind for la in model.layers][:2] == ["scale", "dense"]
    x = np.random.default_rng(3).uniform(-300, 300, (200, 6))
    _, traces = run_fixed(model, x, trace=True)
    scaled = traces[1].output
    assert scaled.type == model.layers[1].input_t
    manual, _ = forward_fixed(model.layers[0], model.input_t.from_float(x))
    assert np.array_equal(manual.to_float(), scaled.to_float())


def test_constructor_errors() -> None:
    with pytest.raises(ModelError, match=r"offset\[1\] = 0.01 is not representable in ap_fixed<18,13>"):
        ScaleLayer(
            "s", T("ap_fixed<16,8>"), T("ap_fixed<18,13>"), T("ap_fixed<8,6>"), np.array([1.0, 0.01]), np.array([0, 0])
        )
    with pytest.raises(ModelError, match="not representable"):  # out of range
        ScaleLayer(
            "s", T("ap_fixed<16,8>"), T("ap_fixed<18,13>"), T("ap_fixed<8,6>"), np.array([5000.0]), np.array([0])
        )
    with pytest.raises(ModelError, match="shift must hold integers"):
        ScaleLayer("s", T("ap_fixed<16,8>"), T("ap_fixed<18,13>"), T("ap_fixed<8,6>"), np.array([1.0]), np.array([-1]))
    with pytest.raises(ModelError, match="same length"):
        ScaleLayer(
            "s", T("ap_fixed<16,8>"), T("ap_fixed<18,13>"), T("ap_fixed<8,6>"), np.array([1.0]), np.array([1, 2])
        )
    with pytest.raises(ModelError, match="positive number"):
        SumLayer("s", 0, PT_T, HT_T)
    with pytest.raises(ModelError, match="positive number"):
        SquareSumLayer("s", 0, PT_T, HT_T)
    with pytest.raises(ModelError, match="expects ap_ufixed<14,13,AP_TRN,AP_SAT> input, input jet_pt gives"):
        ModelDescription("ht", "jet_pt", PT_T, 12, (SumLayer("s", 12, HT_T, HT_T),))
    with pytest.raises(ModelError, match="takes 12 values, input jet_pt gives 10"):
        ModelDescription("ht", "jet_pt", PT_T, 10, (SumLayer("s", 12, PT_T, HT_T),))


def test_estimates() -> None:
    """Sum: adder tree, no DSP, ceil(log2 n) levels + the saturating cast at 0.5 ns each, a register after 7
    (3.65 ns of a 5 ns clock); scale: subtraction and cast, no DSP, no register on its own."""
    for n, cycles in ((1, 0), (8, 0), (12, 0), (64, 0), (65, 1), (1024, 1)):
        est = estimate(describe("ht", PT_T, [SumLayer("ht", n, PT_T, HT_T)])).layers[0]
        assert (est.kind, est.dsp, est.multipliers, est.latency) == ("sum", 0, 0, cycles)
        sum_w = 11 + math.ceil(math.log2(n)) if n > 1 else 11
        assert est.lut == (n - 1) * sum_w + 14
    sq = estimate(describe("s", T("ap_fixed<16,6>"), [SquareSumLayer("s", 13, T("ap_fixed<16,6>"), HT_T)])).layers[0]
    assert (sq.kind, sq.multipliers, sq.dsp, sq.latency) == ("square_sum", 13, 13, 1)  # 2.0 ns DSP + 5 levels
    # relu 0.5 ns; then the difference 0.5, a DSP square of the 9-bit difference 2.0, 2 adder levels and the
    # saturating cast 1.5: 5 ns of logic, one register past 3.65 ns
    relu, err = estimate(_relu_error_model()).layers
    assert (err.kind, err.multipliers, err.dsp, relu.latency + err.latency) == ("square_error", 3, 3, 1)
    scale = estimate(_scale_model("ap_fixed<16,9>", "ap_fixed<18,13>", "ap_fixed<8,6>", [0.0] * 3, [1] * 3))
    assert (scale.dsp, scale.latency, scale.layers[0].kind) == (0, 0, "scale")


def test_emitted_cpp_uses_the_layer_table() -> None:
    model = _scale_model("ap_fixed<16,9>", "ap_fixed<18,13>", "ap_fixed<8,6>", [5.0, -2.5], [2, 0])
    files = render_project(model, ProjectOptions())
    assert (
        "l1t::scale<input_t, result_t, config_scale>(scaled_input, scaled_output, o_scale, s_scale);"
        in (files["firmware/scaled.cpp"])
    )
    offsets = files["firmware/weights/o_scale.h"]
    assert "static const int32_t o_scale[2]" in offsets and "160, -80," in offsets  # 5 * 32, -2.5 * 32
    assert "typedef ap_fixed<18,13> scale_t;" in files["firmware/parameters.h"]
    assert '#include "l1t_utils/l1t_scale.h"' in files["firmware/parameters.h"]


# ------------------------------------------------------------------------------- C simulation
def _scaled_network(io: IOType) -> ModelDescription:
    rng = np.random.default_rng(11)
    scale = ScaleLayer(
        "scale",
        T("ap_fixed<20,14>"),
        T("ap_fixed<18,13>"),
        T("ap_fixed<8,6,AP_RND_CONV,AP_SAT>"),
        np.array([5.0, -12.5, 0.0, 100.25, -0.03125, 3.0]),
        np.array([2, 0, 4, 3, 1, 5]),
    )
    spec = NetworkSpec(
        "axo",
        "x",
        6,
        (
            DenseSpec("fc1", rng.normal(0, 0.5, (6, 8)), rng.normal(0, 0.2, 8)),
            ActivationSpec("fc1_relu", "relu"),
            DenseSpec("fc2", rng.normal(0, 0.5, (8, 3)), rng.normal(0, 0.2, 3)),
        ),
    )
    config = {
        "Model": {"Precision": "ap_fixed<16,6>"},
        "LayerName": {"x": {"Precision": {"result": str(scale.result_t)}}},
    }
    net = build_model(spec, config)
    return ModelDescription("axo", "x", scale.input_t, 6, (scale, *net.layers), io)


def _square_scored(io: IOType) -> ModelDescription:
    net = _scaled_network(IOType.PARALLEL)
    mu_t = net.output_t
    score = SquareSumLayer("score", 3, mu_t, T("ap_ufixed<18,14,AP_TRN,AP_SAT>"))
    return ModelDescription("axo_score", "x", net.input_t, 6, (*net.layers, score), io)


def _csim_cases() -> dict[str, ModelDescription]:
    rng = np.random.default_rng(5)
    offsets = [float(v) for v in rng.integers(-2000, 2000, 8) / 32.0]  # on the grid of 5 fraction bits
    return {
        "scale-hand": _hand_model(),
        # AXOL1TL-like: wrapping scale type, inputs up to twice its range; shifts 0..7
        "scale-wrap": _scale_model(
            "ap_fixed<20,14>", "ap_fixed<18,13>", "ap_fixed<8,6,AP_RND_CONV,AP_SAT>", offsets, list(range(8))
        ),
        # the subtraction rounds and saturates into a narrower scale type; shifts past its width
        "scale-sat": _scale_model(
            "ap_fixed<20,12>",
            "ap_fixed<12,6,AP_RND,AP_SAT>",
            "ap_fixed<10,4,AP_RND_ZERO,AP_SAT_SYM>",
            [1.5, -0.75, 31.9375, -32.0, 0.0],
            [0, 1, 3, 11, 14],
        ),
        # unsigned scale type (negative differences saturate to zero), io_stream
        "scale-unsigned": _scale_model(
            "ap_ufixed<12,10>",
            "ap_ufixed<10,8,AP_RND_INF,AP_SAT_ZERO>",
            "ap_fixed<6,3,AP_TRN_ZERO,AP_WRAP>",
            [0.0, 10.25, 200.5, 255.0],
            [0, 2, 5, 6],
            IOType.STREAM,
        ),
        "scale-network": _scaled_network(IOType.STREAM),
        "sum-ht": describe("fixed_ht", PT_T, [SumLayer("ht", 12, PT_T, HT_T)]),
        "sum-signed": describe(
            "ssum",
            T("ap_fixed<9,4,AP_RND>"),
            [SumLayer("s", 5, T("ap_fixed<9,4,AP_RND>"), T("ap_fixed<8,5,AP_RND_CONV>"))],
        ),
        # sum of mu^2 behind a network (the AXOL1TL score), saturating into ap_ufixed<18,14>
        "square-sum-vae": _square_scored(IOType.PARALLEL),
        "square-sum-stream": _square_scored(IOType.STREAM),
        # 33-bit inputs: a 69-bit exact sum (Python-integer path), rounding into a narrow result
        "square-sum-wide": describe(
            "wsq",
            T("ap_fixed<33,20>"),
            [SquareSumLayer("s", 7, T("ap_fixed<33,20>"), T("ap_ufixed<24,30,AP_RND,AP_SAT>"))],
        ),
        # an autoencoder's reconstruction error against the scaled inputs (the saturating score included)
        "square-error-ae": _scaled_autoencoder(),
        # 60-bit inputs, a 64-bit exact sum (Python-integer path), io_stream
        "sum-wide": describe(
            "wsum",
            T("ap_fixed<60,30>"),
            [SumLayer("s", 16, T("ap_fixed<60,30>"), T("ap_fixed<32,16,AP_RND,AP_SAT>"))],
            io_type=IOType.STREAM,
        ),
    }


CSIM = _csim_cases()


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("new_layers")
    out = {case: write_project(model, root / case) for case, model in CSIM.items()}
    with ThreadPoolExecutor(max_workers=2) as pool:  # two cores, shared
        list(pool.map(lambda p: build_testbench(p, jobs=1), out.values()))
    return out


@pytest.mark.parametrize("case", list(CSIM))
def test_csim_bit_exact(projects: dict[str, Path], case: str) -> None:
    model = CSIM[case]
    x = random_inputs(model, 4000, seed=len(case))
    report = run_csim(projects[case], x)
    assert report.mismatches == 0, report.summary()
    _, traces = run_fixed(model, x, trace=True)
    if case.startswith("scale") or case == "sum-ht":  # the ranges really overflow on these inputs
        assert traces[1].overflows > 0


def test_csim_hand_worked_case(projects: dict[str, Path], tmp_path: Path) -> None:
    """The hand-worked scale values straight from the compiled C++ (real ap_types), not via the emulator."""
    exe, _, _ = build_testbench(projects["scale-hand"])
    (tmp_path / "in.dat").write_text(format_inputs(np.array([[37.25, 38.375, -3.3, 5000.0]])))
    proc = subprocess.run([str(exe), str(tmp_path / "in.dat"), "-", str(tmp_path / "out.dat")], capture_output=True)
    assert proc.returncode == 0, proc.stderr
    raw = [int(v) for v in (tmp_path / "out.dat").read_text().split()]
    assert [r / 4 for r in raw] == [8.0, 8.25, -2.0, -32.0]  # ap_fixed<8,6>: 2 fraction bits
