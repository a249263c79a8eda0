"""The NN emulator: exact dense sums, auto precision that cannot overflow, traces, tables, float agreement."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from tests.nn_models import inputs, network
from trigger.errors import ModelError
from trigger.fixed import FixedType
from trigger.nn import ActivationSpec, DenseSpec, NetworkSpec, build_model, run_fixed, run_float


def test_dense_output_is_the_exact_rational_sum() -> None:
    spec = network("muon_pt")
    t = "ap_fixed<12,4,AP_RND,AP_SAT>"
    model = build_model(
        spec, {"Model": {"Precision": {"weight": t, "bias": t}}, "LayerName": {"input": {"Precision": t}}}
    )
    x = inputs("muon_pt", 20, outliers=0.0)
    _, traces = run_fixed(model, x, trace=True)
    dense = model.layers[0]
    xin = traces[0].output.to_python_ints()
    out = traces[1].output
    assert out.type == dense.exact_t  # auto accum and result: the exact type
    w, b = dense.weights_raw, dense.bias_raw
    lsb_in, lsb_w, lsb_b = (Fraction(2) ** -t.frac for t in (model.input_t, dense.weight_t, dense.bias_t))
    for row in range(len(x)):
        for j in range(dense.n_out):
            exact = sum(Fraction(int(xin[row, i])) * lsb_in * int(w[i, j]) * lsb_w for i in range(dense.n_in))
            exact += int(b[j]) * lsb_b
            assert Fraction(int(out.to_python_ints()[row, j])) * Fraction(2) ** -out.type.frac == exact


@pytest.mark.parametrize("name", ["jet_tagger", "muon_pt", "autoencoder"])
def test_auto_accumulators_never_overflow_even_at_the_range_ends(name: str) -> None:
    spec = network(name)
    calib = inputs(name, 2000, outliers=0.0)
    model = build_model(spec, None, calib)
    rng = np.random.default_rng(3)
    extremes = rng.choice([model.input_t.min, model.input_t.max, 0.0], size=(5000, spec.n_inputs))
    _, traces = run_fixed(model, extremes, trace=True)
    for trace, layer in zip(traces[1:], model.layers, strict=True):
        if layer.kind == "dense":
            assert trace.overflows == 0, f"{layer.name} overflowed {trace.overflows} times"


def test_all_auto_jet_tagger_agrees_with_float_on_the_argmax() -> None:
    spec = network("jet_tagger")
    model = build_model(spec, None, inputs("jet_tagger", 5000, seed=2, outliers=0.0))
    x = inputs("jet_tagger", 50_000, seed=4, outliers=0.0)
    agree = (run_float(model, x).argmax(axis=1) == run_fixed(model, x).to_float().argmax(axis=1)).mean()
    assert agree >= 0.99, f"argmax agreement {agree:.4f}"


def test_trace_counts_overflows_of_a_narrow_accumulator() -> None:
    spec = network("jet_tagger")
    config = {
        "Model": {"Precision": "ap_fixed<16,6>"},
        "LayerName": {"fc2": {"Precision": {"accum": "ap_fixed<10,2>", "result": "ap_fixed<10,2>"}}},
    }
    model = build_model(spec, config)
    _, traces = run_fixed(model, inputs("jet_tagger", 2000, outliers=0.0), trace=True)
    counts = {t.name: t.overflows for t in traces}
    assert counts["fc2"] > 100  # a 2-integer-bit accumulator wraps on these inputs
    assert counts["fc1"] == 0 and counts["fc3"] == 0


def test_inputs_outside_the_range_saturate_and_are_counted() -> None:
    model = build_model(network("muon_pt"), None, inputs("muon_pt", 1000, outliers=0.0))
    x = inputs("muon_pt", 1000, outliers=0.05)
    _, traces = run_fixed(model, x, trace=True)
    assert traces[0].name == "input"
    assert traces[0].overflows == int((np.abs(x) > model.input_t.max).sum())


@pytest.mark.parametrize("function", ["sigmoid", "tanh"])
def test_table_activations_follow_the_function(function: str) -> None:
    spec = NetworkSpec("t", "x", 4, (DenseSpec("fc", np.eye(4) * 2, np.zeros(4)), ActivationSpec("act", function)))
    model = build_model(
        spec, {"Model": {"Precision": "ap_fixed<16,6>"}, "LayerType": {"Activation": {"TableSize": 1024}}}
    )
    x = np.random.default_rng(0).uniform(-3, 3, (4000, 4))
    diff = np.abs(run_fixed(model, x).to_float() - run_float(model, x))
    assert diff.max() < 0.02  # 1024 entries over [-8, 8): step 1/64, slope <= 1 (tanh) -> < 1/128 + lsb


def test_softmax_implementations_sum_to_one() -> None:
    spec = network("jet_tagger")
    x = inputs("jet_tagger", 3000, outliers=0.0)
    # stable: sums in [1, 5] on a linear 1024-entry inverse table; latency: the calibration's sum range
    for impl, tolerance in (("stable", 0.02), ("latency", 0.1)):
        model = build_model(spec, {"LayerType": {"Softmax": {"Implementation": impl}}}, x)
        probs = run_fixed(model, x).to_float()
        assert np.abs(probs.sum(axis=1) - 1).max() < tolerance, impl
        assert (probs >= 0).all()


def test_wrong_input_shape_is_a_clear_error() -> None:
    model = build_model(network("muon_pt"), {"Model": {"Precision": "ap_fixed<16,6>"}})
    with pytest.raises(Exception, match=r"shape \(batch, 36\)"):
        run_fixed(model, np.zeros((3, 35)))


def test_auto_input_without_calibration_says_what_to_do() -> None:
    with pytest.raises(ModelError, match="calibration"):
        build_model(network("muon_pt"))


def test_explicit_precisions_are_used_verbatim() -> None:
    t = "ap_fixed<10,3,AP_RND,AP_SAT>"
    model = build_model(network("muon_pt"), {"Model": {"Precision": t}, "LayerType": {"Dense": {"Precision": t}}})
    first = model.layers[0]
    assert first.kind == "dense"
    assert {str(first.weight_t), str(first.accum_t), str(first.result_t), str(model.input_t)} == {t}
    assert FixedType.from_string(t) == first.bias_t


@pytest.mark.parametrize("name", ["jet_tagger", "muon_pt", "autoencoder"])
@pytest.mark.parametrize(
    "config",
    [
        None,
        {"Model": {"Precision": {"result": "ap_ufixed<12,4,AP_TRN,AP_WRAP>"}}},
        {"Model": {"Precision": {"result": "ap_fixed<10,3,AP_RND_INF,AP_SAT_SYM>"}}},
        {"LayerType": {"Dense": {"Precision": {"accum": "ap_fixed<20,8>"}}}},
        # QAT-like words: the fused sums run in float32 where the block's bound allows it
        {
            "Model": {
                "Precision": {
                    "weight": "ap_fixed<6,1,AP_RND_CONV,AP_SAT>",
                    "result": "ap_fixed<16,6,AP_RND_CONV,AP_SAT>",
                }
            }
        },
        {"Model": {"Precision": {"weight": "ap_fixed<8,2,AP_TRN,AP_WRAP>", "result": "ap_fixed<18,8,AP_RND,AP_WRAP>"}}},
    ],
)
def test_fast_path_equals_the_layer_by_layer_trace(name: str, config: dict[str, object] | None) -> None:
    """run_fixed fuses dense + relu/linear when not tracing; every output bit must stay the same."""
    calib = inputs(name, 2000, outliers=0.0)
    if config is not None:
        config = {**config, "LayerName": {"input": {"Precision": "ap_fixed<16,5,AP_RND_CONV,AP_SAT>"}}}
    model = build_model(network(name), config, calib)
    x = inputs(name, 5000, seed=9)
    fast = run_fixed(model, x)
    traced, _ = run_fixed(model, x, trace=True)
    assert fast.type == traced.type
    np.testing.assert_array_equal(fast.to_python_ints(), traced.to_python_ints())


@pytest.mark.parametrize("scale", [1.0, 30.0, 1e4])
def test_float32_sums_and_their_fallback_are_bit_exact(scale: float, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of small inputs take float32 sums, blocks of huge ones the float64 fallback: same bits."""
    import trigger.nn.fast as fast

    config = {
        "Model": {
            "Precision": {"weight": "ap_fixed<6,1,AP_RND_CONV,AP_SAT>", "result": "ap_fixed<16,6,AP_RND_CONV,AP_SAT>"}
        },
        "LayerName": {"input": {"Precision": "ap_fixed<16,6,AP_RND_CONV,AP_SAT>"}},
    }
    model = build_model(network("jet_tagger"), config, inputs("jet_tagger", 2000, outliers=0.0))
    x = inputs("jet_tagger", 20000, seed=4) / 1000.0  # mostly |x| < 3: float32 bounds hold
    x[8192:] *= scale  # later blocks saturate the inputs: bounds near the words' ends
    used: list[bool] = []
    original = fast._f32_sum_reach

    def spy(*args: object) -> object:
        out = original(*args)  # type: ignore[arg-type]
        used.append(out is not None)
        return out

    monkeypatch.setattr(fast, "_f32_sum_reach", spy)
    fast_out = run_fixed(model, x)
    traced, _ = run_fixed(model, x, trace=True)
    np.testing.assert_array_equal(fast_out.to_python_ints(), traced.to_python_ints())
    assert any(used)
    if scale > 1e3:
        assert not all(used)  # some layer of the saturated blocks proved no float32 bound
