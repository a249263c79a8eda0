"""Keras 3 import, and bit-for-bit agreement with hls4ml 1.3's compiled predict in hls4ml mode."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras

from trigger.errors import ConfigError, ModelError
from trigger.nn import from_keras, run_fixed, run_float


def _tagger(with_bn: bool = True) -> Any:
    layers = [
        keras.Input((16,), name="inp"),
        keras.layers.Dense(64, activation="relu", name="fc1"),
        keras.layers.Dropout(0.2, name="drop"),
        keras.layers.Dense(32, name="fc2"),
    ]
    if with_bn:
        layers.append(keras.layers.BatchNormalization(name="bn2"))
    layers += [keras.layers.Activation("relu", name="relu2"), keras.layers.Dense(5, activation="softmax", name="out")]
    model = keras.Sequential(layers, name="tagger")
    if with_bn:  # give the batch norm non-trivial statistics
        bn = model.get_layer("bn2")
        rng = np.random.default_rng(0)
        bn.set_weights(
            [rng.uniform(0.5, 2, 32), rng.normal(0, 0.3, 32), rng.normal(0, 0.5, 32), rng.uniform(0.2, 3, 32)]
        )
    return model


def test_layers_batchnorm_and_dropout_are_mapped() -> None:
    model = _tagger()
    described = from_keras(model, {"Model": {"Precision": "ap_fixed<16,6>"}})
    assert [layer.name for layer in described.layers] == ["fc1", "fc1_relu", "fc2", "relu2", "out", "out_softmax"]
    x = np.random.default_rng(1).normal(0, 1, (500, 16))
    np.testing.assert_allclose(run_float(described, x), model.predict(x, verbose=0), rtol=1e-4, atol=1e-6)


def test_keras_file_round_trip(tmp_path: Path) -> None:
    model = _tagger()
    path = tmp_path / "tagger.keras"
    model.save(path)
    x = np.random.default_rng(2).normal(0, 1, (200, 16))
    from_file = from_keras(path, None, x)
    in_memory = from_keras(model, None, x)
    np.testing.assert_array_equal(run_fixed(from_file, x).to_float(), run_fixed(in_memory, x).to_float())


def test_missing_file_and_unsupported_layers_are_named(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"nope\.keras: no such Keras model file"):
        from_keras(tmp_path / "nope.keras")
    leaky = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.LeakyReLU(name="leaky")])
    with pytest.raises(ModelError, match=r"layer 'leaky' of type LeakyReLU is not supported; supported layers are"):
        from_keras(leaky)
    late_bn = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.BatchNormalization(name="bn")]
    )
    with pytest.raises(ModelError, match=r"'bn'.*folded into the Dense right before it"):
        from_keras(late_bn)
    elu = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="elu", name="fc")])
    with pytest.raises(ModelError, match=r"activation 'elu'"):
        from_keras(elu)


def test_hls4ml_mode_matches_hls4ml_compiled_predict_bit_for_bit(tmp_path: Path) -> None:
    import hls4ml

    rng = np.random.default_rng(3)
    model = keras.Sequential(
        [
            keras.Input((16,), name="inp"),
            keras.layers.Dense(32, activation="relu", name="fc1"),
            keras.layers.Dense(16, name="fc2"),
            keras.layers.Activation("relu", name="relu2"),
            keras.layers.Dense(5, name="out"),
        ]
    )
    for layer in model.layers:
        layer.set_weights([w * 2 for w in layer.get_weights()])
    precision = "ap_fixed<16,6>"
    hls_model = hls4ml.converters.convert_from_keras_model(
        model,
        hls_config={"Model": {"Precision": precision, "ReuseFactor": 1, "Strategy": "Latency"}},
        output_dir=str(tmp_path / "hls4ml_prj"),
        backend="Vivado",
        io_type="io_parallel",
    )
    hls_model.compile()
    x = rng.normal(0, 3, (20_000, 16)).astype(np.float32)  # hls4ml feeds float32; includes overflows
    theirs = hls_model.predict(x)
    ours = from_keras(
        model,
        {"Model": {"Precision": precision, "Accumulation": "hls4ml"}},  # hls4ml's config plus the one key
    )
    mine, traces = run_fixed(ours, x.astype(np.float64), trace=True)
    assert sum(t.overflows for t in traces) > 0  # the comparison covers wrapping, not just easy values
    np.testing.assert_array_equal(mine.to_float(), theirs.astype(np.float64))
    # the untraced path: wrapping accumulators summed without the per-input loop (trigger.nn.fast_hls4ml)
    np.testing.assert_array_equal(run_fixed(ours, x.astype(np.float64)).to_float(), theirs.astype(np.float64))


def test_hls4ml_mode_resource_order_and_reuse_factors_match_hls4ml(tmp_path: Path) -> None:
    """Resource strategy, saturating accumulators: the order of additions and the RF replacement matter."""
    import hls4ml

    from trigger.nn.hls4ml_rules import ReuseFactorAdjusted

    rng = np.random.default_rng(5)
    model = keras.Sequential(
        [
            keras.Input((16,), name="inp"),
            keras.layers.Dense(32, activation="relu", name="fc1"),
            keras.layers.Dense(16, activation="relu", name="fc2"),
            keras.layers.Dense(5, name="out"),
        ]
    )
    for layer in model.layers:
        layer.set_weights([w * 3 for w in layer.get_weights()])
    precision = "ap_fixed<12,4,AP_RND,AP_SAT>"
    rfs = {"fc1": 4, "fc2": 8, "out": 3}  # 3 is not an hls4ml reuse factor for 16x5: hls4ml uses 2
    hls_model = hls4ml.converters.convert_from_keras_model(
        model,
        hls_config={
            "Model": {"Precision": precision, "ReuseFactor": 1, "Strategy": "Resource"},
            "LayerName": {name: {"ReuseFactor": rf} for name, rf in rfs.items()},
        },
        output_dir=str(tmp_path / "hls4ml_prj"),
        backend="Vivado",
        io_type="io_parallel",
    )
    hls_model.compile()
    x = rng.normal(0, 3, (20_000, 16)).astype(np.float32)
    theirs = hls_model.predict(x).astype(np.float64)
    config = {
        "Model": {"Precision": precision, "Accumulation": "hls4ml", "Strategy": "Resource"},
        "LayerType": {"Dense": {"Precision": {"accum": precision}}},
        "LayerName": {name: {"ReuseFactor": rf} for name, rf in rfs.items()},
    }
    with pytest.warns(ReuseFactorAdjusted, match=r"layer out \(16x5\): ReuseFactor 3 -> 2"):
        ours = from_keras(model, config)
    assert [layer.reuse_factor for layer in ours.layers if hasattr(layer, "reuse_factor")] == [4, 8, 2]
    mine, traces = run_fixed(ours, x.astype(np.float64), trace=True)
    assert sum(t.overflows for t in traces) > 0  # saturation happens, so the order is exercised
    np.testing.assert_array_equal(mine.to_float(), theirs)
    np.testing.assert_array_equal(run_fixed(ours, x.astype(np.float64)).to_float(), theirs)  # untraced too
    in_order = from_keras(model, {**config, "Model": {**config["Model"], "Strategy": "Latency"}})
    assert np.any(run_fixed(in_order, x.astype(np.float64)).to_float() != theirs)  # the order did matter


def test_hls4ml_mode_quantizes_weights_as_hls4ml_writes_them(tmp_path: Path) -> None:
    """ap_fixed<8,3> weights: hls4ml writes 5 decimals and quantizes the text; k/32 - 1e-6 becomes k/32."""
    import hls4ml

    from trigger.fixed import FixedType

    rng = np.random.default_rng(6)
    model = keras.Sequential([keras.Input((12,), name="inp"), keras.layers.Dense(6, name="fc1")])
    w = rng.uniform(-2, 2, (12, 6))
    planted = rng.random(w.shape) < 0.3  # just below a grid point of 1/32: truncation takes the step below
    w[planted] = np.round(w[planted] * 32) / 32 - 1e-6
    model.get_layer("fc1").set_weights([w.astype(np.float32), rng.uniform(-1, 1, 6).astype(np.float32)])
    precision, weight = "ap_fixed<16,6>", "ap_fixed<8,3>"
    hls_model = hls4ml.converters.convert_from_keras_model(
        model,
        hls_config={
            "Model": {"Precision": precision, "ReuseFactor": 1},
            "LayerName": {"fc1": {"Precision": {"weight": weight}}},
        },
        output_dir=str(tmp_path / "hls4ml_prj"),
        backend="Vivado",
        io_type="io_parallel",
    )
    hls_model.compile()
    x = rng.normal(0, 2, (5_000, 12)).astype(np.float32)
    theirs = hls_model.predict(x).astype(np.float64).reshape(-1, 6)
    config = {
        "Model": {"Precision": precision, "Accumulation": "hls4ml"},
        "LayerName": {"fc1": {"Precision": {"weight": weight}}},
    }
    ours = from_keras(model, config)
    direct = FixedType.from_string(weight).from_float(model.get_layer("fc1").get_weights()[0].astype(np.float64))
    assert np.count_nonzero(ours.layers[0].weights_raw != direct.raw) == np.count_nonzero(planted)
    np.testing.assert_array_equal(run_fixed(ours, x.astype(np.float64)).to_float(), theirs)


def _dense_batchnorm_model() -> Any:
    """Dense -> BatchNorm -> relu -> Dense -> BatchNorm, with non-trivial BatchNorm statistics."""
    rng = np.random.default_rng(5)
    inp = keras.Input((10,), name="x")
    h = keras.layers.BatchNormalization(name="bn1")(keras.layers.Dense(8, name="fc1")(inp))
    h = keras.layers.Dense(4, name="fc2")(keras.layers.Activation("relu", name="r1")(h))
    model = keras.Model(inp, keras.layers.BatchNormalization(name="bn2")(h))
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.gamma.shape[0]
            stats = [rng.uniform(0.5, 2, n), rng.normal(0, 1, n), rng.normal(0, 1, n), rng.uniform(0.2, 3, n)]
            layer.set_weights([s.astype(np.float32) for s in stats])
        elif layer.get_weights():
            w, b = layer.get_weights()
            layer.set_weights(
                [rng.normal(0, 0.7, w.shape).astype(np.float32), rng.normal(0, 0.5, b.shape).astype("f4")]
            )
    return model


@pytest.mark.parametrize(
    ("layer_name", "kept"),
    [
        ({"fc1": {"Precision": {"result": "auto"}}, "fc2": {"Precision": {"result": "auto"}}}, False),  # fused
        ({"fc2": {"Precision": {"result": "ap_fixed<14,5,AP_RND,AP_SAT>"}}}, True),  # the model precision: kept
    ],
)
def test_hls4ml_mode_batchnorm_fused_or_kept_as_hls4ml_decides(
    tmp_path: Path, layer_name: dict[str, Any], kept: bool
) -> None:
    """hls4ml folds a BatchNorm into its Dense (in float32) only while the Dense's result is ``auto``; otherwise
    it is its own layer (``nnet::normalize``: exact product and sum, one cast). Same layers, same bits."""
    import copy

    hls4ml = pytest.importorskip("hls4ml")
    model = _dense_batchnorm_model()
    config: dict[str, Any] = {"Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 1}, "LayerName": layer_name}
    hls_model = hls4ml.converters.convert_from_keras_model(
        model, hls_config=copy.deepcopy(config), output_dir=str(tmp_path / "prj"), backend="Vivado"
    )
    hls_model.compile()
    x = np.random.default_rng(6).normal(0, 2, (5000, 10)).astype(np.float32)
    theirs = hls_model.predict(x).astype(np.float64).reshape(len(x), -1)
    ours = from_keras(model, {**config, "Model": {**config["Model"], "Accumulation": "hls4ml"}})
    assert [layer.name for layer in ours.layers] == [layer.name for layer in hls_model.get_layers()][1:]
    assert ("bn1" in [layer.name for layer in ours.layers]) is kept
    mine, traces = run_fixed(ours, x.astype(np.float64), trace=True)
    np.testing.assert_array_equal(mine.to_float(), theirs)
    np.testing.assert_array_equal(run_fixed(ours, x.astype(np.float64)).to_float(), theirs)  # untraced too
    if kept:
        assert sum(t.overflows for t in traces) > 0  # ap_fixed<16,6> results saturate or wrap somewhere
    # the default mode folds in float64 and names the Dense to configure instead of the BatchNorm
    with pytest.raises(ConfigError, match=r"LayerName\.bn1: this BatchNormalization is folded into the Dense"):
        from_keras(model, {"LayerName": {"bn1": {"Precision": "ap_fixed<8,3>"}}})
