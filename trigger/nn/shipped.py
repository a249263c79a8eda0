"""Shipped firmware descriptions: scaling + network as one description, stored as JSON + ``.npz`` (no pickle).

A trained algorithm (``algorithms/jet_tagger``, ``algorithms/muon_pt``) converts its network once at
training time and ships the result under ``configs/algorithms/<name>``, so the event loop needs no
Keras: what is loaded is exactly what the HLS writer renders.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from trigger.nn import serialize
from trigger.nn.layers import DenseLayer, ModelDescription, ScaleLayer

__all__ = ["compose", "load_description", "quantized_float", "save_description"]


def compose(name: str, input_name: str, scale: ScaleLayer, network: ModelDescription) -> ModelDescription:
    """Scaling then network: one description from the raw inputs to the outputs."""
    return ModelDescription(
        name, input_name, scale.input_t, scale.n_in, (scale, *network.layers), network.io_type, network.accumulation
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


def load_description(directory: Path, stem: str, remedy: str) -> ModelDescription:
    """A shipped description; a missing file says which command (``remedy``) makes it."""
    return serialize.load_description(directory, stem, f"`{remedy}`")
