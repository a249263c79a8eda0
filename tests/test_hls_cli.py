"""``l1emu hls export / csim / estimate``: the happy path on a saved Keras model, and the errors."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from trigger.cli import main

# keras 3 + numpy 2 warn inside keras itself when saving/loading: not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:keras")

CONFIG = """\
Model:
  Precision: ap_fixed<16,6>
  ReuseFactor: 4
  Strategy: Resource
IOType: io_parallel
"""


@pytest.fixture(scope="module")
def keras_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    root = tmp_path_factory.mktemp("cli")
    model = keras.Sequential(
        [
            keras.Input((16,), name="inp"),
            keras.layers.Dense(64, activation="relu", name="fc1"),
            keras.layers.Dense(32, activation="relu", name="fc2"),
            keras.layers.Dense(32, activation="relu", name="fc3"),
            keras.layers.Dense(5, activation="softmax", name="out"),
        ],
        name="jet_tagger",
    )
    path = root / "jet.keras"
    model.save(path)
    (root / "cfg.yml").write_text(CONFIG)
    np.save(root / "cal.npy", np.random.default_rng(0).normal(0, 2, (500, 16)))
    return path


def test_export_csim_estimate(keras_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg, cal = str(keras_model.parent / "cfg.yml"), str(keras_model.parent / "cal.npy")
    out = tmp_path / "prj"
    assert main(["hls", "export", str(keras_model), "--config", cfg, "-o", str(out), "--csim", "2000"]) == 0
    text = capsys.readouterr().out
    assert "2000 samples" in text and " 0 mismatches" in text
    assert (out / "build_prj.tcl").is_file()
    # an existing project is not overwritten without --force
    assert main(["hls", "export", str(keras_model), "--config", cfg, "-o", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    args = ["hls", "export", str(keras_model), "--config", cfg, "-o", str(out), "--force", "--calibration", cal]
    assert main(args) == 0
    capsys.readouterr()
    assert main(["hls", "csim", str(out)]) == 0
    assert " 0 mismatches" in capsys.readouterr().out
    assert main(["hls", "csim", str(out), "--n", "500"]) == 0
    assert "500 samples" in capsys.readouterr().out
    assert main(["hls", "estimate", str(keras_model), "--config", cfg]) == 0
    est = capsys.readouterr().out
    assert "total" in est and "II 4" in est


def test_cli_errors(keras_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = str(keras_model.parent / "cfg.yml")
    assert main(["hls", "estimate", str(tmp_path / "missing.keras"), "--config", cfg]) == 2
    assert "no such model file" in capsys.readouterr().err
    assert main(["hls", "estimate", str(keras_model.parent / "cal.npy"), "--config", cfg]) == 2
    assert "expected a Keras 3 '.keras' file" in capsys.readouterr().err
    assert main(["hls", "csim", str(tmp_path)]) == 2
    assert "not an l1emu HLS project" in capsys.readouterr().err
    bad = tmp_path / "bad.yml"
    bad.write_text("Model:\n  Precision: ap_fixed<16,6>\n  ReuseFactor: 1000\n")
    assert main(["hls", "estimate", str(keras_model), "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "ReuseFactor 1000 does not fit" in err and "valid reuse factors are" in err
    auto = tmp_path / "auto.yml"
    auto.write_text("Model:\n  Precision: auto\n")
    assert main(["hls", "estimate", str(keras_model), "--config", str(auto)]) == 2
    assert "calibration" in capsys.readouterr().err
    assert main(["hls", "estimate", str(keras_model), "--config", cfg, "--calibration", str(tmp_path / "x.npy")]) == 2
    assert "no such calibration file" in capsys.readouterr().err
