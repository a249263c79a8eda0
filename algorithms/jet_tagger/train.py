"""``l1emu train jet-tagger``: the float, QAT and QAT + 75 %-pruned taggers, and their firmware.

All three networks are 16 -> 64 -> 32 -> 32 -> 5 (ReLU, softmax) and see the same inputs: the raw
substructure quantities through the firmware scaling fitted on the training jets
(:func:`trigger.features.scaling.fit_scaling`), bit-exact. The float model is then post-training
quantized to ``ap_fixed<16,6>`` (variant ``ptq``); the QAT models carry 6-bit weights
(``ap_fixed<6,1>``, trigger.train). Every output is written to a temporary directory first and moved
into place only when all are complete.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from algorithms.jet_tagger.inputs import CLASSES, FEATURES, INPUT_T, RESULT_T, SCALE_T
from algorithms.jet_tagger.model import compose, quantized_float, save_description
from trigger.features.scaling import fit_scaling, scaled_inputs, scaling_to_json

__all__ = ["TrainingOptions", "hls_config", "train"]

HIDDEN = (64, 32, 32)
PTQ_PRECISION = "ap_fixed<16,6>"


@dataclass(frozen=True)
class TrainingOptions:
    epochs: int = 60
    batch_size: int = 256
    seed: int = 42
    learning_rate: float = 2e-3
    sparsity: float = 0.75
    prune_epochs: int = 10  # the sparsity schedule's length; early stopping waits for its end
    validation: float = 0.2


def hls_config(precision: str | None = None) -> dict[str, Any]:
    """The HLS configuration the shipped descriptions are built with (Latency, RF 1)."""
    model: dict[str, Any] = {"ReuseFactor": 1, "Strategy": "Latency"}
    if precision:
        model["Precision"] = precision
    return {
        "Model": model,
        "LayerType": {"Input": {"Precision": {"result": str(RESULT_T)}}, "Softmax": {"Implementation": "stable"}},
    }


def _float_model(seed: int) -> Any:
    import keras

    keras.utils.set_random_seed(seed)
    layers: list[Any] = [keras.Input((len(FEATURES),), name="input")]
    for i, units in enumerate(HIDDEN, 1):
        layers.append(keras.layers.Dense(units, activation="relu", name=f"fc{i}"))
    layers.append(keras.layers.Dense(len(CLASSES), activation="softmax", name="output"))
    return keras.Sequential(layers, name="jet_tagger_float")


def _fit(
    model: Any,
    x: NDArray[np.float64],
    y: NDArray[np.int64],
    opts: TrainingOptions,
    callbacks: list[Any],
    start: int = 0,
) -> Any:
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(opts.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    stop = keras.callbacks.EarlyStopping(patience=5, restore_best_weights=not callbacks, start_from_epoch=start)
    history = model.fit(
        x.astype(np.float32),
        y,
        epochs=opts.epochs,
        batch_size=opts.batch_size,
        validation_split=opts.validation,
        callbacks=[stop, *callbacks],
        verbose=0,
        shuffle=True,
    )
    return history.history


def train(
    x: NDArray[np.float64], y: NDArray[np.int64], output: Path, opts: TrainingOptions, provenance: dict[str, Any]
) -> dict[str, Any]:
    """Train the three taggers on raw inputs ``x`` and labels ``y``; write everything to ``output``."""
    import keras

    from trigger.nn import from_keras
    from trigger.train import PolynomialDecay, Pruning, qat_mlp, sparsity, to_description

    start = time.perf_counter()
    rng = np.random.default_rng(opts.seed)
    order = rng.permutation(len(y))
    x, y = x[order], y[order]
    scale = fit_scaling(x, INPUT_T, SCALE_T, RESULT_T)
    xs = scaled_inputs(scale, x)
    calib = xs[:10_000]
    summary: dict[str, Any] = {"jets": len(y), "per_class": np.bincount(y, minlength=5).tolist()}
    with tempfile.TemporaryDirectory(prefix=".train-", dir=output.parent if output.parent.exists() else None) as tmp:
        out = Path(tmp)
        (out / "scaling.json").write_text(scaling_to_json(scale, FEATURES) + "\n")
        float_model = _float_model(opts.seed)
        summary["float_history"] = _fit(float_model, xs, y, opts, [])
        float_model.save(out / "float.keras")
        ptq = from_keras(float_model, hls_config(PTQ_PRECISION), calib)
        save_description(compose("jet_tagger_ptq", scale, ptq), out, "tagger_ptq")
        for variant, target in (("qat", 0.0), ("qat_pruned", opts.sparsity)):
            keras.utils.set_random_seed(opts.seed)
            qat = qat_mlp(len(FEATURES), HIDDEN, len(CLASSES), input_precision=str(RESULT_T), seed=opts.seed,
                          name=f"jet_tagger_{variant}")  # fmt: skip
            steps = int(np.ceil(len(y) * (1 - opts.validation) / opts.batch_size))
            callbacks, start = [], 0
            if target:  # the schedule ends after prune_epochs (or half the epochs): never cut short by early stopping
                epochs = min(opts.prune_epochs, max(opts.epochs // 2, 1))
                end, start = steps * epochs, epochs
                schedule = PolynomialDecay(
                    final_sparsity=target, begin_step=0, end_step=end, frequency=max(steps // 4, 1)
                )
                callbacks.append(Pruning(schedule))
            summary[f"{variant}_history"] = _fit(qat, xs, y, opts, callbacks, start)
            summary[f"{variant}_sparsity"] = float(sparsity(qat))
            qat.save(out / f"{variant}.keras")
            save_description(
                compose(f"jet_tagger_{variant}", scale, quantized_float(to_description(qat, hls_config(), calib))),
                out,
                f"tagger_{variant}",
            )
        summary["seconds"] = round(time.perf_counter() - start, 1)
        (out / "training.json").write_text(
            json.dumps({**provenance, "options": opts.__dict__, **summary}, indent=1) + "\n"
        )
        output.mkdir(parents=True, exist_ok=True)
        for path in sorted(out.iterdir()):
            shutil.move(str(path), output / path.name)
    return summary
