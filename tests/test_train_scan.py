"""Post-training precision scan through the emulator, and its plot."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras

from trigger.errors import ModelError
from trigger.nn.keras_import import network_from_keras
from trigger.train import accuracy, plot_precision_scan, precision_scan

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:keras")


def _blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Three well separated classes whose features reach |x| ~ 10: one integer bit cannot hold them."""
    rng = np.random.default_rng(seed)
    centres = np.array([[6.0, 0.0, -3.0, 2.0], [-5.0, 4.0, 3.0, -2.0], [0.0, -6.0, 0.0, 5.0]])
    labels = rng.integers(0, 3, n)
    return centres[labels] + rng.normal(0, 1.0, (n, 4)), labels


@pytest.fixture(scope="module")
def tiny() -> keras.Model:
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((4,), name="x"),
            keras.layers.Dense(8, activation="relu", name="fc1"),
            keras.layers.Dense(3, name="fc2"),
            keras.layers.Softmax(name="softmax"),
        ],
        name="tiny",
    )
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    x, y = _blobs(2000, seed=1)
    model.fit(x, y, batch_size=32, epochs=3, verbose=0)
    return model


def test_accuracy_collapses_without_integer_bits(tiny: keras.Model, tmp_path: Path) -> None:
    x, y = _blobs(3000, seed=2)
    scan = precision_scan(tiny, x, y, integer_bits=range(1, 9), fractional_bits=range(0, 11))
    keras_accuracy = accuracy(tiny.predict(x, verbose=0).astype(np.float64), y)
    assert keras_accuracy > 0.95
    assert scan.float_value == pytest.approx(keras_accuracy, abs=1e-3)  # the emulator's float path agrees
    by_integer = dict(zip(scan.integer_bits, scan.vs_integer, strict=True))
    by_fraction = dict(zip(scan.fractional_bits, scan.vs_fractional, strict=True))
    # wrapped inputs and activations at I = 1 destroy the separation; I = 6, F = 10 is the float network
    assert by_integer[1] < by_integer[6] - 0.3
    assert by_integer[6] >= scan.float_value - 0.01
    assert by_fraction[10] == by_integer[6]  # the same point, ap_fixed<16,6>, reached from both scans
    assert scan.precision(6, 10) == "ap_fixed<16,6,AP_TRN,AP_WRAP>"
    out = plot_precision_scan(scan, tmp_path / "plots" / "scan.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000


def test_scan_takes_a_network_spec_and_a_metric(tiny: keras.Model) -> None:
    x, y = _blobs(500, seed=3)
    spec = network_from_keras(tiny)

    def top_probability(predictions: np.ndarray, labels: np.ndarray) -> float:
        return float(predictions.max(axis=1).mean())

    scan = precision_scan(spec, x, y, integer_bits=[2, 8], fractional_bits=[4], metric=top_probability)
    assert scan.metric == "top_probability" and len(scan.vs_integer) == 2 and 0.0 < scan.vs_fractional[0] <= 1.0
    with pytest.raises(ModelError, match="one label per row"):
        precision_scan(spec, x, y[:10])
