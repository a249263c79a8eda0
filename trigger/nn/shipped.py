"""Shipped firmware descriptions: scaling + network as one description, stored as JSON + ``.npz`` (no pickle).

A trained algorithm (``algorithms/jet_tagger``, ``algorithms/muon_pt``) converts its network once at
training time and ships the result under ``configs/algorithms/<name>``, so the event loop needs no
Keras: what is loaded is exactly what the HLS writer renders.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from trigger.errors import ModelError
from trigger.nn.layers import DenseLayer, ModelDescription, ScaleLayer
from trigger.nn.serialize import arrays_from_npz, arrays_to_npz, from_json, to_json

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
    doc, arrays = to_json(model)
    (directory / f"{stem}.json").write_text(json.dumps(doc, indent=1) + "\n")
    (directory / f"{stem}.npz").write_bytes(arrays_to_npz(arrays))


def load_description(directory: Path, stem: str, remedy: str) -> ModelDescription:
    """A shipped description; a missing file says which command (``remedy``) makes it."""
    doc_path, npz_path = directory / f"{stem}.json", directory / f"{stem}.npz"
    for path in (doc_path, npz_path):
        if not path.is_file():
            raise ModelError(f"{path}: no such file; `{remedy}` writes it")
    try:
        doc = json.loads(doc_path.read_text())
    except json.JSONDecodeError as exc:
        raise ModelError(f"{doc_path}: not JSON ({exc})") from None
    return from_json(doc, arrays_from_npz(npz_path.read_bytes(), source=str(npz_path)), source=str(doc_path))
