"""``l1emu train anomaly``: the encoder-only VAE and the autoencoder, quantization-aware, on zero-bias only.

Both see the 57 raw inputs through the firmware scaling fitted on the training crossings
(:func:`trigger.features.scaling.fit_scaling`), bit-exact. The VAE trains its QAT encoder
(57 -> 32 -> 16 -> 8 means, 6-bit weights, ``ap_fixed<16,6>`` activations) with a float log-variance
head and a float decoder on ``(1 - beta) |x - x'|^2 + beta KL``; only the mean head ships, scored by
``sum mu^2`` (CMS AXOL1TL). The autoencoder 57 -> 32 -> 8 -> 32 -> 57 is QAT throughout and scored by
its squared reconstruction error. Fixed seed; everything is written to a temporary directory first
and moved into place only when complete.
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

from algorithms.anomaly.inputs import FEATURES, INPUT_T, N_INPUTS, RESULT_T, SCALE_T
from algorithms.anomaly.model import SCORE_T, compose, quantized_float, save_description
from trigger.features.scaling import fit_scaling, scaled_inputs, scaling_to_json
from trigger.nn import SquareSumLayer

__all__ = ["AE_HIDDEN", "ENCODER", "LATENT", "TrainingOptions", "train"]

ENCODER = (32, 16)
LATENT = 8
AE_HIDDEN = (32, 8, 32)
WEIGHT = "ap_fixed<6,1,AP_RND_CONV,AP_SAT>"
ACTIVATION = "ap_fixed<16,6,AP_RND_CONV,AP_SAT>"


@dataclass(frozen=True)
class TrainingOptions:
    epochs: int = 20
    batch_size: int = 1024
    seed: int = 42
    learning_rate: float = 1e-3
    beta: float = 0.1  # VAE: weight of the KL term; at 0.8 the posterior collapsed (every mu = 0)
    validation: float = 0.1
    patience: int = 3


def _fit(model: Any, x: Any, y: Any, opts: TrainingOptions, loss: Any) -> dict[str, list[float]]:
    import keras

    model.compile(optimizer=keras.optimizers.Adam(opts.learning_rate), loss=loss)
    stop = keras.callbacks.EarlyStopping(patience=opts.patience, restore_best_weights=True)
    history = model.fit(
        x, y, epochs=opts.epochs, batch_size=opts.batch_size, validation_split=opts.validation,
        callbacks=[stop], verbose=0, shuffle=True,
    )  # fmt: skip
    return {k: [float(v) for v in vals] for k, vals in history.history.items()}


def _sum_squares(y: Any, p: Any) -> Any:
    import keras

    return keras.ops.sum(keras.ops.square(y - p), axis=-1)


def _vae(opts: TrainingOptions) -> tuple[Any, Any]:
    """The training VAE and its firmware encoder (same QAT layers fc1, fc2, fc3 = the means)."""
    import keras

    from trigger.train import qat_mlp
    from trigger.train.layers import QActivation, QDense, QInput

    keras.utils.set_random_seed(opts.seed)
    encoder = qat_mlp(N_INPUTS, ENCODER, LATENT, output="linear", weight=WEIGHT, activation=ACTIVATION,
                      input_precision=str(RESULT_T), seed=opts.seed, name="anomaly_vae_encoder")  # fmt: skip
    init = keras.initializers.GlorotUniform
    inputs = keras.Input((N_INPUTS,), name="input")
    h = QInput(str(RESULT_T), name="input_cast")(inputs)
    for i, units in enumerate(ENCODER, 1):
        h = QDense(units, WEIGHT, WEIGHT, ACTIVATION, kernel_initializer=init(opts.seed + i), name=f"fc{i}")(h)
        h = QActivation("relu", ACTIVATION, name=f"fc{i}_relu")(h)
    k = len(ENCODER) + 1
    mu = QDense(LATENT, WEIGHT, WEIGHT, ACTIVATION, kernel_initializer=init(opts.seed + k), name=f"fc{k}")(h)
    logvar = keras.layers.Dense(LATENT, kernel_initializer=init(opts.seed + 10), name="logvar")(h)
    z = _sampling(opts.beta, opts.seed, "sampling")([mu, logvar])
    d = z
    for i, units in enumerate(reversed(ENCODER), 1):
        d = keras.layers.Dense(units, activation="relu", kernel_initializer=init(opts.seed + 20 + i), name=f"dec{i}")(d)
    out = keras.layers.Dense(N_INPUTS, kernel_initializer=init(opts.seed + 30), name="reconstruction")(d)
    return keras.Model(inputs, out, name="anomaly_vae"), encoder


def _sampling(beta: float, seed: int, name: str) -> Any:
    """The reparametrisation layer: z = mu + exp(logvar / 2) eps; adds beta x KL(q(z|x) || N(0, 1)) to the loss."""
    import keras

    class Sampling(keras.layers.Layer):  # type: ignore[misc]
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(seed)

        def call(self, inputs: Any) -> Any:
            ops = keras.ops
            mu, logvar = inputs
            kl = -0.5 * ops.mean(ops.sum(1.0 + logvar - ops.square(mu) - ops.exp(logvar), axis=1))
            self.add_loss(beta * kl)
            eps = keras.random.normal(ops.shape(mu), seed=self.seed_generator)
            return mu + ops.exp(0.5 * logvar) * eps

    return Sampling(name=name)


def train(x: NDArray[np.float64], output: Path, opts: TrainingOptions, provenance: dict[str, Any]) -> dict[str, Any]:
    """Train both models on the raw zero-bias inputs ``x`` (n, 57); write everything to ``output``."""
    import keras

    from trigger.train import to_description

    start = time.perf_counter()
    x = x[np.random.default_rng(opts.seed).permutation(len(x))]
    scale = fit_scaling(x, INPUT_T, SCALE_T, RESULT_T)
    xs = scaled_inputs(scale, x).astype(np.float32)
    calib = xs[:10_000]
    config = {"Model": {"ReuseFactor": 1, "Strategy": "Latency"}}
    summary: dict[str, Any] = {"crossings": len(x)}
    with tempfile.TemporaryDirectory(prefix=".train-", dir=output.parent if output.parent.exists() else None) as tmp:
        out = Path(tmp)
        (out / "scaling.json").write_text(scaling_to_json(scale, FEATURES) + "\n")
        vae, encoder = _vae(opts)
        summary["vae_history"] = _fit(vae, xs, xs, opts, lambda y, p: (1.0 - opts.beta) * _sum_squares(y, p))
        for layer in encoder.layers:
            if layer.get_weights():
                layer.set_weights(vae.get_layer(layer.name).get_weights())
        encoder.save(out / "vae_encoder.keras")
        enc = quantized_float(to_description(encoder, config, calib))
        score = SquareSumLayer("score", LATENT, enc.output_t, SCORE_T)
        save_description(compose("anomaly_vae", "inputs", (scale, *enc.layers, score)), out, "vae")
        keras.utils.set_random_seed(opts.seed)
        from trigger.train import qat_mlp

        ae = qat_mlp(N_INPUTS, AE_HIDDEN, N_INPUTS, output="linear", weight=WEIGHT, activation=ACTIVATION,
                     input_precision=str(RESULT_T), seed=opts.seed, name="anomaly_ae")  # fmt: skip
        summary["ae_history"] = _fit(ae, xs, xs, opts, _sum_squares)
        ae.save(out / "ae.keras")
        save_description(quantized_float(to_description(ae, config, calib)), out, "ae")
        summary["seconds"] = round(time.perf_counter() - start, 1)
        (out / "training.json").write_text(
            json.dumps({**provenance, "options": asdict(opts), **summary}, indent=1) + "\n"
        )
        output.mkdir(parents=True, exist_ok=True)
        for path in sorted(out.iterdir()):
            shutil.move(str(path), output / path.name)
    return summary
