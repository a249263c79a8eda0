"""``l1emu train muon-pt``: the float and QAT regressors of q/pT and their firmware descriptions.

Both networks are 25 -> 30 -> 25 -> 20 -> 1 (ReLU, linear output; the tutorial's hidden layers) and see
the same inputs: the integer station differences (:mod:`algorithms.muon_pt.inputs`) through the
firmware scaling fitted on the training muons, bit-exact. The target is ``OUTPUT_SCALE * q / pT`` of the
generated muon; the loss is Huber's (quadratic within ``huber_delta``, linear beyond: a muon that
scattered hard does not pull the fit). The float model is post-training quantized to ``ap_fixed<16,6>``
(variant ``ptq``); the QAT model carries :data:`WEIGHT_T` weights and ``ap_fixed<16,6>`` activations
(variant ``qat``, the firmware). Every output is written to a temporary directory first and moved into
place only when all are complete.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from algorithms.muon_pt.data import GunMuons
from algorithms.muon_pt.inputs import FEATURES, INPUT_T, RESULT_T, SCALE_T
from algorithms.muon_pt.model import OUTPUT_SCALE, compose, quantized_float, save_description
from trigger.features.scaling import fit_scaling, scaled_inputs, scaling_to_json

__all__ = ["HIDDEN", "WEIGHT_T", "TrainingOptions", "hls_config", "targets", "train"]

HIDDEN = (30, 25, 20)
PTQ_PRECISION = "ap_fixed<16,6>"
#: QAT weights and biases: regression needs finer weights than the jet tagger's 6 bits (README: measured)
WEIGHT_T = "ap_fixed<8,1,AP_RND_CONV,AP_SAT>"
ACTIVATION_T = "ap_fixed<16,6,AP_RND_CONV,AP_SAT>"


@dataclass(frozen=True)
class TrainingOptions:
    epochs: int = 80
    batch_size: int = 512
    seed: int = 42
    learning_rate: float = 2e-3
    huber_delta: float = 1.0
    patience: int = 8
    validation: float = 0.2
    weight: str = WEIGHT_T


def hls_config(precision: str | None = None) -> dict[str, Any]:
    """The HLS configuration the shipped descriptions are built with (Latency, RF 1)."""
    model: dict[str, Any] = {"ReuseFactor": 1, "Strategy": "Latency"}
    if precision:
        model["Precision"] = precision
    return {"Model": model, "LayerType": {"Input": {"Precision": {"result": str(RESULT_T)}}}}


def targets(muons: GunMuons) -> NDArray[np.float64]:
    """``OUTPUT_SCALE * q / pT`` of the generated muons."""
    return np.asarray(OUTPUT_SCALE * muons.gen_charge / muons.gen_pt, dtype=np.float64)


def _float_model(seed: int) -> Any:
    import keras

    keras.utils.set_random_seed(seed)
    layers: list[Any] = [keras.Input((len(FEATURES),), name="input")]
    for i, units in enumerate(HIDDEN, 1):
        layers.append(keras.layers.Dense(units, activation="relu", name=f"fc{i}"))
    layers.append(keras.layers.Dense(1, activation="linear", name="output"))
    return keras.Sequential(layers, name="muon_pt_float")


def _fit(model: Any, x: NDArray[np.float64], y: NDArray[np.float64], opts: TrainingOptions) -> dict[str, Any]:
    import keras

    model.compile(optimizer=keras.optimizers.Adam(opts.learning_rate), loss=keras.losses.Huber(opts.huber_delta))
    stop = keras.callbacks.EarlyStopping(patience=opts.patience, restore_best_weights=True)
    slower = keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=max(opts.patience // 2, 1), min_lr=1e-5)
    history = model.fit(
        x.astype(np.float32),
        y.astype(np.float32),
        epochs=opts.epochs,
        batch_size=opts.batch_size,
        validation_split=opts.validation,
        callbacks=[stop, slower],
        verbose=0,
        shuffle=True,
    )
    return {k: [float(v) for v in vals] for k, vals in history.history.items()}


def train(muons: GunMuons, output: Path, opts: TrainingOptions, provenance: dict[str, Any]) -> dict[str, Any]:
    """Train both regressors on the found gun muons; write everything to ``output``."""
    import keras

    from trigger.nn import from_keras
    from trigger.train import qat_mlp, to_description

    start = time.perf_counter()
    found = muons.subset(muons.found)
    order = np.random.default_rng(opts.seed).permutation(len(found))
    x, y = found.x[order], targets(found)[order]
    scale = fit_scaling(x, INPUT_T, SCALE_T, RESULT_T)
    xs = scaled_inputs(scale, x)
    calib = xs[:10_000]
    summary: dict[str, Any] = {"muons": len(y), "gun_muons": len(muons)}
    with tempfile.TemporaryDirectory(prefix=".train-", dir=output.parent if output.parent.exists() else None) as tmp:
        out = Path(tmp)
        (out / "scaling.json").write_text(scaling_to_json(scale, FEATURES) + "\n")
        float_model = _float_model(opts.seed)
        summary["float_history"] = _fit(float_model, xs, y, opts)
        float_model.save(out / "float.keras")
        ptq = from_keras(float_model, hls_config(PTQ_PRECISION), calib)
        save_description(compose("muon_pt_ptq", scale, ptq), out, "muon_pt_ptq")
        keras.utils.set_random_seed(opts.seed)
        qat = qat_mlp(len(FEATURES), HIDDEN, 1, output="linear", weight=opts.weight, activation=ACTIVATION_T,
                      input_precision=str(RESULT_T), seed=opts.seed, name="muon_pt_qat")  # fmt: skip
        summary["qat_history"] = _fit(qat, xs, y, opts)
        qat.save(out / "qat.keras")
        description = quantized_float(to_description(qat, hls_config(), calib))
        save_description(compose("muon_pt_qat", scale, description), out, "muon_pt_qat")
        summary["seconds"] = round(time.perf_counter() - start, 1)
        (out / "training.json").write_text(
            json.dumps({**provenance, "options": asdict(opts), **summary}, indent=1) + "\n"
        )
        output.mkdir(parents=True, exist_ok=True)
        for path in sorted(out.iterdir()):
            shutil.move(str(path), output / path.name)
    return summary
