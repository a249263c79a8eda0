"""The config hls4ml writes itself (``config_from_keras_model``, ``granularity="name"``: every type ``auto``),
read unchanged but for ``Accumulation: hls4ml``, against hls4ml 1.3's compiled predict, bit for bit.

hls4ml's ``auto`` is not ours: the model precision for weights, biases and activations, and for a Dense's
accum and result the type that holds every sum (``InferPrecisionTypes``; :mod:`trigger.nn.hls4ml_rules`).
Its BatchNormalization is folded while the Dense's result is ``auto`` and kept apart once it is set.
"""

from __future__ import annotations

import copy
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")
hls4ml = pytest.importorskip("hls4ml")

from trigger.fixed import FixedType  # noqa: E402
from trigger.nn import from_keras, run_fixed  # noqa: E402


def _model() -> Any:
    inp = keras.Input((8,), name="x")
    h = keras.layers.Dense(10, name="fc1")(inp)
    h = keras.layers.BatchNormalization(name="bn1")(h)
    h = keras.layers.Activation("relu", name="relu1")(h)
    h = keras.layers.Dense(8, name="fc2", activation="sigmoid")(h)
    h = keras.layers.Dense(6, name="fc3", activation="hard_sigmoid")(h)
    h = keras.layers.Dense(5, name="fc4")(h)
    model = keras.Model(inp, keras.layers.Activation("softmax", name="sm")(h))
    rng = np.random.default_rng(4)
    for layer in model.layers:
        values = layer.get_weights()
        if layer.name == "bn1":  # gamma, beta, mean, variance
            gamma, beta, mean, var = (v.shape for v in values)
            values = [
                rng.uniform(0.5, 2, gamma),
                rng.normal(0, 0.5, beta),
                rng.normal(0, 0.5, mean),
                rng.uniform(0.5, 2, var),
            ]
        elif values:
            values = [rng.normal(0, 1.5, values[0].shape), rng.normal(0, 0.5, values[1].shape)]
        layer.set_weights([np.asarray(v, dtype=np.float32) for v in values])
    return model


# (default precision, a set Dense result that keeps the BatchNorm apart or None: folded, Precision.maximum:
# hls4ml's cap on the types it infers, here narrow enough that the capped sums wrap)
CASES = [
    ("fixed<16,6>", None, None),
    ("fixed<12,4,RND,SAT>", None, None),
    ("fixed<14,5,RND_CONV,SAT>", "fixed<18,7,RND,SAT>", None),
    ("fixed<16,6>", None, "fixed<20,5>"),
]


@pytest.mark.parametrize(("precision", "fc1_result", "maximum"), CASES)
def test_hls4ml_written_config_matches_compiled_predict(
    tmp_path: Path, precision: str, fc1_result: str | None, maximum: str | None
) -> None:
    model = _model()
    config = hls4ml.utils.config_from_keras_model(
        model, granularity="name", backend="Vitis", default_precision=precision
    )
    if fc1_result:
        config["LayerName"]["fc1"]["Precision"]["result"] = fc1_result
    if maximum:
        config["Model"]["Precision"]["maximum"] = maximum
    ours_config = copy.deepcopy(config)
    ours_config["Model"]["Accumulation"] = "hls4ml"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # hard_sigmoid: hls4ml's slope 0.2 (tests/test_nn_hard_activations.py)
        ours = from_keras(model, ours_config)
    hls_model = hls4ml.converters.convert_from_keras_model(
        model, hls_config=copy.deepcopy(config), output_dir=str(tmp_path / "prj"), backend="Vitis"
    )
    hls_model.compile()
    theirs = {layer.name: layer for layer in hls_model.get_layers()}
    # the same layers with the same inferred types
    assert [la.name for la in ours.layers] == [n for n in theirs if n != "x"]
    for layer in ours.layers:
        hls_type = theirs[layer.name].get_output_variable().type.precision
        assert FixedType.from_string(str(hls_type)) == layer.result_t, layer.name
    x = np.ascontiguousarray(np.random.default_rng(8).normal(0, 2, (5000, 8)))
    expected = np.asarray(hls_model.predict(x)).reshape(len(x), -1)
    assert int((run_fixed(ours, x).to_float() != expected).sum()) == 0
