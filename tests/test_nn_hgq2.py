"""HGQ2 models in: ``from_keras`` on an HGQ2-trained model against HGQ2's own quantized forward pass and
against hls4ml 1.3's compiled predict of the same model, bit for bit (0 mismatches, no tolerance).

One tiny model (8-16-12-5, relu) covers the quantizer kinds: kif RND/WRAP inputs, kbi TRN/SAT,
kif RND/SAT_SYM, an output quantizer (TRN/WRAP), a QBatchNormDense, per-weight kernel bit widths
(some pruned to 0 bits) and per-element activation bit widths (some elements unsigned, one pruned).
It is trained for 2 epochs on random data, then its bit widths are set per element (as a longer
training leaves them), so every quantizer is heterogeneous.  hls4ml compiles it once per module.
(Our exported project's C simulation of it is bit-exact too, but a second g++ build would double the
file's time: ``l1emu hls export model.keras --config hls.yml -o prj --csim 10000`` checks it.)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")
hgq = pytest.importorskip("hgq")

from trigger.errors import ConfigError, ModelError  # noqa: E402
from trigger.nn import DenseLayer, QuantizeLayer, from_keras, run_fixed  # noqa: E402
from trigger.nn.serialize import from_json, to_json  # noqa: E402


def _hetero(rng: np.random.Generator, q: Any, **ranges: tuple[int, int]) -> None:
    """Per-element bit widths: each named variable of the quantizer set to random integers in its range."""
    for name, (lo, hi) in ranges.items():
        var = getattr(q.quantizer, "_" + name)
        var.assign(rng.integers(lo, hi + 1, size=var.shape).astype(var.dtype))


def _build() -> Any:
    from hgq.config import QuantizerConfig
    from hgq.layers import QBatchNormDense, QDense

    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(0)
    inp = keras.Input((8,), name="x")
    h = QDense(16, activation="relu", name="fc1")(inp)
    sat = QuantizerConfig("kbi", "datalane", round_mode="TRN", overflow_mode="SAT")
    h = QBatchNormDense(12, activation="relu", name="fc2", iq_conf=sat)(h)
    sym = QuantizerConfig("kif", "datalane", overflow_mode="SAT_SYM")
    wrap_out = QuantizerConfig("kif", "datalane", round_mode="TRN", overflow_mode="WRAP")
    out = QDense(5, name="fc3", iq_conf=sym, enable_oq=True, oq_conf=wrap_out)(h)
    model = keras.Model(inp, out, name="tiny_hgq2")
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(rng.normal(size=(256, 8)).astype(np.float32), rng.integers(0, 5, 256), epochs=2, batch_size=64, verbose=0)
    for layer in model.layers[1:]:
        if type(layer.iq.quantizer).__name__.endswith("KIF"):
            _hetero(rng, layer.iq, k=(0, 1), i=(0, 3), f=(1, 5))
        else:
            _hetero(rng, layer.iq, k=(0, 1), b=(0, 7), i=(0, 3))
        _hetero(rng, layer.kq, b=(0, 7), i=(-1, 1))
    _hetero(rng, model.layers[-1].oq, k=(0, 1), i=(1, 4), f=(0, 3))
    return model


@pytest.fixture(scope="module")
def model() -> Any:
    return _build()


@pytest.fixture(scope="module")
def x() -> np.ndarray:
    """float32 inputs (what HGQ2 and hls4ml's predict compute with): typical, on rounding ties, far out of range."""
    rng = np.random.default_rng(2)
    parts = [
        rng.normal(0, 2, (6000, 8)),
        rng.integers(-512, 512, (2000, 8)) / 64.0,  # exact ties of every fractional width up to 5
        rng.uniform(-60, 60, (1500, 8)),
        rng.choice([-1000.0, -17.0, 15.96875, 16.0, 1000.0], (500, 8)),
    ]
    return np.concatenate(parts).astype(np.float32)


@pytest.fixture(scope="module")
def hls_predict(model: Any, x: np.ndarray, tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """hls4ml 1.3's compiled predict of the model on ``x`` (one compile for the module)."""
    hls4ml = pytest.importorskip("hls4ml")
    cfg = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vivado")
    hls_model = hls4ml.converters.convert_from_keras_model(
        model,
        hls_config=cfg,
        output_dir=str(tmp_path_factory.mktemp("hgq2") / "hls4ml"),
        backend="Vivado",
        io_type="io_parallel",
    )
    hls_model.compile()
    return np.asarray(hls_model.predict(x), dtype=np.float64).reshape(len(x), -1)


def test_model_is_heterogeneous(model: Any) -> None:
    """The case is what it claims: per-element types in every quantizer, pruned weights and elements."""
    desc = from_keras(model)
    quantizers = [la for la in desc.layers if isinstance(la, QuantizeLayer)]
    assert [q.name for q in quantizers] == ["fc1_iq", "fc2_iq", "fc3_iq", "fc3_oq"]
    assert all(len(q.groups()) > 3 for q in quantizers)
    assert any(bool((q.signed == 0).any()) for q in quantizers)
    assert int((quantizers[1].width <= 0).sum()) >= 1
    dense = [la for la in desc.layers if isinstance(la, DenseLayer)]
    assert all(d.n_zero_weights > 0 for d in dense)
    # the kernels hold exactly the trained quantized weights (no second rounding)
    for d, layer in zip(dense, model.layers[1:], strict=True):
        np.testing.assert_array_equal(d.weights, np.asarray(layer.qkernel, dtype=np.float64))


def test_matches_hgq2_forward(model: Any, x: np.ndarray) -> None:
    desc = from_keras(model)
    theirs = np.asarray(model(x, training=False), dtype=np.float64)
    out, traces = run_fixed(desc, x.astype(np.float64), trace=True)
    assert int(np.sum(out.to_float() != theirs)) == 0
    np.testing.assert_array_equal(run_fixed(desc, x.astype(np.float64)).to_float(), theirs)  # the fast path too
    overflows = {t.name: t.overflows for t in traces}
    # the out-of-range rows really wrap (fc1_iq, WRAP), saturate (fc2_iq, SAT) and wrap at the output (fc3_oq)
    assert overflows["fc1_iq"] > 0 and overflows["fc2_iq"] > 0 and overflows["fc3_oq"] > 0


def test_matches_hls4ml_compiled_predict(model: Any, x: np.ndarray, hls_predict: np.ndarray) -> None:
    desc = from_keras(model)
    ours = run_fixed(desc, x.astype(np.float64)).to_float()
    assert int(np.sum(ours != hls_predict)) == 0


def test_keras_file_and_description_round_trip(model: Any, x: np.ndarray, tmp_path: Path) -> None:
    path = tmp_path / "tiny.keras"
    model.save(path)
    desc = from_keras(str(path))
    expected = np.asarray(model(x[:2000], training=False), dtype=np.float64)
    np.testing.assert_array_equal(run_fixed(desc, x[:2000].astype(np.float64)).to_float(), expected)
    again = from_json(*to_json(desc))  # exported projects store descriptions as JSON + arrays
    np.testing.assert_array_equal(run_fixed(again, x[:2000].astype(np.float64)).to_float(), expected)


def test_config_sets_reuse_factor_not_precisions(model: Any) -> None:
    desc = from_keras(model, {"LayerName": {"fc1": {"ReuseFactor": 4}}})
    dense = desc.layer("fc1")
    assert isinstance(dense, DenseLayer) and dense.reuse_factor == 4
    with pytest.raises(ConfigError, match=r"LayerName\.fc1\.Precision\.weight: ap_fixed<8,2>.*HGQ2 model carries"):
        from_keras(model, {"LayerName": {"fc1": {"Precision": {"weight": "ap_fixed<8,2>"}}}})


def test_unsupported_hgq2_layer_is_a_clear_error() -> None:
    from hgq.layers import QDense, QSoftmax

    inp = keras.Input((4,), name="x")
    unsupported = keras.Model(inp, QSoftmax(name="sm")(QDense(3, name="fc")(inp)))
    with pytest.raises(ModelError, match=r"layer 'sm' of type QSoftmax is not supported; supported layers are"):
        from_keras(unsupported)
    tanh = keras.Model(inp, QDense(3, activation="tanh", name="fc_tanh")(inp))
    with pytest.raises(ModelError, match=r"'fc_tanh' of type QDense is not supported: activation 'tanh'"):
        from_keras(tanh)
