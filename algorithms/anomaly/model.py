"""The shipped anomaly models: firmware descriptions (JSON + .npz, no pickle) under ``configs/algorithms/anomaly``.

Both models read the firmware's scaled inputs (saturating at +-32: what training saw). The fixed path
is bit-exact from there on; the float path runs the trained (quantized) weights in float32, without
the activations' rounding and saturation.

``vae``: the scaling layer, the QAT encoder 57 -> 32 -> 16 -> 8 (the latent means mu) and the
score ``sum mu^2`` (:class:`~trigger.nn.SquareSumLayer`): one feed-forward chain, what the HLS
writer renders. ``ae``: the scaling layer and the QAT autoencoder 57 -> 32 -> 8 -> 32 -> 57; its score
compares the reconstruction with the scaled input: the event loop joins the two in :func:`ae_score`
(the difference exact, then the same square-sum layer), the firmware is one description whose last layer
reads the scaling's output (:meth:`AEModel.firmware`, a :class:`~trigger.nn.SquareErrorLayer`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from trigger.errors import ModelError
from trigger.fixed import FixedType, minus_type
from trigger.nn import (
    ModelDescription,
    SquareErrorLayer,
    SquareSumLayer,
    describe,
    run_fixed,
    run_float,
    serialize,
)
from trigger.nn.layers import Layer, ScaleLayer
from trigger.nn.shipped import quantized_float

__all__ = [
    "DEFAULT_DIR",
    "MODELS",
    "SCORE_T",
    "AEModel",
    "ae_score",
    "compose",
    "load_ae",
    "load_description",
    "load_scaling",
    "quantized_float",
    "save_description",
    "scaled",
    "vae_parts",
    "vae_score",
]

#: configs/algorithms/anomaly of this checkout
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "configs" / "algorithms" / "anomaly"
MODELS = ("vae", "ae")
#: the score word (AXOL1TL: ap_ufixed<18,14>); truncating, saturating so the largest scores stay largest
SCORE_T = FixedType.from_string("ap_ufixed<18,14,AP_TRN,AP_SAT>")


def compose(name: str, input_name: str, layers: tuple[Layer, ...]) -> ModelDescription:
    """Layers from the raw inputs on (the first is the scaling layer)."""
    return describe(name, layers[0].input_t, list(layers), input_name=input_name)


@dataclasses.dataclass(frozen=True)
class AEModel:
    """The autoencoder: scaling, network (scaled inputs -> reconstruction) and the score layer on their difference."""

    scale: ScaleLayer
    network: ModelDescription
    score: SquareSumLayer

    @staticmethod
    def build(scale: ScaleLayer, network: ModelDescription) -> AEModel:
        diff_t = minus_type(scale.result_t, network.output_t)  # x - y, exact
        return AEModel(scale, network, SquareSumLayer("score", scale.n, diff_t, SCORE_T))

    def firmware(self) -> ModelDescription:
        """One description from the raw inputs: scaling, network, and the square error against the scaling's
        output (:class:`~trigger.nn.SquareErrorLayer`): what the HLS writer renders. Its score is
        :func:`ae_score`'s (the seed export checks it on every chunk)."""
        error = SquareErrorLayer(
            self.score.name,
            self.scale.n,
            self.network.output_t,
            self.scale.name,
            self.scale.result_t,
            self.score.result_t,
        )
        assert error.diff_t == self.score.input_t  # (x - y) and (y - x): one type, the same squares
        return compose(self.network.name, "inputs", (self.scale, *self.network.layers, error))


def scaled(scale: ScaleLayer, x: NDArray[np.float64]) -> NDArray[np.float64]:
    """The firmware's scaled inputs (bit-exact, saturating): what training saw, and what both paths read."""
    return np.asarray(run_fixed(describe("scale", scale.input_t, [scale]), x).to_float())


def vae_parts(vae: ModelDescription) -> tuple[ScaleLayer, ModelDescription]:
    """The VAE's scaling layer and the rest of its chain (scaled inputs -> score)."""
    scale, rest = vae.layers[0], vae.layers[1:]
    if not isinstance(scale, ScaleLayer):
        raise ModelError(f"model {vae.name}: the first layer is {type(scale).__name__}, not the input scaling")
    return scale, describe(vae.name, rest[0].input_t, list(rest))


def vae_score(
    vae: ModelDescription, x: NDArray[np.float64], fixed: bool, xs: NDArray[np.float64] | None = None
) -> NDArray[np.float64]:
    """``sum mu^2``: the whole description bit-exact (``fixed``), or its network in float32 on the scaled inputs.

    ``xs``: the scaled inputs :func:`scaled` gives for ``x``, if the caller has them (the event loop scales
    once per chunk for every model and path): the fixed chain after the scaling reads them exactly.
    """
    scale, network = vae_parts(vae)
    xs = scaled(scale, x) if xs is None else xs
    if fixed:
        return np.asarray(run_fixed(network, xs).to_float()[:, 0])
    return np.asarray(run_float(network, xs, np.float32)[:, 0], np.float64)


def ae_score(
    ae: AEModel, x: NDArray[np.float64], fixed: bool, xs: NDArray[np.float64] | None = None
) -> NDArray[np.float64]:
    """``sum_i (x_i - y_i)^2`` of the scaled inputs x and their reconstruction y: bit-exact (``fixed``) or the
    network and the score in float32 (the network as trained) on the same scaled inputs (``xs`` as in
    :func:`vae_score`)."""
    xs = scaled(ae.scale, x) if xs is None else xs
    score = describe("score", ae.score.input_t, [ae.score])
    if fixed:
        diff = xs - run_fixed(ae.network, xs).to_float()  # exact in float64: both on the grid of diff_t
        return np.asarray(run_fixed(score, diff).to_float()[:, 0])
    x32 = xs.astype(np.float32)
    return np.asarray(run_float(score, x32 - run_float(ae.network, x32, np.float32), np.float32)[:, 0], np.float64)


def save_description(model: ModelDescription, directory: Path, stem: str) -> None:
    serialize.save_description(model, directory, stem)


def load_description(directory: Path, stem: str) -> ModelDescription:
    """A shipped description; a missing file says which command makes it."""
    return serialize.load_description(directory, stem, f"`l1emu train anomaly -o {directory}`")


def load_scaling(directory: Path) -> ScaleLayer:
    """The shipped input scaling (offsets and shifts fitted on the training sample)."""
    from algorithms.anomaly.inputs import FEATURES
    from trigger.features.scaling import scaling_from_json

    path = directory / "scaling.json"
    if not path.is_file():
        raise ModelError(f"{path}: no such file; `l1emu train anomaly -o {directory}` writes it")
    return scaling_from_json(path.read_text(), str(path), FEATURES)


def load_ae(directory: Path) -> AEModel:
    """The shipped autoencoder: ``scaling.json`` and the network ``ae`` (scaled inputs -> reconstruction)."""
    return AEModel.build(load_scaling(directory), load_description(directory, "ae"))
