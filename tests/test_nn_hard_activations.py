"""Hard sigmoid and hard tanh: hls4ml 1.3's in the hls4ml mode (its compiled predict, bit for bit), Keras 3's
in ours (a hand-worked exact reference), and the C++ of both (g++ against the real ap_types).

hls4ml 1.3 maps a Keras 3 ``hard_sigmoid`` to its HardActivation with Keras 2's slope 0.2 (Keras 3: 1/6)
and cannot compile a Keras 3 ``hard_tanh``; the tests pin both facts.
"""

from __future__ import annotations

import copy
import os
import warnings
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")

from hls.csim import csim_model  # noqa: E402
from trigger.errors import ConfigError, ModelError  # noqa: E402
from trigger.nn import from_keras, run_fixed, run_float  # noqa: E402
from trigger.nn.serialize import from_json, to_json  # noqa: E402

rng = np.random.default_rng(17)
X = np.concatenate([rng.normal(0, 3, (4000, 5)), rng.uniform(-40, 40, (1000, 5))])  # far beyond both clamps


def _net(last: str) -> Any:
    model = keras.Sequential(
        [
            keras.Input((5,), name="x"),
            keras.layers.Dense(7, name="fc1", activation="hard_sigmoid"),
            keras.layers.Dense(4, name="fc2"),
            keras.layers.Activation(last, name="act"),
        ]
    )
    weights = np.random.default_rng(5)
    for layer in model.layers:
        if layer.get_weights():
            w, b = layer.get_weights()
            layer.set_weights([weights.normal(0, 3, w.shape).astype("f4"), weights.normal(0, 1, b.shape).astype("f4")])
    return model


def _ours_hls4ml(model: Any, config: dict[str, Any]) -> Any:
    ours = copy.deepcopy(config)
    ours["Model"]["Accumulation"] = "hls4ml"
    with pytest.warns(UserWarning, match="slope 0.2"):
        return from_keras(model, ours)


# (hls4ml default precision, the last layer's result, what the upper clamp's 1 becomes there):
# exact, wrapped to -1, saturated to 1 - LSB
HLS4ML_CASES = [
    ("fixed<16,6>", None, 1.0),
    ("fixed<12,4,RND,SAT>", "fixed<6,1>", -1.0),
    ("fixed<10,3,RND_CONV,SAT>", "ufixed<8,0,RND,SAT>", 255 / 256),
]


@pytest.mark.parametrize(("precision", "result", "one"), HLS4ML_CASES)
def test_hard_sigmoid_matches_hls4ml_compiled_predict(
    tmp_path: Path, precision: str, result: str | None, one: float
) -> None:
    hls4ml = pytest.importorskip("hls4ml")
    model = _net("hard_sigmoid")
    # the config hls4ml writes itself (BramFactor, TraceOutput, Precision.default), unchanged
    config = hls4ml.utils.config_from_keras_model(
        model, granularity="model", backend="Vitis", default_precision=precision
    )
    if result:
        config["LayerName"] = {"act": {"Precision": {"result": result}}}
    ours = _ours_hls4ml(model, config)
    hls_model = hls4ml.converters.convert_from_keras_model(
        model, hls_config=copy.deepcopy(config), output_dir=str(tmp_path / "prj"), backend="Vitis"
    )
    hls_model.compile()
    expected = np.asarray(hls_model.predict(np.ascontiguousarray(X))).reshape(len(X), -1)
    got = run_fixed(ours, X).to_float()
    assert int((got != expected).sum()) == 0
    assert (expected == 0).sum() > 100 and (expected == one).sum() > 100  # both clamps were reached


def test_hls4ml_mode_refuses_what_hls4ml_cannot_build() -> None:
    config: dict[str, Any] = {"Model": {"Precision": "ap_fixed<16,6>", "Accumulation": "hls4ml"}}
    warnings.simplefilter("ignore")  # pytest restores the filters after the test
    with pytest.raises(ModelError, match=r"hls4ml 1\.3 cannot build a Keras 3 hard_tanh"):
        from_keras(_net("hard_tanh"), config)
    config["LayerName"] = {"act": {"Precision": {"slope": "ap_ufixed<8,0>"}}}
    with pytest.raises(ConfigError, match=r"act Precision\.slope: hls4ml 1\.3 ignores this key"):
        from_keras(_net("hard_sigmoid"), config)


