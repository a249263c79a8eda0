"""The shipped tagger: firmware descriptions (JSON + .npz, no pickle) under ``configs/algorithms/jet_tagger``.

A description is the scaling layer (:mod:`trigger.features.scaling`) followed by the trained
network, converted once at training time (``l1emu train jet-tagger``) so that the event loop needs
no Keras: what is loaded is exactly what the HLS writer renders.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from trigger.nn import ModelDescription, serialize
from trigger.nn.layers import DenseLayer, ScaleLayer

__all__ = ["DEFAULT_DIR", "VARIANTS", "compose", "load_description", "quantized_float", "save_description"]

#: configs/algorithms/jet_tagger of this checkout
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "configs" / "algorithms" / "jet_tagger"
#: shipped variants: QAT with 6-bit weights, the same pruned to 75 %, and the float model post-training
#: quantized to ap_fixed<16,6>
VARIANTS = ("qat", "qat_pruned", "ptq")


def compose(name: str, scale: ScaleLayer, network: ModelDescription) -> ModelDescription:
    """Scaling then network: one description from the raw inputs to the class scores."""
    return ModelDescription(
        name, "jet", scale.input_t, scale.n_in, (scale, *network.layers), network.io_type, network.accumulation
    )


def quantized_float(model: ModelDescription) -> ModelDescription:
    """The same description whose float path uses the quantized weights: a QAT network *is* its quantized
    weights, so its float reference (``run_float``) differs from the firmware only by activation rounding."""
    layers = tuple(
        dataclasses.replace(la, weights_float=la.weights, bias_float=la.bias) if isinstance(la, DenseLayer) else la
        for la in model.layers
    )
    return dataclasses.replace(model, layers=layers)


def save_description(model: ModelDescription, directory: Path, stem: str) -> None:
    serialize.save_description(model, directory, stem)


def load_description(directory: Path, stem: str) -> ModelDescription:
    """A shipped description; a missing file says which command makes it."""
    return serialize.load_description(directory, stem, f"`l1emu train jet-tagger -o {directory}`")
