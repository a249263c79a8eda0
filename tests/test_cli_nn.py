"""``l1emu nn summary|trace`` end to end on a saved Keras model."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from trigger.cli import main

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("nn")
    model = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(16, activation="relu", name="fc1"), keras.layers.Dense(2, name="out")]
    )
    model.save(root / "m.keras")
    np.save(root / "x.npy", np.random.default_rng(0).normal(0, 2, (500, 8)))
    return root / "m.keras", root / "x.npy"


def test_summary_and_trace(saved: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model, x = saved
    assert main(["nn", "summary", str(model), "--calibration", str(x)]) == 0
    assert "fc1" in capsys.readouterr().out
    config = tmp_path / "narrow.yaml"
    config.write_text(
        "Model:\n  Precision: ap_fixed<16,6>\nLayerName:\n  fc1:\n    Precision: {accum: 'ap_fixed<6,1>'}\n"
    )
    assert main(["nn", "trace", str(model), "--config", str(config), "--input", str(x)]) == 0
    out = capsys.readouterr().out
    fc1 = next(line for line in out.splitlines() if line.strip().startswith("fc1 "))
    assert "too narrow" in fc1


def test_bad_input_file_is_a_clear_error(
    saved: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model, _ = saved
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros(5))
    assert main(["nn", "trace", str(model), "--input", str(bad), "--calibration", str(bad)]) == 2
    assert "bad.npy: expected a numeric array of shape (batch, n_inputs)" in capsys.readouterr().err
