"""A trained QAT model, converted, runs bit for bit what its quantized forward pass computes.

Three independent computations of the logits: ``run_fixed`` on the description (raw integers),
the Keras layers in float64 (``exact_forward``), and a plain-numpy forward pass built here from
``FixedType.quantize`` and the layers' float weights.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras

from trigger.errors import ConfigError, ModelError
from trigger.fixed import FixedType
from trigger.nn import DenseLayer, from_keras, run_fixed
from trigger.nn.keras_import import network_from_keras
from trigger.train import QActivation, QDense, QInput, exact_forward, load_qat_model, qat_mlp, to_description

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:keras")

TYPES = {
    # the plain spellings: truncation and wrap-around, hls4ml's defaults
    "trn_wrap": ("ap_fixed<6,1>", "ap_fixed<16,6>"),
    "rnd_sat": ("ap_fixed<6,1,AP_RND_CONV,AP_SAT>", "ap_fixed<16,6,AP_RND,AP_SAT>"),
}


def _data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit-normal features with 1 % far outliers; labels from a fixed random teacher."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.5, (n, 16))
    x[rng.random(x.shape) < 0.01] *= 200.0
    teacher = np.random.default_rng(99).normal(0, 1, (16, 5))
    return x, np.argmax(np.tanh(x) @ teacher, axis=1)


def _numpy_forward(model: Any, x: np.ndarray) -> np.ndarray:
    """The QAT forward pass from scratch: float64 numpy and FixedType.quantize, stopping before softmax."""
    y = np.asarray(x, dtype=np.float64)
    for layer in model.layers:
        if isinstance(layer, QInput):
            y = layer.input_t.quantize(y)
        elif isinstance(layer, QDense):
            kernel, bias, mask = (np.asarray(w, dtype=np.float64) for w in layer.get_weights())
            weights = layer.weight_t.quantize(kernel * mask)
            y = y @ weights + layer.bias_t.quantize(bias)  # exact: every partial sum is far below 2**53 LSBs
            y = y if layer.result_t is None else layer.result_t.quantize(y)
        elif isinstance(layer, QActivation) and layer.function != "softmax":
            y = np.maximum(y, 0.0) if layer.function == "relu" else y
            y = y if layer.result_t is None else layer.result_t.quantize(y)
    return y


@pytest.fixture(scope="module", params=sorted(TYPES))
def trained(request: pytest.FixtureRequest) -> tuple[str, Any]:
    weight, activation = TYPES[request.param]
    keras.utils.set_random_seed(5)
    model = qat_mlp(16, (64, 32, 32), 5, weight=weight, activation=activation, seed=5, name=request.param)
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = _data(3200, seed=1)
    history = model.fit(x, y, batch_size=32, epochs=3, verbose=0)  # 300 steps
    assert history.history["accuracy"][-1] > 0.5  # it learned (chance is about 0.2)
    return request.param, model


def test_logits_equal_run_fixed_bit_for_bit(trained: tuple[str, Any]) -> None:
    name, model = trained
    weight, activation = (FixedType.from_string(s) for s in TYPES[name])
    x, _ = _data(10_000, seed=2)
    description = to_description(model, calibration=x[:1000])
    assert description.input_t == activation
    for layer in description.layers:
        if isinstance(layer, DenseLayer):
            assert (layer.weight_t, layer.bias_t, layer.result_t) == (weight, weight, activation)
            assert layer.accum_t == layer.exact_t
    out, traces = run_fixed(description, x, trace=True)
    fixed = next(t for t in traces if t.name == "fc4").output.to_float()
    reference = _numpy_forward(model, x)
    np.testing.assert_array_equal(fixed, reference)
    np.testing.assert_array_equal(exact_forward(model, x, logits=True), reference)
    assert np.mean(fixed.argmax(axis=1) == reference.argmax(axis=1)) == 1.0
    assert len(np.unique(fixed)) > 1000  # real logits, not a saturated constant
    # the softmax tables (not part of training) pick the same class almost always
    assert np.mean(out.to_float().argmax(axis=1) == reference.argmax(axis=1)) > 0.99
    # float32 (training-time) inference is close, not exact: a float32 sum that rounded moves an LSB,
    # which the following layers may carry on
    f32 = keras.Model(model.inputs, model.get_layer("fc4").output).predict(x, verbose=0).astype(np.float64)
    print(f"{name}: float32 logits differ in {np.mean(f32 != fixed):.4%}, by up to {np.abs(f32 - fixed).max()}")
    assert np.mean(f32 != fixed) < 0.01


def test_keras_file_round_trip_and_from_keras_keeps_the_trained_precisions(
    trained: tuple[str, Any], tmp_path: Path
) -> None:
    _, model = trained
    path = tmp_path / "qat.keras"
    model.save(path)
    x, _ = _data(500, seed=3)
    loaded = load_qat_model(path)
    np.testing.assert_array_equal(exact_forward(loaded, x), exact_forward(model, x))
    np.testing.assert_array_equal(run_fixed(to_description(path), x).raw, run_fixed(to_description(model), x).raw)
    np.testing.assert_array_equal(run_fixed(from_keras(path), x).raw, run_fixed(to_description(model), x).raw)
    with pytest.raises(ModelError, match=r"'input_cast' of type QInput is a quantization-aware layer.*to_description"):
        network_from_keras(path)


def _small(relu_result: str | None = None, dense_result: str | None = None) -> Any:
    model = keras.Sequential(
        [
            keras.Input((6,), name="x"),
            QInput("ap_fixed<10,4,AP_RND,AP_SAT>", name="cast"),
            QDense(8, "ap_fixed<5,1,AP_RND_CONV,AP_SAT>", "ap_fixed<8,2>", dense_result, name="d1"),
            QActivation("relu", relu_result, name="r1"),
            QDense(3, "ap_fixed<5,1,AP_RND_CONV,AP_SAT>", "ap_fixed<8,2>", "ap_fixed<12,5,AP_RND,AP_SAT>", name="d2"),
        ]
    )
    rng = np.random.default_rng(4)
    for layer in (model.get_layer("d1"), model.get_layer("d2")):
        kernel, bias, mask = layer.get_weights()
        layer.set_weights([rng.normal(0, 0.6, kernel.shape), rng.normal(0, 0.5, bias.shape), mask])
    return model


def test_uncast_layers_stay_exact() -> None:
    """No result type on the dense and the relu: the description keeps their exact types, as training does."""
    model = _small()
    description = to_description(model, {"Model": {"Precision": "ap_fixed<8,3>"}})  # must not cast them
    relu = description.layer("r1")
    assert relu.result_t == relu.input_t == description.layer("d1").result_t
    x = np.random.default_rng(5).normal(0, 3, (4000, 6))
    np.testing.assert_array_equal(run_fixed(description, x).to_float(), _numpy_forward(model, x))


def test_config_sets_what_training_does_not_and_cannot_contradict_it() -> None:
    model = _small("ap_ufixed<9,3,AP_RND,AP_SAT>", "ap_fixed<12,4,AP_RND,AP_SAT>")
    description = to_description(model, {"LayerName": {"d1": {"ReuseFactor": 4, "Precision": {"weight": "auto"}}}})
    d1 = description.layer("d1")
    assert isinstance(d1, DenseLayer) and d1.reuse_factor == 4
    assert str(d1.weight_t) == "ap_fixed<5,1,AP_RND_CONV,AP_SAT>"
    with pytest.raises(ConfigError, match=r"LayerName\.d1\.Precision\.weight: ap_fixed<8,3> contradicts"):
        to_description(model, {"LayerName": {"d1": {"Precision": {"weight": "ap_fixed<8,3>"}}}})


def test_structures_that_cannot_be_exact_are_refused() -> None:
    bn = keras.Sequential([keras.Input((4,)), QInput("ap_fixed<8,3>"), QDense(3, "ap_fixed<6,1>", name="d")])
    bn.add(keras.layers.BatchNormalization(name="bn"))
    with pytest.raises(ModelError, match=r"BatchNormalization 'bn' after QDense 'd'"):
        to_description(bn)
    late = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), QInput("ap_fixed<8,3>", name="late")])
    with pytest.raises(ModelError, match=r"QInput 'late' must be the first layer"):
        to_description(late)
    with pytest.raises(ModelError, match="not supported; use one of relu, linear, softmax"):
        QActivation("tanh")
