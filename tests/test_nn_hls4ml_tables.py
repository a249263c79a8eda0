"""hls4ml mode: sigmoid, tanh and softmax tables against hls4ml 1.3's compiled predict, bit for bit.

Each compiled hls4ml model holds a sigmoid, a tanh and a softmax, so one compile checks three table
configurations (8 models, 24 configurations: precisions, rounding/overflow, table sizes, table types,
all four softmax implementations, inputs far outside the tables' ranges).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")
hls4ml = pytest.importorskip("hls4ml")

from trigger.errors import ConfigError  # noqa: E402
from trigger.nn import from_keras, run_fixed  # noqa: E402

# (precision, softmax implementation, TableSize, hls4ml's table type keys for every table layer)
CASES: list[tuple[str, str, int | None, dict[str, str]]] = [
    ("ap_fixed<16,6>", "stable", None, {}),
    ("ap_fixed<16,6>", "latency", None, {}),
    # legacy reads no table_t (hls4ml writes none into a softmax config) while sigmoid and tanh do
    ("ap_fixed<20,10,AP_RND,AP_SAT>", "legacy", 256, {"table_t": "ap_fixed<16,6,AP_RND,AP_SAT>"}),
    ("ap_fixed<16,6>", "argmax", None, {}),
    ("ap_fixed<12,4,AP_RND,AP_SAT>", "stable", 256, {}),
    ("ap_fixed<12,4,AP_RND,AP_SAT>", "latency", 4096, {}),
    ("ap_fixed<8,4>", "latency", 64, {"exp_table_t": "ap_fixed<12,6,AP_RND,AP_SAT>"}),
    ("ap_fixed<14,3,AP_TRN,AP_WRAP>", "latency", 2048, {"inv_inp_t": "ap_fixed<16,7,AP_RND,AP_SAT>"}),
]


def _model() -> Any:
    model = keras.Sequential(
        [
            keras.Input((8,), name="inp"),
            keras.layers.Dense(6, name="fc1"),
            keras.layers.Activation("sigmoid", name="sig"),
            keras.layers.Dense(6, name="fc2"),
            keras.layers.Activation("tanh", name="th"),
            keras.layers.Dense(5, name="fc3"),
            keras.layers.Activation("softmax", name="sm"),
        ]
    )
    rng = np.random.default_rng(11)
    for layer in model.layers:
        if not layer.get_weights():
            continue
        w, b = layer.get_weights()
        layer.set_weights(
            [rng.normal(0, 2.5, w.shape).astype(np.float32), rng.normal(0, 1, b.shape).astype(np.float32)]
        )
    return model


@pytest.fixture(scope="module")
def model() -> Any:
    return _model()


def _layer_cfg(impl: str, size: int | None, types: dict[str, str]) -> dict[str, dict[str, Any]]:
    table = {**({"TableSize": size} if size else {}), **({"table_t": types["table_t"]} if "table_t" in types else {})}
    softmax = {"Implementation": impl, **({"TableSize": size} if size else {}), **types}
    return {"sig": dict(table), "th": dict(table), "sm": softmax}


@pytest.mark.parametrize(("precision", "impl", "size", "types"), CASES)
def test_tables_match_hls4ml_compiled_predict(
    model: Any, tmp_path: Path, precision: str, impl: str, size: int | None, types: dict[str, str]
) -> None:
    layer_cfg = _layer_cfg(impl, size, types)
    hls_model = hls4ml.converters.convert_from_keras_model(
        model,
        hls_config={"Model": {"Precision": precision, "ReuseFactor": 1}, "LayerName": layer_cfg},
        output_dir=str(tmp_path / "prj"),
        backend="Vivado",
        io_type="io_parallel",
    )
    hls_model.compile()
    rng = np.random.default_rng(12)
    x = np.concatenate([rng.normal(0, 1, (3000, 8)), rng.normal(0, 8, (1000, 8))]).astype(np.float32)
    theirs = hls_model.predict(x).astype(np.float64).reshape(len(x), -1)
    ours = from_keras(
        model,
        {
            "Model": {"Precision": precision, "Accumulation": "hls4ml"},
            "LayerType": {"Dense": {"Precision": {"accum": precision}}},
            "LayerName": layer_cfg,
        },
    )
    mine, traces = run_fixed(ours, x.astype(np.float64), trace=True)
    np.testing.assert_array_equal(mine.to_float(), theirs)
    np.testing.assert_array_equal(run_fixed(ours, x.astype(np.float64)).to_float(), theirs)  # the fast path too
    # the sigmoid and tanh inputs leave their tables' ranges (+-8, +-4): the clamped ends are covered
    by_name = {t.name: t.output.to_float() for t in traces}
    top = ours.layers[0].result_t.max
    assert np.abs(by_name["fc1"]).max() >= min(8.0, top) and np.abs(by_name["fc2"]).max() >= min(4.0, top)


def test_sigmoid_near_zero_is_hls4ml_s_half() -> None:
    """hls4ml's int() index truncates towards zero: sigmoid(-0.0099) reads the entry at 0, 0.5."""
    from trigger.fixed import FixedType
    from trigger.nn.hls4ml_tables import HLS4ML_TABLE_T, hls4ml_activation_table

    in_t = FixedType.from_string("ap_fixed<16,6>")
    table = hls4ml_activation_table("sigmoid", in_t, 1024, HLS4ML_TABLE_T)
    raw = in_t.from_float(np.array([-0.0099, 0.0099, -0.0146, -0.0157])).int_raw()
    values = table.values_raw[table.index(raw)] * HLS4ML_TABLE_T.lsb
    assert values[0] == 0.5 and values[1] == 0.5
    assert values[2] == 0.5 and values[3] < 0.5  # 1024/16 = 64 entries per unit: the centre entry spans (-1/64, 1/64)


def test_table_type_keys_are_validated(model: Any) -> None:
    with pytest.raises(ConfigError, match=r"LayerName\.sm\.exp_table_t"):
        from_keras(model, {"Model": {"Accumulation": "hls4ml"}, "LayerName": {"sm": {"exp_table_t": "ap_fixd<8,3>"}}})
    with pytest.raises(ConfigError, match=r"LayerName\.sm\.inv_table_t: expected a type spelling"):
        from_keras(model, {"Model": {"Accumulation": "hls4ml"}, "LayerName": {"sm": {"inv_table_t": 7}}})
    with pytest.raises(ConfigError, match=r"Implementation 'legacy' exists only in the hls4ml mode"):
        from_keras(model, {"Model": {"Precision": "ap_fixed<16,6>"}, "LayerName": {"sm": {"Implementation": "legacy"}}})