def _exact(x: Fraction, slope: Fraction, shift: Fraction, tanh: bool, lsb: Fraction) -> Fraction:
    """clip(slope * x + shift, 0, 1) (tanh: 2 s - 1), rounded half to even to ``lsb`` (AP_RND_CONV, no overflow)."""
    s = min(max(slope * x + shift, Fraction(0)), Fraction(1))
    value = 2 * s - 1 if tanh else s
    return round(value / lsb) * lsb  # Python's round of a Fraction: half to even


@pytest.mark.parametrize("fn", ["hard_sigmoid", "hard_tanh"])
def test_our_mode_is_keras_3s_function_rounded_once(fn: str) -> None:
    model = keras.Sequential(
        [keras.Input((3,), name="x"), keras.layers.Dense(3, name="fc", use_bias=False), keras.layers.Activation(fn)]
    )
    model.layers[0].set_weights([np.eye(3, dtype="f4")])
    result = "ap_fixed<14,2,AP_RND_CONV,AP_SAT>"
    config = {"Model": {"Precision": "ap_fixed<16,6>"}, "LayerType": {"Activation": {"Precision": {"result": result}}}}
    ours = from_keras(model, config)
    act = ours.layers[-1]
    assert act.hard is not None and act.hard.slope_t.frac == 12 + 4
    x = np.concatenate([rng.uniform(-4, 4, (300, 3)), np.array([[-3.0, 3.0, 0.0], [2.0, -1.0, 1.0]])])
    xq = ours.input_t.from_float(x).to_float()  # the identity dense passes the input through exactly
    got = run_fixed(ours, x).to_float()
    slope, shift = Fraction(act.hard.slope_raw, 2**act.hard.slope_t.frac), Fraction(1, 2)
    lsb = Fraction(1, 2**12)
    expected = [[float(_exact(Fraction(v), slope, shift, fn == "hard_tanh", lsb)) for v in row] for row in xq]
    assert got.tolist() == expected
    keras_out = np.asarray(model.predict(xq, verbose=0), dtype=np.float64)
    assert np.abs(got - keras_out).max() <= 2.0**-12  # Keras 3: relu6(x + 3) / 6 and clip(x, -1, 1)
    assert np.abs(run_float(ours, xq) - keras_out).max() < 1e-6
    if fn == "hard_tanh":  # slope 0.5 is exact: the output is clip(x, -1, 1) itself
        assert got.tolist() == np.clip(xq, -1, 1).tolist()


def test_description_round_trips() -> None:
    ours = from_keras(_net("hard_tanh"), {"Model": {"Precision": "ap_fixed<16,6>"}})
    back = from_json(*to_json(ours))
    assert back.layers[-1].hard == ours.layers[-1].hard
    assert (run_fixed(back, X).raw == run_fixed(ours, X).raw).all()


def test_csim_bit_exact_both_modes(tmp_path: Path) -> None:
    """Our C++ (hls/cpp/l1t_activation.h) against the emulator: wrapping 1 to -1, both io types."""
    ours = from_keras(
        _net("hard_tanh"),
        {
            "Model": {"Precision": "ap_fixed<16,6>"},
            "LayerName": {"act": {"Precision": {"result": "ap_fixed<6,1,AP_RND,AP_WRAP>"}}},
        },
    )
    hls4ml_config = {"Model": {"Precision": "ap_fixed<12,4,AP_RND,AP_SAT>"}, "IOType": "io_stream"}
    theirs = _ours_hls4ml(_net("hard_sigmoid"), hls4ml_config)
    for name, model in (("ours", ours), ("hls4ml", theirs)):
        report = csim_model(model, x=X, directory=tmp_path / name)
        assert (report.samples, report.mismatches) == (len(X), 0), name
