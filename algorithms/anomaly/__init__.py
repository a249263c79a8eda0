"""Anomaly-detection trigger (CMS AXOL1TL style): 57 object inputs -> one score, trained on zero-bias only.

``model: vae`` (default) is the encoder-only VAE, score ``sum mu^2`` of its 8 latent means; ``model:
ae`` the autoencoder, score its squared reconstruction error. A seed fires above a score::

    L1_AD_Nominal: {algorithm: {name: anomaly, output: score, min: 20.5, mode: both}}

The fixed path runs the shipped firmware descriptions bit-accurately (scaling, network, squares and
sum); the float path runs the networks in float32 with the trained (quantized) weights on the same
scaled inputs. Both export to HLS: the VAE is one feed-forward chain (:meth:`AnomalyVAE.firmware`), the
autoencoder's last layer compares its output with the scaled inputs (:meth:`AnomalyAE.firmware`). Training and
metrics: ``l1emu train anomaly``, ``l1emu evaluate anomaly`` (README.md beside this file).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from algorithms.anomaly.inputs import N_INPUTS, feature_rows, features, needs, scaled_rows
from algorithms.anomaly.model import (
    DEFAULT_DIR,
    MODELS,
    AEModel,
    ScaledInputs,
    load_ae,
    load_description,
    vae_parts,
)
from algorithms.anomaly.workspace import buffer
from trigger.io.reader import Chunk, Needs
from trigger.menu.algorithm import AlgorithmOutput, Mode
from trigger.nn import ModelDescription
from trigger.nn.fast_scale import RowScale
from trigger.nn.layers import ScaleLayer

__all__ = ["AnomalyAE", "AnomalyVAE", "make"]


def _scaled(chunk: Chunk, scale: ScaleLayer) -> tuple[ScaledInputs, int]:
    """The chunk's scaled inputs and its count of truncated events, computed once per scaling layer (the VAE and
    the autoencoder share one: four scorings, float and fixed, read one copy; the raw inputs are not kept)."""
    types = (str(scale.input_t), str(scale.scale_t), str(scale.result_t))
    key = ("anomaly", "scaled", *types, scale.offset.tobytes(), scale.shift.tobytes())
    if key not in chunk.cache:
        rows_scale = _row_scale(scale)
        if rows_scale is not None:  # each row cast and scaled as it is read, to the values the networks read
            values = buffer("anomaly.scaled", scale.n * chunk.n, np.float32).reshape(scale.n, chunk.n)
            truncated = scaled_rows(chunk, rows_scale, values)
            chunk.cache[key] = (ScaledInputs.of_values(scale, values, reuse=True), truncated)
        else:
            rows, truncated = feature_rows(chunk, reuse=True)  # this thread's buffers: fresh memory, page faults
            chunk.cache[key] = (ScaledInputs(scale, rows, reuse=True), truncated)
    cached: tuple[ScaledInputs, int] = chunk.cache[key]
    return cached


@functools.lru_cache(maxsize=16)
def _row_scale(scale: ScaleLayer) -> RowScale | None:
    return RowScale.of(scale, values=True)


class _Anomaly:
    name = "anomaly"
    outputs: tuple[str, ...] = ("score",)
    scale: ScaleLayer

    def needs(self) -> Needs:
        return needs()

    def score(self, inputs: ScaledInputs, fixed: bool) -> NDArray[np.float64]:
        raise NotImplementedError

    def evaluate(self, chunk: Chunk, mode: Mode) -> AlgorithmOutput:
        inputs, truncated = _scaled(chunk, self.scale)
        out = AlgorithmOutput(truncated=truncated)
        if mode.wants_float:
            out.float = {"score": self.score(inputs, fixed=False)}
        if mode.wants_fixed:
            out.fixed = {"score": self.score(inputs, fixed=True)}
        return out


class AnomalyVAE(_Anomaly):
    """The encoder-only VAE: scaling -> encoder -> sum mu^2, one description (exportable)."""

    def __init__(self, model: ModelDescription) -> None:
        if model.n_inputs != N_INPUTS or model.n_outputs != 1:
            raise ValueError(f"model {model.name} takes {model.n_inputs} inputs, gives {model.n_outputs}; need 57, 1")
        self.model = model
        self.scale, self.network = vae_parts(model)

    def score(self, inputs: ScaledInputs, fixed: bool) -> NDArray[np.float64]:
        return inputs.fixed(self.network) if fixed else inputs.float(self.network)

    def firmware(self) -> ModelDescription:
        return self.model

    def firmware_inputs(self, chunk: Chunk) -> NDArray[np.float64]:
        return features(chunk)[0]


class AnomalyAE(_Anomaly):
    """The autoencoder: its score is the squared difference of the scaled inputs and their reconstruction
    (exportable: one description whose score layer reads the scaling's output)."""

    def __init__(self, model: AEModel) -> None:
        self.model = model
        self.scale = model.scale

    def score(self, inputs: ScaledInputs, fixed: bool) -> NDArray[np.float64]:
        ae = self.model
        return inputs.fixed(ae.network, ae.score) if fixed else inputs.float(ae.network, ae.score)

    def firmware(self) -> ModelDescription:
        return self.model.firmware()

    def firmware_inputs(self, chunk: Chunk) -> NDArray[np.float64]:
        return features(chunk)[0]


def make(model: str = "vae", directory: str | None = None, **unknown: Any) -> AnomalyVAE | AnomalyAE:
    """The ``l1emu.algorithms`` entry point ``anomaly``."""
    if unknown:
        raise ValueError(f"unknown options {sorted(unknown)} (allowed: model, directory)")
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    where = Path(directory) if directory else DEFAULT_DIR
    return AnomalyVAE(load_description(where, "vae")) if model == "vae" else AnomalyAE(load_ae(where))
